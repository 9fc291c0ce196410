"""Group mask and group decomposition (DictLearning or CanICA), split by stage.

``nilearn.decomposition.DictLearning.fit`` (and ``CanICA.fit``) does three
things in one call: it computes a group mask from every image, masks, smooths
and reduces each subject's data (an SVD per subject, independent of the other
subjects once the mask is fixed), and learns the components from the stacked
reduced data. This module exposes each stage on its own so that the workflow
can run the per-subject work as per-subject jobs, with results equal to the
single call. The per-subject reduction is computed with numpy and SciPy
(:func:`reduce_subject`, proven against nilearn's private
``_mask_and_reduce_single`` in ``tests/test_signals.py``); the
components come from the estimator's private ``_raw_fit``. The nilearn
version range is pinned and the equivalence test guards both.
"""

from __future__ import annotations

import numpy as np

METHODS = ("dictlearning", "canica")

# Parameters shared by both estimators: their masker's and the per-subject
# reduction's (so changing, say, alpha redoes no subject's reduction).
REDUCTION_KEYS = (
    "n_components",
    "smoothing_fwhm",
    "random_state",
    "standardize",
    "detrend",
    "low_pass",
    "high_pass",
    "t_r",
)
# Parameters of one estimator only.
METHOD_KEYS = {
    "dictlearning": ("alpha", "n_epochs", "batch_size"),
    "canica": ("threshold", "n_init"),
}


