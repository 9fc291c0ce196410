"""Per-subject timeseries, connectivity matrices and the group connectome."""

from __future__ import annotations

import numpy as np

from regions_connectome.kinds import CONNECTIVITY_KINDS


def region_maps(regions, mask, indices=None, source="the image"):
    """Each region's weights at the voxels of a mask.

    Parameters
    ----------
    regions : numpy.ndarray, shape (x, y, z, n_regions) or (x, y, z)
        Region maps (nilearn's ``NiftiMapsMasker``), or an image of integer
        labels (``NiftiLabelsMasker``; 0 is the background), on the mask's grid.
    mask : numpy.ndarray of bool, shape (x, y, z)
        The voxels to read the regions at.
    indices : sequence of int or None, default=None
        For labels, the label of each region (all non-zero labels, sorted,
        if None); ignored for maps.
    source : str, default="the image"
        Who and what file, for messages.

    Returns
    -------
    maps : numpy.ndarray of float64, shape (n_voxels_in_mask, n_regions)
        Map values, or 1 inside a label and 0 elsewhere.
    is_labels : bool
        Whether ``regions`` held labels.

    Raises
    ------
    ValueError
        If the regions are on another grid or reach outside the mask.
    """
    regions = np.nan_to_num(np.asarray(regions), nan=0.0, posinf=0.0, neginf=0.0)
    support = regions != 0
    if (
        regions.shape[:3] != mask.shape
        or ((support.any(axis=3) if support.ndim == 4 else support) & ~mask).any()
    ):
        raise ValueError(f"{source}: the regions reach outside the mask of the smoothed data")
    if regions.ndim == 3:
        if indices is None:
            indices = np.unique(regions[regions != 0])
        inside = regions[mask]
        return (inside[:, np.newaxis] == np.asarray(indices)[np.newaxis, :]).astype(
            np.float64
        ), True
    return regions[mask].astype(np.float64), False


def region_coverage(varies, support):
    """The fraction of each region's voxels where the subject's image has signal.

    Parameters
    ----------
    varies : numpy.ndarray of bool, shape (n_voxels,)
        Where the subject's image changes over time.
    support : numpy.ndarray of bool, shape (n_voxels, n_regions)
        Where each region is.

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions,)
        In [0, 1]; 0 for a region with no voxel (one that resampling to the
        data's grid left empty).
    """
    size = support.sum(axis=0)
    covered = (support & varies[:, np.newaxis]).sum(axis=0)
    return np.divide(covered, size, out=np.zeros(len(size)), where=size > 0)


