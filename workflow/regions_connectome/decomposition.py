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
components come from the estimator's private ``_raw_fit``, with
DictLearning's final coding of the voxels by :func:`lasso_codes`
(scikit-learn's, bit for bit) and the steps that split without changing a
number in threads. The nilearn version range is pinned and the
equivalence test guards both.
"""

from __future__ import annotations

import itertools

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


class EmptyMaskError(ValueError):
    """A subject's EPI mask without a voxel: its image cannot give the group mask."""


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
    EmptyMaskError
        If the mask is empty (nilearn only warns, and the group mask would
        silently lose the subject).
    """
    import nibabel as nib

    from regions_connectome.niimg import epi_mask

    mask = epi_mask(np.asanyarray(func_img.dataobj))
    if not mask.any():
        raise EmptyMaskError(
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
    from regions_connectome.niimg import smoothed_in_mask, varying_in_mask
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
    return reduced, smoothed, varying_in_mask(data, mask)


def stack_reduced(reduced):
    """Stack subjects' reduced arrays as nilearn does (Fortran order).

    Parameters
    ----------
    reduced : sequence of numpy.ndarray or path
        Arrays of shape (n_samples_i, n_voxels), or ``.npy`` files holding
        them, subject order; files are read one at a time into the stack.

    Returns
    -------
    numpy.ndarray, shape (sum of n_samples_i, n_voxels)
        float64 if the first array is float64, float32 otherwise.
    """
    reduced = list(reduced)
    shapes, dtype = reduced_shapes(reduced)
    n_samples = sum(shape[0] for shape in shapes)
    data = np.empty((n_samples, shapes[0][1]), order="F", dtype=dtype)
    position = 0
    for array in _arrays(reduced):
        data[position : position + array.shape[0]] = array
        position += array.shape[0]
    return data


def reduced_shapes(reduced):
    """Shapes of the subjects' reduced arrays and the dtype nilearn stacks them in.

    Parameters
    ----------
    reduced : sequence of numpy.ndarray or path
        Arrays or ``.npy`` files (only their headers are read).

    Returns
    -------
    shapes : list of tuple
        (n_samples_i, n_voxels) per subject.
    dtype : numpy.dtype
        float64 if the first array is float64, float32 otherwise.

    Raises
    ------
    ValueError
        If the arrays have different numbers of voxels.
    """
    shapes, dtypes = [], []
    for item in reduced:
        array = item if isinstance(item, np.ndarray) else np.load(item, mmap_mode="r")
        shapes.append(array.shape)
        dtypes.append(array.dtype)
        del array
    n_voxels = {shape[1] for shape in shapes}
    if len(n_voxels) != 1:
        raise ValueError(
            f"reduced arrays have different numbers of voxels {sorted(n_voxels)}: "
            "they were not all made with the same group mask"
        )
    return shapes, _stack_dtype(dtypes[0])


def _stack_dtype(dtype):
    # nilearn stacks float64 rows as float64, any other as float32
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


def _arrays(reduced):
    for item in reduced:
        yield item if isinstance(item, np.ndarray) else np.load(item)


# The decomposition job's peak memory, measured with the job's ``benchmark:``
# file (``bench/group_scale.py``, 20 rows per subject at 3 mm): the process
# (imports, the estimator's working memory) plus copies of the rows it learns
# from, nilearn's stack and scikit-learn's copies of it: 0.38 / 1.10 / 3.42
# GB for 0.11 / 0.53 / 1.60 GB of rows. MIGP streams through a buffer of
# twice the rows it keeps (and DictLearning's initialisation through one of
# twice its own), then the estimator learns from the rows kept as from any
# (Fortran-ordered, as nilearn stacks them).
PROCESS_MB = 300
EXACT_COPIES = 2.2
# A reduction of 2m rows to m: their Gram matrix (float64, (2m)^2), its top m
# eigenvectors (float64, 2m x m) and the rotation (float32, m x 2m): 56 m^2
# bytes (0.47 GB at m = 2900, where 2.51 GB was measured against 1.95 GB of
# buffers and process).
MIGP_REDUCTION_BYTES = 56
# Voxels a reduction reads at a time (its temporary copies grow with it).
MIGP_COLUMN_BLOCK = 4096
# Fewer rows than this per component lose components (at 6 per component, one
# of five was lost on the demo); DictLearning's initialisation (a CanICA of
# ``n_components``) streams this many.
MIN_ROWS_PER_COMPONENT = 10


# Room above the modelled peak in the job's request, for what the model
# leaves out (the allocator, the files' page cache).
REQUEST_HEADROOM = 1.2


def exact_memory_mb(data_mb):
    """Peak memory of learning the components from every subject's rows at once.

    Parameters
    ----------
    data_mb : float
        Size of all subjects' reduced data (MB).

    Returns
    -------
    float
        Megabytes: :data:`PROCESS_MB` + :data:`EXACT_COPIES` x the data.
    """
    return PROCESS_MB + EXACT_COPIES * data_mb


def decomposition_request_mb(data_mb, memory_mb):
    """The memory the decomposition job asks for.

    Parameters
    ----------
    data_mb : float
        Size of all subjects' reduced data (MB).
    memory_mb : float or None
        The decomposition's budget (``decomposition.memory_mb``).

    Returns
    -------
    float
        :data:`REQUEST_HEADROOM` x the smaller of :func:`exact_memory_mb` and
        the budget (past which the decomposition streams).
    """
    need = exact_memory_mb(data_mb)
    return REQUEST_HEADROOM * (need if memory_mb is None else min(need, memory_mb))


def group_reduction(n_rows, n_voxels, itemsize, n_components, memory_mb):
    """Whether the components are learned from all rows, or from MIGP's rows.

    Parameters
    ----------
    n_rows : int
        Rows of all subjects' reduced data.
    n_voxels : int
        Voxels in the group mask.
    itemsize : int
        Bytes per value (4 for float32).
    n_components : int
        Components to learn.
    memory_mb : float or None
        The decomposition's memory budget; ``None`` always learns from all rows.

    Returns
    -------
    dict
        ``Method`` ("exact" or "MIGP"), ``Rows`` (all subjects' rows),
        ``MemoryBudgetMB``, and for MIGP ``RowsKept``: as many as the budget
        holds.

    Raises
    ------
    ValueError
        If the budget holds fewer than :data:`MIN_ROWS_PER_COMPONENT` rows
        per component, naming the budget that would.
    """
    record = {"Method": "exact", "Rows": int(n_rows), "MemoryBudgetMB": memory_mb}
    row_mb = n_voxels * itemsize / 2**20
    if memory_mb is None or exact_memory_mb(n_rows * row_mb) <= memory_mb:
        return record
    needed = MIN_ROWS_PER_COMPONENT * n_components
    kept = max(
        (m for m in range(needed, n_rows) if migp_memory_mb(m, needed, row_mb) <= memory_mb),
        default=0,
    )
    if kept < needed:
        raise ValueError(
            f"decomposition.memory_mb: {memory_mb} MB holds fewer rows of {n_voxels} "
            f"voxels than the {needed} that {n_components} components need "
            f"({MIN_ROWS_PER_COMPONENT} per component); give it at least "
            f"{int(np.ceil(migp_memory_mb(needed, needed, row_mb)))} MB"
        )
    return {**record, "Method": "MIGP", "RowsKept": kept}


def migp_memory_mb(rows_kept, initial_rows, row_mb):
    """Peak memory of learning the components from MIGP's rows.

    Parameters
    ----------
    rows_kept : int
        MIGP's rows.
    initial_rows : int
        The initialisation's MIGP rows (DictLearning's).
    row_mb : float
        Megabytes of one row.

    Returns
    -------
    float
        Megabytes: the largest of streaming (:data:`PROCESS_MB`, both
        buffers of twice their rows, and a reduction's Gram matrix,
        eigenvectors and rotation, :data:`MIGP_REDUCTION_BYTES` per squared
        row kept, and its column block) and learning (:data:`EXACT_COPIES` x the rows
        kept).
    """
    buffers = row_mb * 2 * (rows_kept + initial_rows)
    # and two float32 copies of a column block of the buffer's 2m rows
    block = 2 * 2 * rows_kept * MIGP_COLUMN_BLOCK * 4 / 2**20
    reduction = MIGP_REDUCTION_BYTES * rows_kept**2 / 2**20 + block
    return PROCESS_MB + max(buffers + reduction, EXACT_COPIES * rows_kept * row_mb)


class MIGP:
    """MELODIC's incremental group PCA, streamed (Smith et al. 2014).

    Subjects' rows are appended to a buffer of twice the rows kept; when it
    is full, it is replaced by its top ``n_rows`` principal rows
    (``diag(s) Vt`` of its SVD, through the eigendecomposition of its Gram
    matrix), so memory holds at most ``2 * n_rows`` rows whatever the number
    of subjects. While no more rows than ``n_rows`` come, the result spans
    the data exactly (same Gram matrix ``X.T @ X``); past it, it approximates
    the data's top ``n_rows`` singular directions.

    Parameters
    ----------
    n_rows : int
        Rows kept.
    n_voxels : int
        Columns of every subject's rows.
    dtype : numpy dtype, default=numpy.float32
        Of the buffer (nilearn learns from float32 data).
    scale_rows : bool, default=False
        Scale each incoming row to unit norm first, as CanICA's ``do_cca``
        does to the stacked data (zero rows left as they are).
    """

    def __init__(self, n_rows, n_voxels, dtype=np.float32, scale_rows=False):
        self.n_rows = n_rows
        self.scale_rows = scale_rows
        self.buffer = np.empty((2 * n_rows, n_voxels), dtype=dtype)
        self.filled = 0
        self.reductions = 0
        self.sum_of_squares = 0.0

    def add(self, rows):
        """Append one subject's rows, reducing the buffer first if they do not fit."""
        if len(rows) > self.n_rows:
            raise ValueError(f"{len(rows)} rows at once, more than the {self.n_rows} kept")
        if self.scale_rows:
            norms = np.sqrt(np.sum(rows.astype(np.float64) ** 2, axis=1))
            norms[norms == 0] = 1
            rows = rows / norms[:, np.newaxis]
        if self.filled + len(rows) > len(self.buffer):
            self._reduce()
        self.buffer[self.filled : self.filled + len(rows)] = rows
        self.filled += len(rows)
        self.sum_of_squares += float(np.sum(rows.astype(np.float64) ** 2))

    def result(self, order="C"):
        """The rows kept, shape (at most ``n_rows``, n_voxels); ends the stream.

        Parameters
        ----------
        order : {"C", "F"}, default="C"
            Memory layout. The buffer is shrunk to the rows kept in place;
            ``"F"`` then copies them (as nilearn stacks the rows: the
            estimator would copy C-ordered rows once more) and lets the
            buffer go.

        Returns
        -------
        numpy.ndarray
        """
        if self.filled > self.n_rows:
            self._reduce()
        if len(self.buffer) > self.filled:
            self.buffer.resize((self.filled, self.buffer.shape[1]), refcheck=False)
        if order == "F":
            self.buffer = np.asfortranarray(self.buffer)
        return self.buffer

    @property
    def variance_kept(self):
        """Share of the data's sum of squares the rows kept hold."""
        kept = float(np.sum(self.result().astype(np.float64) ** 2))
        return kept / self.sum_of_squares if self.sum_of_squares else 1.0

    def _reduce(self, block=MIGP_COLUMN_BLOCK):
        from scipy import linalg

        data = self.buffer[: self.filled]
        kept = min(self.n_rows, self.filled)
        gram = np.zeros((self.filled, self.filled))
        for start in range(0, data.shape[1], block):
            columns = data[:, start : start + block]
            gram += columns @ columns.T
        _, vectors = linalg.eigh(
            gram,
            subset_by_index=[self.filled - kept, self.filled - 1],
            overwrite_a=True,
            check_finite=False,
        )
        del gram
        rotation = np.ascontiguousarray(vectors[:, ::-1].T, dtype=data.dtype)
        # Column blocks are independent: each is overwritten by its own rotation.
        for start in range(0, data.shape[1], block):
            columns = slice(start, start + block)
            data[:kept, columns] = rotation @ data[:, columns]
        self.filled = kept
        self.reductions += 1


def decompose(reduced, mask_img, method, params, memory_mb=None, n_threads=1):
    """Learn the group components from the subjects' reduced data, within a budget.

    Parameters
    ----------
    reduced : sequence of numpy.ndarray or path
        Per-subject outputs of :func:`reduce_subject` (or ``.npy`` files of
        them), subject order.
    mask_img : Niimg-like
        Group mask the reduced data were made with.
    method : {"dictlearning", "canica"}
        Decomposition estimator.
    params : dict
        Estimator parameters, see :func:`make_estimator`.
    memory_mb : float or None, default=None
        Memory budget, see :func:`group_reduction`; ``None``: always exact.
    n_threads : int, default=1
        Threads for the steps that split without changing a number, see
        :func:`fit_components`.

    Returns
    -------
    components : nibabel.nifti1.Nifti1Image
        4D component maps, one volume per component.
    record : dict
        :func:`group_reduction`'s, with MIGP's ``Reductions`` and
        ``VarianceKept`` when it ran.
    """
    reduced = list(reduced)
    shapes, dtype = reduced_shapes(reduced)
    record = group_reduction(
        sum(shape[0] for shape in shapes), shapes[0][1], dtype.itemsize,
        params["n_components"], memory_mb,
    )  # fmt: skip
    components, stream = fit_components(
        reduced, mask_img, method, params, record.get("RowsKept"), n_threads
    )
    if stream is not None:
        record.update(Reductions=stream.reductions, VarianceKept=round(stream.variance_kept, 6))
    return components, record


def fit_components(reduced, mask_img, method, params, rows_kept=None, n_threads=1):
    """Learn the components from every row at once, or from MIGP's rows.

    With every row, exactly as nilearn's ``fit`` does from the stacked data.
    With ``rows_kept``, from a streamed group PCA (:class:`MIGP`) of that
    many rows: DictLearning's objective depends on the data only through
    their Gram matrix in voxel space, which MIGP keeps while the data hold
    at most ``rows_kept`` directions and approximates past it. CanICA (and
    DictLearning's initialisation, a CanICA) scales each row to unit norm
    first; that is done to each subject's rows as they stream, in a second
    MIGP (of :data:`MIN_ROWS_PER_COMPONENT` rows per component, for
    DictLearning's initialisation), as scaling MIGP's rows would weigh every
    direction kept alike.

    The steps of nilearn's estimator that split without changing a number run
    in ``n_threads`` threads (:func:`_split_across_threads`); BLAS is left as
    the caller set it (nilearn's components depend on its thread count).

    Parameters
    ----------
    reduced, mask_img, method, params
        As for :func:`decompose`.
    rows_kept : int or None, default=None
        MIGP's rows; ``None`` learns from every row.
    n_threads : int, default=1
        Threads for FastICA's cube and DictLearning's coding of the voxels.

    Returns
    -------
    components : nibabel.nifti1.Nifti1Image
        4D component maps, one volume per component.
    stream : MIGP or None
        The stream the components were learned from, ``None`` for every row.
    """
    estimator = make_estimator(method, params, mask=mask_img)
    estimator._fit_cache()
    _split_across_threads(estimator, n_threads)
    estimator.masker_ = fitted_masker(method, params, mask_img)
    estimator.mask_img_ = estimator.masker_.mask_img_
    if rows_kept is None:
        if method == "dictlearning":
            # nilearn's _init_dict, with the CanICA's FastICA in threads too
            estimator._init_dict = lambda data: _set_initial_components(
                estimator, _canica_initialisation(estimator, data, n_threads, do_cca=True)
            )
        estimator._raw_fit(stack_reduced(reduced))
        return estimator.components_img_, None
    arrays = _arrays(reduced)
    first = next(arrays)
    n_voxels, dtype = first.shape[1], _stack_dtype(first.dtype)
    if method == "dictlearning":
        raw = MIGP(rows_kept, n_voxels, dtype)
        # the initialisation, a CanICA of n_components, from fewer rows
        initial_rows = min(rows_kept, MIN_ROWS_PER_COMPONENT * params["n_components"])
        scaled = MIGP(initial_rows, n_voxels, dtype, scale_rows=True)
    else:
        raw, scaled = None, MIGP(rows_kept, n_voxels, dtype, scale_rows=True)
    for array in itertools.chain([first], arrays):
        scaled.add(array)
        if raw is not None:
            raw.add(array)
    if raw is None:
        # The rows were scaled as they came: CanICA must not scale MIGP's rows.
        estimator.do_cca = False
        estimator._raw_fit(scaled.result(order="F"))
        return estimator.components_img_, scaled
    initial = _canica_initialisation(estimator, scaled.result(), n_threads, do_cca=False)
    del scaled
    estimator._init_dict = lambda data: _set_initial_components(estimator, initial)
    estimator._raw_fit(raw.result(order="F"))
    return estimator.components_img_, raw


# The bound of the seed scikit-learn's coordinate descent draws at each call
# (RAND_R_MAX, a C constant in sklearn/utils/_random.pxd).
RAND_R_MAX = 2**31 - 1


def lasso_codes(data, dictionary, alpha, max_iter=1000, n_threads=1):
    """scikit-learn's ``sparse_encode(..., algorithm="lasso_cd")``, bit for bit, faster.

    ``sparse_encode`` fits one ``Lasso`` per sample (per voxel, in
    DictLearning's last step: about 70,000 at 3 mm), and most of its time is
    the estimator's checks and copies around each fit. This calls the same
    coordinate descent (``enet_coordinate_descent_gram``, with the Gram matrix
    and correlations computed as ``Lasso.fit`` computes them) for each sample
    directly. A sample whose correlations with every atom are at most
    ``alpha`` has code 0, which the solver returns before its first iteration
    (the duality gap of 0 is then exactly 0): those are not passed to it, and
    the global random state draws the seed each call would have drawn.
    The solver releases the GIL, and each sample's code is its own: the
    samples can be split across threads. ``tests/test_decomposition.py``
    checks the codes and the random state against ``sparse_encode``'s.

    Parameters
    ----------
    data : numpy.ndarray
        Samples, shape (n_samples, n_features), float32 or float64.
    dictionary : numpy.ndarray
        Atoms, shape (n_components, n_features).
    alpha : float
        Penalty of ``0.5 * ||x - code @ dictionary||^2 + alpha * ||code||_1``.
    max_iter : int, default=1000
        Iterations per sample, as ``sparse_encode``'s.
    n_threads : int, default=1
        Threads the samples are split across.

    Returns
    -------
    numpy.ndarray
        Codes, shape (n_samples, n_components), in the data's dtype.
    """
    from sklearn.linear_model._cd_fast import enet_coordinate_descent_gram
    from sklearn.utils import check_random_state

    data = np.ascontiguousarray(data)
    dictionary = np.ascontiguousarray(dictionary, dtype=data.dtype)
    n_samples, n_features = data.shape
    gram = np.dot(dictionary, dictionary.T)
    correlations = np.empty((len(dictionary), n_samples), dtype=data.dtype, order="F")
    np.dot(data, dictionary.T, out=correlations.T)
    # Lasso's alpha per feature, times the features: as Lasso.fit's path computes it
    penalty = float(alpha) / n_features * 1.0 * n_features
    # Fortran-ordered as Lasso's coef_: nilearn's sums over the codes depend on it
    codes = np.zeros((n_samples, len(dictionary)), dtype=data.dtype, order="F")
    moving = np.flatnonzero(np.abs(correlations).max(axis=0) > data.dtype.type(penalty))
    random_state = check_random_state(None)

    def code(samples):
        for sample in samples:
            codes[sample] = enet_coordinate_descent_gram(
                codes[sample].copy(), penalty, 0.0, gram, correlations[:, sample],
                data[sample], max_iter, 1e-8, random_state, False, False,
            )[0]  # fmt: skip

    # interleaved: the slow samples lie together (in space, for voxels)
    _in_threads(code, [moving[start::n_threads] for start in range(n_threads)])
    random_state.randint(0, RAND_R_MAX, size=n_samples - len(moving))
    return codes


def _in_threads(function, parts):
    """``function`` on each part, one thread per part (the caller's for one)."""
    if len(parts) == 1:
        function(parts[0])
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(parts)) as pool:
        for _ in pool.map(function, parts):
            pass


