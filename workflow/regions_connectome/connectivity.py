"""Per-subject timeseries, connectivity matrices and the group connectome."""

from __future__ import annotations

import numpy as np
import pandas as pd


def subject_timeseries(func_img, regions_img, params, confounds=None, sample_mask=None):
    """Extract one subject's regional timeseries, confounds regressed out.

    Parameters
    ----------
    func_img : Niimg-like
        The subject's 4D image.
    regions_img : Niimg-like
        4D regions image.
    params : dict
        RegionExtractor signal parameters, see
        :func:`regions_connectome.regions.regions_masker`.
    confounds : pandas.DataFrame or None, default=None
        One row per volume.
    sample_mask : numpy.ndarray or None, default=None
        Indices of the volumes to keep (scrubbing), or None for all.

    Returns
    -------
    numpy.ndarray, shape (n_volumes_kept, n_regions)
    """
    from regions_connectome.regions import regions_masker

    masker = regions_masker(regions_img, params)
    confounds_array = None if confounds is None else confounds.to_numpy(dtype=float)
    return masker.transform(func_img, confounds=confounds_array, sample_mask=sample_mask)


def masked_timeseries(masked, mask_img, regions_img, params, confounds=None, sample_mask=None):
    """Regional timeseries from a subject's already smoothed data in the mask.

    Equal to :func:`subject_timeseries` on the image when ``masked`` is the
    image smoothed by ``params["smoothing_fwhm"]`` and the regions lie in the
    mask: nilearn's maps masker reads only the regions' voxels of the
    smoothed image.

    Parameters
    ----------
    masked : numpy.ndarray, shape (n_volumes, n_voxels_in_mask)
        Smoothed data in the mask (see
        :func:`regions_connectome.decomposition.reduce_subject`).
    mask_img : Niimg-like
        The mask of ``masked``.
    regions_img : Niimg-like
        4D regions image on the mask's grid.
    params, confounds, sample_mask
        As :func:`subject_timeseries`.

    Returns
    -------
    numpy.ndarray, shape (n_volumes_kept, n_regions)

    Raises
    ------
    ValueError
        If a region reaches outside the mask.
    """
    from nilearn.image import load_img
    from nilearn.masking import unmask

    mask = np.asanyarray(load_img(mask_img).dataobj) != 0
    regions = np.asanyarray(load_img(regions_img).dataobj) != 0
    if regions.shape[:3] != mask.shape or (regions.any(axis=3) & ~mask).any():
        raise ValueError("the regions reach outside the mask of the smoothed data")
    img = unmask(masked, mask_img)
    return subject_timeseries(
        img, regions_img, params | {"smoothing_fwhm": None}, confounds, sample_mask
    )


def varying_voxels(func_img):
    """Where a 4D image changes over time.

    Parameters
    ----------
    func_img : Niimg-like
        4D image.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        3D, 1 where some volume differs from the first, else 0. Non-finite
        values count as 0, as nilearn's maskers replace them.
    """
    import nibabel as nib
    from nilearn.image import load_img

    func_img = load_img(func_img)
    data = np.asanyarray(func_img.dataobj)
    if not np.isfinite(data).all():
        data = np.where(np.isfinite(data), data, 0)
    varies = np.any(data != data[..., :1], axis=3)
    return nib.Nifti1Image(varies.astype(np.uint8), func_img.affine)


def check_region_signals(varies_img, regions_img, labels, source):
    """Stop if a region has no signal in a subject's image.

    Where the image is constant over time (outside the field of view, a
    masked-out lesion), the region's signal is numerical noise that
    standardisation would blow up to unit variance: its correlations would
    look real. This catches it from the image itself.

    Parameters
    ----------
    varies_img : Niimg-like
        3D, nonzero where the subject's image changes over time (see
        :func:`varying_voxels`).
    regions_img : Niimg-like
        4D regions image (resampled to the image's grid if needed).
    labels : sequence of str
        Region labels, one per region.
    source : str
        Who and what file, for the message.

    Raises
    ------
    ValueError
        Naming the regions in which no voxel of the image changes over time.
    """
    from nilearn.image import load_img, resample_to_img

    varies_img, regions_img = load_img(varies_img), load_img(regions_img)
    if regions_img.shape[:3] != varies_img.shape[:3] or not np.allclose(
        regions_img.affine, varies_img.affine
    ):
        regions_img = resample_to_img(
            regions_img,
            varies_img,
            interpolation="nearest",
            force_resample=True,
            copy_header=True,
        )
    support = np.asanyarray(regions_img.dataobj) != 0
    varies = np.asanyarray(varies_img.dataobj) != 0
    flat = [label for k, label in enumerate(labels) if not varies[support[..., k]].any()]
    if flat:
        raise ValueError(
            f"{source}: no signal in region(s) {flat}: no voxel of the image changes "
            "over time there, so their connectivity is undefined; check the image's "
            "coverage or leave the subject out"
        )


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