def estimator_keys(method):
    """The parameters the estimator of ``method`` takes from the config.

    Parameters
    ----------
    method : {"dictlearning", "canica"}
        Decomposition estimator.

    Returns
    -------
    tuple of str
        :data:`REDUCTION_KEYS` and the method's own.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return REDUCTION_KEYS + METHOD_KEYS[method]


def make_estimator(method, params, mask=None):
    """Build the unfitted nilearn decomposition estimator.

    Parameters
    ----------
    method : {"dictlearning", "canica"}
        Which estimator.
    params : dict
        Estimator parameters (see :func:`estimator_keys`);
        keys of the other method are ignored, missing keys take nilearn's
        defaults.
    mask : Niimg-like or None, default=None
        Group mask; ``None`` lets nilearn compute an EPI mask from the data.

    Returns
    -------
    nilearn.decomposition.DictLearning or nilearn.decomposition.CanICA
    """
    from nilearn.decomposition import CanICA, DictLearning

    keys = estimator_keys(method)
    # A None is passed on: smoothing_fwhm: null means no smoothing (nilearn's
    # default would be 4 mm), threshold: null no thresholding.
    kwargs = {key: params[key] for key in keys if key in params}
    estimator = DictLearning if method == "dictlearning" else CanICA
    return estimator(mask=mask, **kwargs)


def compute_subject_epi_mask(func_img, source="the image"):
    """One subject's EPI mask, as ``compute_multi_epi_mask`` makes it per subject.

    Parameters
    ----------
    func_img : nibabel.nifti1.Nifti1Image
        The subject's 4D image.
    source : str, default="the image"
        Who and what file, for the message.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        Binary 3D mask (uint8; nilearn's defaults: lower/upper cutoff
        0.2/0.85, largest connected component, opening 2), computed by
        :func:`regions_connectome.niimg.epi_mask`.

    Raises
    ------
    ValueError
        If the mask is empty (nilearn only warns, and the group mask would
        silently lose the subject).
    """
    import nibabel as nib

    from regions_connectome.niimg import epi_mask

    mask = epi_mask(np.asanyarray(func_img.dataobj))
    if not mask.any():
        raise ValueError(
            f"{source}: the EPI mask is empty (no voxel survives nilearn's "
            "compute_epi_mask thresholds): is this a preprocessed BOLD image, not "
            "detrended or masked already? Give a mask file (mask: path) or leave "
            "the subject out"
        )
    return nib.Nifti1Image(mask.astype(np.uint8), func_img.affine)


def intersect_subject_masks(mask_imgs):
    """Group EPI mask from subject masks, as ``compute_multi_epi_mask`` does.

    Parameters
    ----------
    mask_imgs : list of str or nibabel images
        Subject masks from :func:`compute_subject_epi_mask`, in subject order.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        Voxels in more than half of the subject masks, largest connected
        part: ``nilearn.masking.intersect_masks(threshold=0.5,
        connected=True)``, computed by
        :func:`regions_connectome.niimg.intersect_masks`.

    Raises
    ------
    ValueError
        If the masks are not on one grid.
    """
    import nibabel as nib

    from regions_connectome.niimg import intersect_masks, same_grid

    imgs = [m if hasattr(m, "dataobj") else nib.load(m) for m in mask_imgs]
    first = imgs[0]
    for img in imgs[1:]:
        if not same_grid(img, first):
            raise ValueError(
                f"subject masks on different grids: {img.shape} vs {first.shape}; "
                "resample the images to one grid first"
            )
    masks = [np.asanyarray(img.dataobj) != 0 for img in imgs]
    return nib.Nifti1Image(intersect_masks(masks).astype(np.uint8), first.affine)


def check_mask_grid(mask_img, reference_img, mask_name, reference_name):
    """Stop with a clear message if a mask is not on the data grid.

    Parameters
    ----------
    mask_img, reference_img : nibabel images
        The mask and an image of the data.
    mask_name, reference_name : str
        File names used in the message.
    """
    from regions_connectome.niimg import same_grid

    if not same_grid(mask_img, reference_img):
        differs = (
            f"shape {mask_img.shape[:3]} vs {reference_img.shape[:3]}"
            if mask_img.shape[:3] != reference_img.shape[:3]
            else "same shape, affine\n"
            f"{np.round(mask_img.affine, 3)}\nvs\n{np.round(reference_img.affine, 3)}"
        )
        raise ValueError(
            f"mask {mask_name} is not on the grid of {reference_name} ({differs}): "
            "resample it to the data first"
        )


def group_mask(strategy, subject_masks=(), reference=None, mask_file=None):
    """The group mask, per the workflow's ``mask`` option.

    Parameters
    ----------
    strategy : str
        ``"epi"`` (intersect ``subject_masks``), ``"template"`` (MNI152 brain
        mask on the grid of ``reference``) or a path (then ``mask_file``,
        checked against the grid of ``reference``).
    subject_masks : sequence of path, default=()
        Subject EPI masks, for ``"epi"``.
    reference : path or None, default=None
        An image on the data grid, for the other strategies.
    mask_file : path or None, default=None
        The user's mask, for a path strategy.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        Binary 3D mask (uint8).
    """
    import nibabel as nib

    if strategy == "epi":
        mask = intersect_subject_masks(subject_masks)
    elif strategy == "template":
        from regions_connectome.niimg import template_mask

        mask = template_mask(reference)
    else:
        mask = nib.load(mask_file)
        if mask.ndim != 3:
            raise ValueError(f"mask {mask_file} must be 3D, it has shape {mask.shape}")
        check_mask_grid(mask, nib.load(reference), mask_file, reference)
        values = np.unique(np.asanyarray(mask.dataobj))
        if len(values) > 2 or (len(values) == 2 and 0 not in values):
            raise ValueError(
                f"mask {mask_file} is not binary: it holds {len(values)} values from "
                f"{values.min():g} to {values.max():g} (a probability map, or a mask "
                "resampled with linear interpolation?). Threshold it, or resample it "
                "with nearest-neighbour interpolation"
            )
    data = (np.asarray(mask.dataobj) > 0).astype(np.uint8)
    if not data.any():
        raise ValueError(f"group mask ({strategy}) is empty")
    return nib.Nifti1Image(data, mask.affine)


def fitted_masker(method, params, mask_img):
    """The masker the estimator would embed, fitted on a fixed group mask.

    Parameters
    ----------
    method : {"dictlearning", "canica"}
        Decomposition estimator.
    params : dict
        Estimator parameters, see :func:`make_estimator`.
    mask_img : Niimg-like
        Group mask.

    Returns
    -------
    nilearn.maskers.MultiNiftiMasker
        Carrying the estimator's smoothing, standardisation, detrending and
        filtering settings.
    """
    from nilearn.maskers.masker_validation import check_embedded_masker

    estimator = make_estimator(method, params, mask=mask_img)
    masker = check_embedded_masker(estimator, masker_type="multi_nii")
    masker.memory_level = estimator.memory_level
    masker.fit()
    return masker


def reduce_subject(func_img, mask_img, params):
    """Mask, smooth, clean and SVD-reduce one subject's data.

    Equal to the subject's share of ``DictLearning.fit``/``CanICA.fit`` (both
    embed the same masker, so the reduction does not depend on the method):
    ``n_components`` time samples per subject, ``random_state`` used for each
    subject as nilearn does. Computed with numpy and SciPy only
    (:mod:`regions_connectome.niimg`, :mod:`regions_connectome.signals`); the
    smoothed data in the mask are returned too, for the timeseries.

    Parameters
    ----------
    func_img : nibabel.nifti1.Nifti1Image
        The subject's 4D image, on the grid of the mask.
    mask_img : nibabel.nifti1.Nifti1Image
        Group mask.
    params : dict
        ``n_components``, ``random_state`` and the masker settings
        (``smoothing_fwhm``, ``standardize``, ``detrend``, ``low_pass``,
        ``high_pass``, ``t_r``).

    Returns
    -------
    reduced : numpy.ndarray, shape (n_components, n_voxels_in_mask)
        The subject's reduced data, in the dtype nilearn produces.
    smoothed : numpy.ndarray, shape (n_volumes, n_voxels_in_mask)
        The smoothed image in the mask, before any cleaning (float32 for
        integer and float32 images).
    varies : numpy.ndarray of bool, shape (n_voxels_in_mask,)
        Whether each voxel of the (unsmoothed) image changes over time.
    """
    from regions_connectome.niimg import smoothed_in_mask, varying_voxels
    from regions_connectome.signals import clean, reduce_signals

    check_mask_grid(mask_img, func_img, "the group mask", "the image")
    data = np.asanyarray(func_img.dataobj)
    mask = np.asanyarray(mask_img.dataobj) != 0
    smoothed = smoothed_in_mask(data, func_img.affine, mask, params["smoothing_fwhm"])
    cleaned = clean(
        smoothed,
        detrend_signals=params["detrend"],
        standardize_signals=params["standardize"],
        low_pass=params["low_pass"],
        high_pass=params["high_pass"],
        t_r=params["t_r"],
    )
    reduced = reduce_signals(cleaned, params["n_components"], params.get("random_state"))
    return reduced, smoothed, varying_voxels(data)[mask]


def stack_reduced(reduced):
    """Stack subjects' reduced arrays as nilearn does (Fortran order).

    Parameters
    ----------
    reduced : sequence of numpy.ndarray
        Arrays of shape (n_samples_i, n_voxels), subject order.

    Returns
    -------
    numpy.ndarray, shape (sum of n_samples_i, n_voxels)
        float64 if the first array is float64, float32 otherwise.
    """
    reduced = list(reduced)
    n_features = {array.shape[1] for array in reduced}
    if len(n_features) != 1:
        raise ValueError(
            f"reduced arrays have different numbers of voxels {sorted(n_features)}: "
            "they were not all made with the same group mask"
        )
    dtype = np.float64 if reduced[0].dtype == np.float64 else np.float32
    n_samples = sum(array.shape[0] for array in reduced)
    data = np.empty((n_samples, n_features.pop()), order="F", dtype=dtype)
    position = 0
    for array in reduced:
        data[position : position + array.shape[0]] = array
        position += array.shape[0]
    return data


def decompose(reduced, mask_img, method, params):
    """Learn the group components from the subjects' reduced data.

    Parameters
    ----------
    reduced : sequence of numpy.ndarray
        Per-subject outputs of :func:`reduce_subject`, subject order.
    mask_img : Niimg-like
        Group mask the reduced data were made with.
    method : {"dictlearning", "canica"}
        Decomposition estimator.
    params : dict
        Estimator parameters, see :func:`make_estimator`.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        4D component maps, one volume per component.
    """
    estimator = make_estimator(method, params, mask=mask_img)
    estimator._fit_cache()
    estimator.masker_ = fitted_masker(method, params, mask_img)
    estimator.mask_img_ = estimator.masker_.mask_img_
    estimator._raw_fit(stack_reduced(reduced))
    return estimator.components_img_