def _split_across_threads(estimator, n_threads):
    """Make a nilearn estimator's ``_raw_fit`` run two of its steps faster.

    The estimator's ``_cache``, which ``_raw_fit`` calls for these steps,
    hands it other functions that give the same numbers:

    - for DictLearning's last step, scikit-learn's
      ``dict_learning_online(..., return_code=True)`` (the dictionary, then
      every voxel's code by ``sparse_encode``): the same dictionary, then
      :func:`lasso_codes`, in ``n_threads`` threads;
    - for CanICA's ``fastica(..., fun="cube")``: the same FastICA, with its
      cube computed with its rows split across ``n_threads`` threads.

    Other methods and options go to scikit-learn as before.
    """
    from sklearn.decomposition import dict_learning_online, fastica

    cache = estimator._cache

    def dictionary_and_codes(data, n_components, *, alpha, method, return_code, **kwargs):
        fast = return_code and method == "cd" and not kwargs.get("positive_code")
        result = dict_learning_online(
            data, n_components, alpha=alpha, method=method, return_code=return_code and not fast,
            **kwargs,
        )  # fmt: skip
        if not fast:
            return result
        max_iter = kwargs.get("method_max_iter", 1000)
        return lasso_codes(data, result, alpha, max_iter, n_threads), result

    def fastica_in_threads(data, *, fun, **kwargs):
        if fun != "cube" or n_threads == 1:
            return fastica(data, fun=fun, **kwargs)
        return fastica(data, fun=_cube_in_threads(n_threads), **kwargs)

    def cached(func, *args, **kwargs):
        if func is dict_learning_online:
            return dictionary_and_codes
        if func is fastica:
            return fastica_in_threads
        return cache(func, *args, **kwargs)

    estimator._cache = cached


