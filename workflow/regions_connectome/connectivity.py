"""Per-subject timeseries, connectivity matrices and the group connectome."""

from __future__ import annotations

import numpy as np


def subject_timeseries(
    smoothed,
    varies,
    mask,
    regions,
    params,
    confounds=None,
    sample_mask=None,
    source="the image",
    labels=None,
):
    """One subject's regional timeseries, confounds regressed out.

    What ``NiftiMapsMasker(regions, **params).transform(img, confounds,
    sample_mask)`` gives on the subject's image (nilearn's maps masker reads
    only the voxels the maps cover): the least squares fit of the region maps
    to the smoothed data (:func:`regions_connectome.signals.region_signals`,
    in float64), then ``nilearn.signal.clean``
    (:func:`regions_connectome.signals.clean`). numpy and SciPy only.

    Parameters
    ----------
    smoothed : numpy.ndarray, shape (n_volumes, n_voxels_in_mask)
        The image smoothed by ``params["smoothing_fwhm"]``, in the mask
        (see :func:`regions_connectome.niimg.smoothed_in_mask`).
    varies : numpy.ndarray of bool, shape (n_voxels_in_mask,)
        Where the unsmoothed image changes over time.
    mask : numpy.ndarray of bool, shape (x, y, z)
        The mask of ``smoothed``.
    regions : numpy.ndarray, shape (x, y, z, n_regions)
        Region maps on the mask's grid.
    params : dict
        ``standardize``, ``standardize_confounds``, ``detrend``, ``low_pass``,
        ``high_pass``, ``t_r`` (the smoothing is already done).
    confounds : numpy.ndarray, shape (n_volumes, n_confounds), or None, default=None
        Regressed out, one row per volume (all volumes).
    sample_mask : numpy.ndarray of int or None, default=None
        Indices of the volumes to keep (scrubbing), or None for all.
    source : str, default="the image"
        Who and what file, for messages.
    labels : sequence of str or None, default=None
        Region labels for messages (positions if None).

    Returns
    -------
    numpy.ndarray of float64, shape (n_volumes_kept, n_regions)

    Raises
    ------
    ValueError
        If a region reaches outside the mask, or has no voxel that changes
        over time (:func:`check_region_signals`).
    """
    from regions_connectome.signals import clean, region_signals

    regions = np.nan_to_num(np.asarray(regions), nan=0.0, posinf=0.0, neginf=0.0)
    if regions.shape[:3] != mask.shape or (regions.any(axis=3) & ~mask).any():
        raise ValueError(f"{source}: the regions reach outside the mask of the smoothed data")
    maps = regions[mask]
    labels = list(range(regions.shape[3])) if labels is None else list(labels)
    check_region_signals(varies, maps != 0, labels, source)
    covered = maps.any(axis=1)
    signals = region_signals(smoothed[:, covered], maps[covered])
    return clean(
        signals,
        detrend_signals=params["detrend"],
        standardize_signals=params["standardize"],
        confounds=confounds,
        standardize_confounds=params["standardize_confounds"],
        sample_mask=sample_mask,
        low_pass=params["low_pass"],
        high_pass=params["high_pass"],
        t_r=params["t_r"],
    )


def check_region_signals(varies, support, labels, source):
    """Stop if a region has no signal in a subject's image.

    Where the image is constant over time (outside the field of view, a
    masked-out lesion), the region's signal is numerical noise that
    standardisation would blow up to unit variance: its correlations would
    look real. This catches it from the image itself.

    Parameters
    ----------
    varies : numpy.ndarray of bool, shape (n_voxels,)
        Where the subject's image changes over time.
    support : numpy.ndarray of bool, shape (n_voxels, n_regions)
        Where each region is.
    labels : sequence of str
        Region labels, one per region.
    source : str
        Who and what file, for the message.

    Raises
    ------
    ValueError
        Naming the regions in which no voxel of the image changes over time.
    """
    flat = [labels[k] for k in np.flatnonzero(~(support & varies[:, np.newaxis]).any(axis=0))]
    if flat:
        raise ValueError(
            f"{source}: no signal in region(s) {flat}: no voxel of the image changes "
            "over time there, so their connectivity is undefined; check the image's "
            "coverage or leave the subject out"
        )