def subject_timeseries(
    smoothed,
    varies,
    mask,
    regions,
    params,
    confounds=None,
    sample_mask=None,
    source="the image",
    indices=None,
):
    """One subject's regional timeseries, confounds regressed out, and coverage.

    For region maps, what ``NiftiMapsMasker(regions, **params).transform(img,
    confounds, sample_mask)`` gives on the subject's image: the least squares
    fit of the maps to the smoothed data
    (:func:`regions_connectome.signals.region_signals`, in float64); for
    labels, ``NiftiLabelsMasker``'s mean over each label
    (:func:`regions_connectome.signals.region_means`); then
    ``nilearn.signal.clean`` (:func:`regions_connectome.signals.clean`).
    Only the voxels where the image has signal enter the fit: the same as
    nilearn's where a region is wholly covered. Every region with signal in
    some voxel is fitted, whatever ``params["min_coverage"]`` is, so that the
    threshold only decides which regions are reported (see
    :func:`reported_regions`) and never moves another region's signal; a
    region without signal in any voxel gets NaN (its fit would be numerical
    noise that standardisation blows up to unit variance). numpy and SciPy
    only.

    Parameters
    ----------
    smoothed : numpy.ndarray, shape (n_volumes, n_voxels_in_mask)
        The image smoothed by ``params["smoothing_fwhm"]``, in the mask
        (see :func:`regions_connectome.niimg.smoothed_in_mask`).
    varies : numpy.ndarray of bool, shape (n_voxels_in_mask,)
        Where the unsmoothed image changes over time.
    mask : numpy.ndarray of bool, shape (x, y, z)
        The mask of ``smoothed``.
    regions : numpy.ndarray, shape (x, y, z, n_regions) or (x, y, z)
        Region maps, or integer labels, on the mask's grid (see
        :func:`region_maps`).
    params : dict
        ``standardize``, ``standardize_confounds``, ``detrend``, ``low_pass``,
        ``high_pass``, ``t_r`` and ``min_coverage`` (0 if absent; the
        smoothing is already done).
    confounds : numpy.ndarray, shape (n_volumes, n_confounds), or None, default=None
        Regressed out, one row per volume (all volumes).
    sample_mask : numpy.ndarray of int or None, default=None
        Indices of the volumes to keep (scrubbing), or None for all.
    source : str, default="the image"
        Who and what file, for messages.
    indices : sequence of int or None, default=None
        For labels, the label of each region (see :func:`region_maps`).

    Returns
    -------
    signals : numpy.ndarray of float64, shape (n_volumes_kept, n_regions)
        NaN in the columns of regions without signal (coverage 0).
    coverage : numpy.ndarray of float64, shape (n_regions,)
        See :func:`region_coverage`.

    Raises
    ------
    ValueError
        If the regions reach outside the mask, or no region has the coverage
        asked for.
    """
    from regions_connectome.signals import clean, region_means, region_signals

    maps, is_labels = region_maps(regions, mask, indices, source)
    coverage = region_coverage(varies, maps != 0)
    if not reported_regions(coverage, params.get("min_coverage", 0)).any():
        raise ValueError(
            f"{source}: no region has signal in at least {params.get('min_coverage', 0):.0%} "
            f"of its voxels (largest coverage {coverage.max():.0%}): is the image in the "
            "regions' space?"
        )
    kept = coverage > 0
    voxels = varies & maps[:, kept].any(axis=1)
    extract = region_means if is_labels else region_signals
    signals = clean(
        extract(smoothed[:, voxels], maps[voxels][:, kept]),
        detrend_signals=params["detrend"],
        standardize_signals=params["standardize"],
        confounds=confounds,
        standardize_confounds=params["standardize_confounds"],
        sample_mask=sample_mask,
        low_pass=params["low_pass"],
        high_pass=params["high_pass"],
        t_r=params["t_r"],
    )
    timeseries = np.full((len(signals), len(kept)), np.nan)
    timeseries[:, kept] = signals
    return timeseries, coverage


def reported_regions(coverage, min_coverage):
    """Which regions a subject's outputs report: signal in enough of their voxels.

    Parameters
    ----------
    coverage : numpy.ndarray, shape (n_regions,)
        See :func:`region_coverage`.
    min_coverage : float
        The fraction of a region's voxels that must have signal.

    Returns
    -------
    numpy.ndarray of bool, shape (n_regions,)
        False for a region without signal or below ``min_coverage``: n/a in
        the subject's timeseries and matrices.
    """
    coverage = np.asarray(coverage)
    return (coverage > 0) & (coverage >= min_coverage)


# The nilearn masker whose numbers a regions image's timeseries reproduce, by
# the image's number of dimensions.
MASKERS = {3: "nilearn.maskers.NiftiLabelsMasker", 4: "nilearn.maskers.NiftiMapsMasker"}


def ledoit_wolf_covariance(timeseries):
    """Scikit-learn's ``LedoitWolf().fit(timeseries).covariance_``.

    The shrinkage of Ledoit and Wolf (2004) towards a scaled identity, as
    scikit-learn computes it for fewer than 1000 regions (its block size);
    ``tests/test_connectivity.py`` compares it with scikit-learn's.

    Parameters
    ----------
    timeseries : numpy.ndarray, shape (n_volumes, n_regions)
        One subject's regional signals.

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions, n_regions)
    """
    x = np.asarray(timeseries, dtype=np.float64)
    x = x - x.mean(0)
    n_samples, n_features = x.shape
    if n_features == 1:
        return np.atleast_2d((x**2).mean())
    x2 = x**2
    trace = np.sum(x2, axis=0) / n_samples
    mu = np.sum(trace) / n_features
    beta_ = np.sum(np.dot(x2.T, x2))
    delta_ = np.sum(np.dot(x.T, x) ** 2) / n_samples**2
    beta = 1.0 / (n_features * n_samples) * (beta_ / n_samples - delta_)
    delta = (delta_ - 2.0 * mu * trace.sum() + n_features * mu**2) / n_features
    beta = min(beta, delta)
    shrinkage = 0 if beta == 0 else beta / delta
    covariance = np.dot(x.T, x) / n_samples
    shrunk = (1.0 - shrinkage) * covariance
    shrunk.flat[:: n_features + 1] += shrinkage * (np.sum(np.trace(covariance)) / n_features)
    return shrunk