def _cube_in_threads(n_threads):
    """scikit-learn's FastICA ``cube`` function, its rows split across threads.

    ``x ** 3`` (numpy's ``pow``, element by element) and each row's mean of
    ``3 * x ** 2`` are the same whichever thread computes which rows.
    """

    def cube(x):
        if x.ndim == 1:
            return x**3, (3 * x**2).mean(axis=-1)
        values = np.empty_like(x)
        means = np.empty(len(x), dtype=x.dtype)  # FastICA works in floats

        def rows(block):
            values[block] = x[block] ** 3
            means[block] = (3 * x[block] ** 2).mean(axis=-1)

        _in_threads(rows, [slice(start, None, n_threads) for start in range(n_threads)])
        return values, means

    return cube


def _canica_initialisation(estimator, data, n_threads, do_cca):
    """DictLearning's initial components, as its ``_init_dict`` computes them.

    A CanICA of ``n_components``; ``do_cca=False`` for rows scaled already
    (MIGP's). Its FastICA runs as :func:`_split_across_threads` makes it.
    """
    import warnings

    from nilearn.decomposition import CanICA

    canica = CanICA(
        n_components=estimator.n_components,
        do_cca=do_cca,
        threshold=float(estimator.n_components),
        n_init=1,
        mask=estimator.masker_,
        random_state=estimator.random_state,
        memory=estimator.memory,
        memory_level=estimator.memory_level,
        n_jobs=estimator.n_jobs,
        verbose=estimator.verbose,
    )
    _split_across_threads(canica, n_threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        canica._raw_fit(data)
    return canica.components_


def _set_initial_components(estimator, components):
    # as DictLearning._init_dict scales CanICA's components
    scale = (components**2).sum(axis=1)
    scale[scale == 0] = 1
    estimator.components_init_ = components / scale[:, np.newaxis]