def timeseries_sidecar(subject, inputs, denoising, params, n_volumes):
    """The JSON sidecar of a subject's timeseries.

    Parameters
    ----------
    subject : str
        Input label.
    inputs : mapping
        The job's named inputs (``func``, ``confounds``, ``regions``,
        ``smoothed``).
    denoising : regions_connectome.denoising.Denoising
        What was regressed out and which volumes were kept.
    params : dict
        The timeseries masker's parameters.
    n_volumes : int
        Rows of the timeseries (volumes kept).

    Returns
    -------
    dict
    """
    return {
        "subject": subject,
        "func": inputs["func"],
        "confounds": inputs["confounds"] or None,
        "confounds_regressed_out": denoising.record["columns"],
        "denoising": denoising.record,
        "n_volumes": n_volumes,
        "regions_img": inputs["regions"],
        "masker": "nilearn.maskers.NiftiMapsMasker",
        "masker_parameters": dict(params),
        "computed_with": (
            "regions_connectome.signals (numpy, SciPy): NiftiMapsMasker's least squares "
            "in float64 and nilearn.signal.clean"
        ),
        "smoothed_once": bool(inputs["smoothed"]),
    }


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

    if kind in GROUP_KINDS:
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


def subject_matrices(timeseries, kinds, source="the subject"):
    """One subject's matrices of the subject-level kinds, checked.

    Parameters
    ----------
    timeseries : numpy.ndarray, shape (n_volumes, n_regions)
        One subject's regional signals.
    kinds : sequence of str
        Subject-level kinds (see :func:`subject_connectivity`).
    source : str, default="the subject"
        Who and what file, for messages.

    Returns
    -------
    list of numpy.ndarray, shape (n_regions, n_regions)
        One per kind, in order.

    Raises
    ------
    ValueError
        If the timeseries or a matrix holds NaN or infinite values.
    """
    if not np.isfinite(timeseries).all():
        raise ValueError(f"{source}: non-finite values in the timeseries")
    matrices = [subject_connectivity(timeseries, kind) for kind in kinds]
    for kind, matrix in zip(kinds, matrices, strict=True):
        if not np.isfinite(matrix).all():
            raise ValueError(
                f"{source}: non-finite {kind} values: check the timeseries for NaN or "
                "constant regions"
            )
    return matrices


# Subject-level kinds of ConnectivityMeasure; "tangent" is fitted on the group.
GROUP_KINDS = ("tangent",)