def _covariance_to_correlation(covariance):
    """Nilearn's ``cov_to_corr``: unit diagonal exactly."""
    diagonal = np.atleast_2d(1.0 / np.sqrt(np.diag(covariance)))
    correlation = covariance * diagonal * diagonal.T
    np.fill_diagonal(correlation, 1.0)
    return correlation


def subject_connectivity(timeseries, kind="correlation"):
    """One subject's connectivity matrix, without nilearn (for the per-subject jobs).

    ``ConnectivityMeasure(kind=kind).fit_transform([timeseries])[0]`` with
    nilearn's defaults (Ledoit-Wolf covariance; the correlation of z-scored
    signals); ``tests/test_connectivity.py`` compares the two.

    Parameters
    ----------
    timeseries : numpy.ndarray, shape (n_volumes, n_regions)
        One subject's regional signals.
    kind : {"correlation", "partial correlation", "covariance", "precision"}
        A subject-level kind (``"tangent"`` needs the whole group:
        :func:`tangent_matrices`).

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions, n_regions)
    """
    from scipy import linalg

    from regions_connectome.signals import standardize

    if CONNECTIVITY_KINDS[kind].fitted_on_group:
        raise ValueError(f"{kind} connectivity is fitted on the group, not on one subject")
    x = np.asarray(timeseries, dtype=np.float64)
    if kind == "correlation":
        return _covariance_to_correlation(ledoit_wolf_covariance(standardize(x, "zscore")))
    covariance = ledoit_wolf_covariance(x)
    if kind == "covariance":
        return covariance
    if kind == "precision":
        return linalg.inv(covariance)
    if kind == "partial correlation":
        partial = -_covariance_to_correlation(linalg.inv(covariance))
        np.fill_diagonal(partial, 1.0)
        return partial
    raise ValueError(f"unknown connectivity kind {kind!r}")


def subject_matrices(timeseries, kinds, source="the subject", reported=None):
    """One subject's matrices of the subject-level kinds, checked.

    The matrices are estimated on every region with signal: regions without
    (NaN columns of the timeseries, see :func:`subject_timeseries`) are left
    out of the computation. Regions not reported (below the coverage asked
    for, see :func:`reported_regions`) enter the estimate and then get NaN
    rows and columns, so that the coverage threshold never moves another
    pair's value (Ledoit-Wolf's shrinkage and the partial correlations depend
    on every region estimated together).

    Parameters
    ----------
    timeseries : numpy.ndarray, shape (n_volumes, n_regions)
        One subject's regional signals.
    kinds : sequence of str
        Subject-level kinds (see :func:`subject_connectivity`).
    source : str, default="the subject"
        Who and what file, for messages.
    reported : numpy.ndarray of bool, shape (n_regions,), or None, default=None
        The regions whose rows and columns the matrices report; None for
        every region with signal.

    Returns
    -------
    list of numpy.ndarray, shape (n_regions, n_regions)
        One per kind, in order.

    Raises
    ------
    ValueError
        If the timeseries holds NaN or infinite values other than whole
        columns of NaN, or a matrix holds non-finite values.
    """
    timeseries = np.asarray(timeseries, dtype=np.float64)
    available = ~np.isnan(timeseries).all(axis=0)
    if not np.isfinite(timeseries[:, available]).all():
        raise ValueError(f"{source}: non-finite values in the timeseries")
    reported = available if reported is None else available & np.asarray(reported, dtype=bool)
    matrices = []
    for kind in kinds:
        matrix = np.full((len(available), len(available)), np.nan)
        matrix[np.ix_(available, available)] = subject_connectivity(timeseries[:, available], kind)
        matrix[~reported] = matrix[:, ~reported] = np.nan
        if not np.isfinite(matrix[np.ix_(reported, reported)]).all():
            raise ValueError(
                f"{source}: non-finite {kind} values: check the timeseries for NaN or "
                "constant regions"
            )
        matrices.append(matrix)
    return matrices


