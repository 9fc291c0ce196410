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


def connectivity_matrix(timeseries, kind="correlation"):
    """One subject's connectivity matrix (nilearn's ConnectivityMeasure).

    Parameters
    ----------
    timeseries : numpy.ndarray, shape (n_volumes, n_regions)
        Regional timeseries of one subject.
    kind : str, default="correlation"
        Any subject-level kind of ``ConnectivityMeasure``.

    Returns
    -------
    numpy.ndarray, shape (n_regions, n_regions)
    """
    from nilearn.connectome import ConnectivityMeasure

    measure = ConnectivityMeasure(kind=kind)
    return measure.fit_transform([np.asarray(timeseries)])[0]


# Subject-level kinds of ConnectivityMeasure; "tangent" is fitted on the group.
GROUP_KINDS = ("tangent",)


def cohort_matrices(timeseries, kind="correlation", subjects=None):
    """Every subject's connectivity matrix and the group matrix of one kind.

    Parameters
    ----------
    timeseries : sequence of numpy.ndarray, shape (n_volumes_i, n_regions)
        Regional timeseries, one array per subject (lengths may differ).
    kind : str, default="correlation"
        Any kind of nilearn's ``ConnectivityMeasure``.
    subjects : sequence of str or None, default=None
        Subject labels, in the same order, named in errors (positions if
        ``None``).

    Returns
    -------
    matrices : list of numpy.ndarray, shape (n_regions, n_regions)
        One per subject, in the order given. For the subject-level kinds each
        is what ``ConnectivityMeasure(kind).fit_transform([ts])[0]`` gives (as
        in nilearn's example); for ``"tangent"`` each subject's matrix in the
        tangent space of the group.
    group : numpy.ndarray, shape (n_regions, n_regions)
        The mean of the subjects' matrices, or for ``"tangent"`` the group
        reference (``ConnectivityMeasure.mean_``, the geometric mean of the
        subjects' covariances).

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
    if kind in GROUP_KINDS:
        measure = ConnectivityMeasure(kind=kind)
        matrices = list(measure.fit_transform(series))
        group = measure.mean_
    else:
        matrices = [connectivity_matrix(ts, kind) for ts in series]
        group = None
    bad = [name for name, m in zip(names, matrices, strict=True) if not np.isfinite(m).all()]
    if bad:
        raise ValueError(
            f"non-finite {kind} values in the matrices of subject(s) {bad}: "
            "check their timeseries for NaN or constant regions"
        )
    if group is None:
        group = np.mean(matrices, axis=0)
    return matrices, group


def relmat_sidecars(kind, subjects, timeseries_sidecars, timeseries_files, regions_img):
    """JSON sidecars of every subject's matrix and of the group matrix.

    Parameters
    ----------
    kind : str
        Connectivity kind.
    subjects : sequence of str
        Subject labels, in the order of the other arguments.
    timeseries_sidecars : sequence of dict
        Each subject's timeseries sidecar (confounds used, volumes).
    timeseries_files : sequence of str
        Each subject's timeseries file.
    regions_img : str
        The regions image the timeseries came from.

    Returns
    -------
    subject_sidecars : list of dict
        One per subject: kind, estimator, regions image, timeseries file,
        confounds file and columns regressed out, volumes used.
    group_sidecar : dict
        Kind, what the group matrix is, and the subjects it is made of.
    """
    estimator = {
        "name": "nilearn.connectome.ConnectivityMeasure",
        "kind": kind,
        "cov_estimator": "sklearn.covariance.LedoitWolf(store_precision=False)",
        "fitted_on": "the whole group" if kind in GROUP_KINDS else "each subject alone",
    }
    subject_sidecars = [
        {
            "subject": subject,
            "kind": kind,
            "estimator": estimator,
            "regions_img": regions_img,
            "timeseries": timeseries_file,
            "confounds": source["confounds"],
            "confounds_regressed_out": source["confounds_regressed_out"],
            "n_volumes": source["n_volumes"],
        }
        for subject, source, timeseries_file in zip(
            subjects, timeseries_sidecars, timeseries_files, strict=True
        )
    ]
    statistic = (
        "group reference of the tangent space (ConnectivityMeasure.mean_, the geometric "
        "mean of the subjects' covariances)"
        if kind in GROUP_KINDS
        else "mean of the subjects' matrices"
    )
    group_sidecar = {
        "kind": kind,
        "estimator": estimator,
        "statistic": statistic,
        "regions_img": regions_img,
        "subjects": list(subjects),
        "n_subjects": len(subjects),
        "n_volumes": {s["subject"]: s["n_volumes"] for s in subject_sidecars},
    }
    return subject_sidecars, group_sidecar


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