def tangent_matrices(timeseries, subjects=None):
    """Every subject's matrix in the tangent space of the group, and its reference.

    ``ConnectivityMeasure(kind="tangent")`` fitted on the whole group.

    Parameters
    ----------
    timeseries : sequence of numpy.ndarray, shape (n_volumes_i, n_regions)
        Regional timeseries, one array per subject (lengths may differ).
    subjects : sequence of str or None, default=None
        Subject labels, in the same order, named in errors (positions if
        ``None``).

    Returns
    -------
    matrices : list of numpy.ndarray, shape (n_regions, n_regions)
        One per subject, in the order given.
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

    series = [np.asarray(ts) for ts in timeseries]
    if not series:
        raise ValueError("no subject timeseries to compute connectivity from")
    names = list(subjects) if subjects is not None else list(range(len(series)))
    bad = [name for name, ts in zip(names, series, strict=True) if not np.isfinite(ts).all()]
    if bad:
        raise ValueError(f"non-finite values in the timeseries of subject(s) {bad}")
    measure = ConnectivityMeasure(kind="tangent")
    matrices = list(measure.fit_transform(series))
    bad = [name for name, m in zip(names, matrices, strict=True) if not np.isfinite(m).all()]
    if bad:
        raise ValueError(
            f"non-finite tangent values in the matrices of subject(s) {bad}: "
            "check their timeseries for constant regions"
        )
    return matrices, measure.mean_


def _estimator(kind):
    """What computed a matrix of this kind, for its sidecar."""
    return {
        "name": "nilearn.connectome.ConnectivityMeasure",
        "kind": kind,
        "cov_estimator": "sklearn.covariance.LedoitWolf(store_precision=False)",
        "fitted_on": "the whole group" if kind in GROUP_KINDS else "each subject alone",
    }


def subject_relmat_sidecar(kind, subject, timeseries_sidecar, timeseries_file, regions_img):
    """The JSON sidecar of one subject's matrix.

    Parameters
    ----------
    kind : str
        Connectivity kind (nilearn's name).
    subject : str
        Input label.
    timeseries_sidecar : dict
        The subject's timeseries sidecar (confounds used, volumes).
    timeseries_file : str
        The subject's timeseries file.
    regions_img : str
        The regions image the timeseries came from.

    Returns
    -------
    dict
        Kind, estimator, regions image, timeseries file, confounds file and
        columns regressed out, volumes used.
    """
    return {
        "subject": subject,
        "kind": kind,
        "estimator": _estimator(kind),
        "regions_img": regions_img,
        "timeseries": timeseries_file,
        "confounds": timeseries_sidecar["confounds"],
        "confounds_regressed_out": timeseries_sidecar["confounds_regressed_out"],
        "n_volumes": timeseries_sidecar["n_volumes"],
    }


def group_relmat_sidecar(kind, subject_sidecars, regions_img):
    """The JSON sidecar of the group matrix of one kind.

    Parameters
    ----------
    kind : str
        Connectivity kind (nilearn's name).
    subject_sidecars : sequence of dict
        The subjects' matrix sidecars (:func:`subject_relmat_sidecar`).
    regions_img : str
        The regions image.

    Returns
    -------
    dict
        Kind, estimator, what the group matrix is, and the subjects it is
        made of with their volumes.
    """
    statistic = (
        "group reference of the tangent space (ConnectivityMeasure.mean_, the geometric "
        "mean of the subjects' covariances)"
        if kind in GROUP_KINDS
        else "mean of the subjects' matrices"
    )
    subjects = [sidecar["subject"] for sidecar in subject_sidecars]
    return {
        "kind": kind,
        "estimator": _estimator(kind),
        "statistic": statistic,
        "regions_img": regions_img,
        "subjects": subjects,
        "n_subjects": len(subjects),
        "n_volumes": {s["subject"]: s["n_volumes"] for s in subject_sidecars},
    }


def group_mean(matrices, subjects):
    """The group matrix of a subject-level kind: the mean of the subjects' matrices.

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
        If a matrix holds non-finite values, or the matrices differ in shape,
        naming the subjects.
    """
    matrices = [np.asarray(m, dtype=float) for m in matrices]
    bad = [s for s, m in zip(subjects, matrices, strict=True) if not np.isfinite(m).all()]
    if bad:
        raise ValueError(f"non-finite values in the matrices of subject(s) {bad}")
    shapes = {m.shape for m in matrices}
    if len(shapes) != 1:
        raise ValueError(f"the subjects' matrices differ in shape: {sorted(shapes)}")
    return np.mean(matrices, axis=0)


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
    import json
    from pathlib import Path

    keys = []
    for path in relmat_files:
        sidecar = json.loads(Path(path).with_suffix(".json").read_text())
        keys.append(((sidecar["subject"], sidecar["kind"]), path))
    return keys


def long_table(matrices):
    """All matrices as one tidy table, one row per subject, kind and region pair.

    Parameters
    ----------
    matrices : dict of (str, str) to pandas.DataFrame
        Labelled square matrices by (subject, kind).

    Returns
    -------
    pandas.DataFrame
        Columns ``subject``, ``kind``, ``region_a``, ``region_b``, ``value``;
        each unordered pair of regions once (``region_a`` before ``region_b``
        in the matrix order), the diagonal included.
    """
    import pandas as pd

    frames = []
    for (subject, kind), matrix in matrices.items():
        rows, columns = np.triu_indices(len(matrix))
        labels = np.asarray(matrix.index)
        frames.append(
            pd.DataFrame(
                {
                    "subject": subject,
                    "kind": kind,
                    "region_a": labels[rows],
                    "region_b": labels[columns],
                    "value": matrix.to_numpy()[rows, columns],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