def tangent_matrices(timeseries, subjects=None, unit="run"):
    """Every subject's matrix in the tangent space of the group, and its reference.

    ``ConnectivityMeasure(kind="tangent")`` fitted on the whole group, on the
    regions every subject has signal in (NaN rows and columns for the others).

    Parameters
    ----------
    timeseries : sequence of numpy.ndarray, shape (n_volumes_i, n_regions)
        Regional timeseries, one array per subject (lengths may differ).
    subjects : sequence of str or None, default=None
        Input labels, in the same order, named in errors (positions if
        ``None``).
    unit : {"run", "participant"}, default="run"
        What the group reference is fitted on: each input, or each
        participant once (its runs' timeseries joined, so that a participant
        with three runs does not weigh three times). Every input is then
        projected on that reference.

    Returns
    -------
    matrices : list of numpy.ndarray, shape (n_regions, n_regions)
        One per input, in the order given.
    group : numpy.ndarray, shape (n_regions, n_regions)
        The group reference (``ConnectivityMeasure.mean_``, the geometric mean
        of the subjects' covariances).

    Raises
    ------
    ValueError
        If a timeseries or a matrix holds NaN or infinite values, naming the
        subjects.
    """
    from nilearn.connectome import ConnectivityMeasure

    series = [np.asarray(ts, dtype=np.float64) for ts in timeseries]
    if not series:
        raise ValueError("no subject timeseries to compute connectivity from")
    names = list(subjects) if subjects is not None else list(range(len(series)))
    available = np.all([~np.isnan(ts).all(axis=0) for ts in series], axis=0)
    series = [ts[:, available] for ts in series]
    bad = [name for name, ts in zip(names, series, strict=True) if not np.isfinite(ts).all()]
    if bad:
        raise ValueError(f"non-finite values in the timeseries of {_names(bad)}")
    measure = ConnectivityMeasure(kind="tangent")
    if unit == "participant" and subjects is not None:
        from regions_connectome.derivatives import participant_of

        joined = {}
        for name, ts in zip(names, series, strict=True):
            joined.setdefault(participant_of(name), []).append(ts)
        measure.fit([np.concatenate(runs) for runs in joined.values()])
        fitted = list(measure.transform(series))
    else:
        fitted = list(measure.fit_transform(series))
    bad = [name for name, m in zip(names, fitted, strict=True) if not np.isfinite(m).all()]
    if bad:
        raise ValueError(
            f"non-finite tangent values in the matrices of {_names(bad)}: "
            "check their timeseries for constant regions"
        )
    return [_embed(m, available) for m in fitted], _embed(measure.mean_, available)


def _names(labels):
    """The inputs in a message: ``subject 01, subject 02 (run-2)``."""
    from regions_connectome.derivatives import input_name

    return ", ".join(input_name(str(label)) for label in labels)


def _embed(matrix, available):
    """A matrix of the available regions inside one of all regions, NaN elsewhere."""
    full = np.full((len(available), len(available)), np.nan)
    full[np.ix_(available, available)] = matrix
    return full


def combine_runs(values, labels, unit="participant"):
    """One value per unit of the group stages: a participant's runs averaged.

    Parameters
    ----------
    values : sequence of array-like
        One per input (run), e.g. its matrix or its mean framewise displacement.
    labels : sequence of str
        The inputs' labels, in the same order.
    unit : {"participant", "run"}, default="participant"
        ``"run"`` keeps every input as it is.

    Returns
    -------
    combined : list of numpy.ndarray
        The mean of each participant's runs (NaN-aware: an entry a run lacks
        is the mean of the runs that have it), in order of first appearance.
    units : list of str
        The participants (or the labels, for ``"run"``).
    """
    from regions_connectome.derivatives import participant_of

    values = [np.asarray(v, dtype=float) for v in values]
    if unit == "run":
        return values, list(labels)
    groups = {}
    for label, value in zip(labels, values, strict=True):
        groups.setdefault(participant_of(label), []).append(value)
    return [_mean_of_present(runs) for runs in groups.values()], list(groups)


def _mean_of_present(arrays):
    """Entry-wise mean over the arrays that have the entry (NaN where none has)."""
    stacked = np.stack(arrays)
    counts = np.sum(~np.isnan(stacked), axis=0)
    sums = np.nansum(stacked, axis=0)
    return np.divide(sums, counts, out=np.full(counts.shape, np.nan), where=counts > 0)


def group_mean(matrices, subjects):
    """The group matrix of a subject-level kind: the mean of the subjects' matrices.

    A region pair that a subject lacks (NaN, a region below the coverage
    asked for) is averaged over the subjects that have it; NaN if none has.

    Parameters
    ----------
    matrices : sequence of numpy.ndarray, shape (n_regions, n_regions)
        One per subject.
    subjects : sequence of str
        Their labels, named in errors.

    Returns
    -------
    numpy.ndarray, shape (n_regions, n_regions)

    Raises
    ------
    ValueError
        If a matrix holds infinite values, or the matrices differ in shape,
        naming the subjects.
    """
    matrices = [np.asarray(m, dtype=float) for m in matrices]
    bad = [s for s, m in zip(subjects, matrices, strict=True) if np.isinf(m).any()]
    if bad:
        raise ValueError(f"infinite values in the matrices of {_names(bad)}")
    shapes = {m.shape for m in matrices}
    if len(shapes) != 1:
        raise ValueError(f"the subjects' matrices differ in shape: {sorted(shapes)}")
    return _mean_of_present(matrices)


def coverage_table(timeseries_sidecars, labels):
    """Every subject's coverage of every region, from the timeseries sidecars.

    Parameters
    ----------
    timeseries_sidecars : sequence of dict
        The subjects' timeseries sidecars (:func:`timeseries_sidecar`).
    labels : sequence of str
        Region labels, in the order of the table's columns.

    Returns
    -------
    subjects : list of str
    coverage : numpy.ndarray, shape (n_subjects, n_regions)
        Fraction of each region's voxels where the subject's image has signal.
    """
    subjects = [sidecar["InputLabel"] for sidecar in timeseries_sidecars]
    coverage = np.array(
        [[sidecar["RegionCoverage"][label] for label in labels] for sidecar in timeseries_sidecars],
        dtype=float,
    ).reshape(len(subjects), len(labels))
    return subjects, coverage


def relmat_keys(relmat_files):
    """(subject, kind) of each matrix file, read from its JSON sidecar.

    Parameters
    ----------
    relmat_files : sequence of str
        ``*_relmat.tsv`` files, each with its ``*_relmat.json`` beside it.

    Returns
    -------
    list of ((str, str), str)
        ((subject, kind), path), in the order given.
    """
    from pathlib import Path

    from regions_connectome.io import read_json

    keys = []
    for path in relmat_files:
        sidecar = read_json(Path(path).with_suffix(".json"))
        keys.append(((sidecar["InputLabel"], sidecar["ConnectivityKind"]), path))
    return keys


def write_long_table(matrices, path):
    """All matrices as one tidy table, one row per subject, kind and region pair.

    Written one matrix at a time, so that memory holds one matrix whatever
    the number of subjects (1000 regions: 500,500 rows per matrix).

    Parameters
    ----------
    matrices : iterable of ((str, str), str or pathlib.Path)
        ((subject, kind), the matrix's TSV), as :func:`relmat_keys` gives them.
    path : str or pathlib.Path
        TSV to write (atomically): columns ``subject``, ``kind``,
        ``region_a``, ``region_b``, ``value``; each unordered pair of regions
        once (``region_a`` before ``region_b`` in the matrix order), the
        diagonal included.
    """
    import pandas as pd

    from regions_connectome.derivatives import INPUT_COLUMN
    from regions_connectome.io import atomic_output, read_tsv

    columns = [INPUT_COLUMN, "kind", "region_a", "region_b", "value"]
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        stream.write("\t".join(columns) + "\n")
        for (subject, kind), matrix_path in matrices:
            matrix = read_tsv(matrix_path)
            rows, cols = np.triu_indices(len(matrix))
            labels = np.asarray(matrix.index)
            frame = pd.DataFrame(
                {
                    INPUT_COLUMN: subject,
                    "kind": kind,
                    "region_a": labels[rows],
                    "region_b": labels[cols],
                    "value": matrix.to_numpy()[rows, cols],
                }
            )
            frame.to_csv(stream, sep="\t", index=False, header=False, float_format="%.9g",
                         na_rep="n/a")  # fmt: skip
