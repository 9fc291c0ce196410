"""Images in the per-subject jobs: read, smooth, mask, EPI mask, as nilearn does.

Each per-subject job is a new Python process, and importing nilearn costs
seconds there against a fraction of one for numpy, SciPy and nibabel. This
module reproduces the few image steps those jobs need with numpy, SciPy and
nibabel only; ``tests/test_niimg.py`` proves each against nilearn's own
function (:func:`nilearn.image.smooth_img`, :func:`nilearn.masking.apply_mask`,
:func:`nilearn.masking.compute_epi_mask`). The per-subject steps import
neither nilearn, scikit-learn nor pandas; only :func:`template_mask` and
:func:`resample_to_reference`, which run in group or resampling jobs, call
nilearn (inside the function).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np

# nilearn's FWHM-to-sigma rule (nilearn.image.image.smooth_array), and
# scipy.ndimage.gaussian_filter1d's default truncation, which nilearn keeps.
FWHM_OVER_SIGMA = np.sqrt(8 * np.log(2))
TRUNCATE = 4.0


class UnreadableImageError(ValueError):
    """A functional image that cannot be used: corrupt, wrong shape or no signal."""


# Two images share a grid when their first three dimensions agree and their
# affines differ by at most this (mm): the rounding of headers written in
# float32, far below a voxel.
GRID_ATOL = 1e-4


def same_grid(img, other):
    """Whether two images (or anything with ``shape`` and ``affine``) share a grid.

    nilearn's ``check_same_fov`` with one stated tolerance (:data:`GRID_ATOL`).

    Parameters
    ----------
    img, other : nibabel image or object with ``shape`` and ``affine``
        The two grids.

    Returns
    -------
    bool
    """
    return tuple(img.shape[:3]) == tuple(other.shape[:3]) and np.allclose(
        img.affine, other.affine, rtol=0, atol=GRID_ATOL
    )


def _decompress(raw):
    """Gunzip with ISA-L (about twice as fast as zlib here), or zlib without it."""
    try:
        from isal import igzip
    except ImportError:  # isal is in the requirements; zlib gives the same bytes
        import gzip

        return gzip.decompress(raw)
    return igzip.decompress(raw)


def read_image(path):
    """Read a NIfTI image, decompressing it once, without copying its data.

    The data are what ``numpy.asanyarray(nibabel.load(path).dataobj)`` gives
    (the array nilearn works on), read from the decompressed bytes in place.
    Scaled images (``scl_slope``) go through nibabel's own scaling.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.nii`` or ``.nii.gz`` file (NIfTI-1 or NIfTI-2).

    Returns
    -------
    nibabel.nifti1.Nifti1Image or nibabel.nifti2.Nifti2Image
        With its data in memory (read-only when unscaled).
    """
    import nibabel as nib

    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        raw = _decompress(raw)
    size = int.from_bytes(raw[:4], "little")
    if size not in (348, 540):
        size = int.from_bytes(raw[:4], "big")
    image_class = nib.Nifti2Image if size == 540 else nib.Nifti1Image
    header = image_class.header_class.from_fileobj(io.BytesIO(raw))
    slope, inter = header.get_slope_inter()
    if slope not in (None, 1.0) or inter not in (None, 0.0):
        img = image_class.from_bytes(raw)
        return image_class(np.asanyarray(img.dataobj), img.affine, img.header)
    shape = header.get_data_shape()
    data = np.frombuffer(
        raw,
        dtype=header.get_data_dtype(),
        count=int(np.prod(shape)),
        offset=int(header.get_data_offset()),
    ).reshape(shape, order="F")
    return image_class(data, header.get_best_affine(), header)


def load_functional(path, label=None):
    """Read a subject's 4D image whole, with a clear error if it is unusable.

    Parameters
    ----------
    path : str or pathlib.Path
        NIfTI file (``.nii`` or ``.nii.gz``).
    label : str or None, default=None
        Subject label, named in error messages.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        The image with its data in memory (see :func:`read_image`).

    Raises
    ------
    UnreadableImageError
        If the file is truncated or corrupt, not 4D, has fewer than two
        volumes or no voxel that changes over time. The message names the
        subject and the file.
    """
    import nibabel as nib

    from regions_connectome.derivatives import input_name

    who = f"{input_name(label)}: " if label else ""
    try:
        img = read_image(path)
    except (
        OSError,
        EOFError,
        zlib.error,
        ValueError,
        nib.filebasedimages.ImageFileError,
        nib.wrapstruct.WrapStructError,
    ) as error:
        raise UnreadableImageError(
            f"{who}cannot read the image {path}: {type(error).__name__}: {error} "
            "(is the file truncated or corrupt?)"
        ) from error
    data = np.asanyarray(img.dataobj)
    if data.ndim != 4 or data.shape[3] < 2:
        raise UnreadableImageError(
            f"{who}image {path} has shape {data.shape}: a 4D image with at least two "
            "volumes is needed"
        )
    if not _changes_over_time(data):
        raise UnreadableImageError(
            f"{who}image {path} has no signal: every voxel is constant over time"
        )
    _check_finite(data, f"{who}image {path}")
    return img


# Where runs' image data are kept decompressed between their two reads
# (read_images_once), relative to the working directory; emptied when a run
# of the workflow starts.
DECOMPRESSED_FOLDER = ".snakemake/regions_connectome/decompressed"
# Bytes left free on the disk when a run's decompressed data are kept: a copy
# only saves time, and must not take the room others need. The workflow's own
# later outputs need none of it: each reduction removes a copy and writes less.
DISK_RESERVE = 5e9


def decompressed_copy(func, folder=DECOMPRESSED_FOLDER):
    """Where the decompressed data of the image ``func`` are kept between two reads.

    Named by the image's path and file status
    (:func:`regions_connectome.provenance.file_stamp`): a changed image is
    never read from an older copy.

    Parameters
    ----------
    func : str or pathlib.Path
        The image.
    folder : str or pathlib.Path, default=DECOMPRESSED_FOLDER
        Where copies are kept.

    Returns
    -------
    pathlib.Path
    """
    import hashlib

    from regions_connectome.provenance import file_stamp

    identity = f"{Path(func).resolve()}:{file_stamp(func)}".encode()
    return Path(folder, f"{hashlib.sha256(identity).hexdigest()[:24]}.npy")


def keep_decompressed(img, func, folder=DECOMPRESSED_FOLDER):
    """Keep an image's data decompressed for its next read, if the disk has room.

    With the EPI mask, a run's image is read by its EPI-mask job and again by
    its reduction (which needs the group mask, so every run's first read comes
    before any second one). Mapping an uncompressed ``.npy`` costs next to
    nothing against 0.7 s of decompression at the seed's geometry, and
    writing it 0.05 s (0.3-0.4 s on a virtual machine whose memory is still
    new to it: docs/benchmark.md). The copy only saves time: it is not
    written when less than ``DISK_RESERVE`` bytes of the disk would stay free,
    or when writing fails (a quota), and :func:`read_functional` reads the
    image when it finds none.

    Parameters
    ----------
    img : nibabel.nifti1.Nifti1Image
        The image as :func:`load_functional` read it.
    func : str or pathlib.Path
        Its file.
    folder : str or pathlib.Path, default=DECOMPRESSED_FOLDER
        Where copies are kept (created if needed).

    Returns
    -------
    pathlib.Path or None
        The copy, or None if none was written.
    """
    import logging
    import shutil

    from regions_connectome.io import write_array

    logger = logging.getLogger(__name__)
    data = np.asanyarray(img.dataobj)
    path = decompressed_copy(func, folder)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        usage = shutil.disk_usage(folder)
        if usage.free - data.nbytes < DISK_RESERVE:
            logger.info(
                "not keeping the decompressed data of %s (%.0f MB): %.0f MB free on the "
                "disk; the reduction reads the image again",
                func, data.nbytes / 1e6, usage.free / 1e6,
            )  # fmt: skip
            return None
        write_array(data, path)
    except OSError as error:
        logger.warning("could not keep the decompressed data of %s: %s", func, error)
        return None
    logger.info("kept the decompressed data of %s in %s", func, path)
    return path


def read_functional(path, label=None, folder=DECOMPRESSED_FOLDER):
    """Read a run's image, from its kept decompressed data if there are some.

    The kept copy (:func:`keep_decompressed`) is read once: it is memory-mapped,
    then removed. A copy that cannot be read, or of another shape than the
    image's header says, is removed and the image is read.

    Parameters
    ----------
    path : str or pathlib.Path
        The image.
    label : str or None, default=None
        Input label, named in error messages.
    folder : str or pathlib.Path, default=DECOMPRESSED_FOLDER
        Where copies are kept.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        As :func:`load_functional` returns it (its data read-only).
    """
    import logging

    import nibabel as nib

    logger = logging.getLogger(__name__)
    copy = decompressed_copy(path, folder)
    if not copy.is_file():
        return load_functional(path, label)
    header_img = nib.load(path)
    try:
        data = np.load(copy, mmap_mode="r")
    except (OSError, ValueError) as error:  # damaged on the disk: the image is still there
        logger.warning("could not read %s (%s): reading the image %s", copy, error, path)
        data = None
    copy.unlink(missing_ok=True)
    if data is None or data.shape != header_img.shape:
        return load_functional(path, label)
    logger.info("read the decompressed data of %s from %s", path, copy)
    return type(header_img)(data, header_img.affine, header_img.header)


def repetition_time(path):
    """The repetition time (s) an image's header gives, or None.

    Parameters
    ----------
    path : str or pathlib.Path
        A 4D NIfTI image.

    Returns
    -------
    float or None
        The fourth zoom in seconds (headers in ms are converted), None if the
        header gives none (0) or has no fourth dimension.
    """
    import nibabel as nib

    header = nib.load(path).header
    zooms = header.get_zooms()
    if len(zooms) < 4 or not zooms[3] > 0:
        return None
    unit = header.get_xyzt_units()[1]
    return float(zooms[3]) / (1000.0 if unit == "msec" else 1.0)


def _check_finite(data, source):
    """Stop on NaN or infinite values in some volumes of a voxel, not all.

    A voxel that is NaN in every volume is how some tools mark "no data"
    (outside the brain): like nilearn, the workflow reads it as 0. A voxel
    with values in some volumes and not in others is damaged data, which
    nilearn would silently zero in those volumes: the run stops instead.
    """
    if data.dtype.kind != "f" or np.isfinite(np.add.reduce(data, axis=None)):
        return
    finite = np.isfinite(data)
    partial = finite.any(axis=-1) & ~finite.all(axis=-1)
    if partial.any():
        volumes = np.flatnonzero(~finite[partial].all(axis=0))
        raise UnreadableImageError(
            f"{source} has NaN or infinite values in {int(partial.sum())} voxel(s) that "
            f"hold values in other volumes (volumes {volumes[:10].tolist()}"
            f"{' …' if len(volumes) > 10 else ''}): nilearn would read them as 0 in "
            "those volumes only. Repair or leave out those volumes (scrubbing), or the subject"
        )


def _finite(volume):
    """A volume with its non-finite values as 0 (nilearn's maskers' rule)."""
    if volume.dtype.kind == "f" and not np.isfinite(volume).all():
        return np.where(np.isfinite(volume), volume, 0)
    return volume


def _changes_over_time(data):
    """Whether any voxel of a 4D array changes, stopping at the first volume that differs."""
    first = _finite(data[..., 0])
    return any(np.any(_finite(data[..., t]) != first) for t in range(1, data.shape[-1]))


def varying_voxels(data):
    """Where a 4D array changes over time.

    Parameters
    ----------
    data : numpy.ndarray, shape (..., n_volumes)
        Image data, time last.

    Returns
    -------
    numpy.ndarray of bool, shape data.shape[:-1]
        True where some volume differs from the first. Non-finite values
        count as 0, as nilearn's maskers replace them.
    """
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        data = np.where(np.isfinite(data), data, 0)
    return np.any(data != data[..., :1], axis=-1)


def varying_in_mask(data, mask):
    """Whether each voxel of ``mask`` changes over time (:func:`varying_voxels`).

    Read from the mask's bounding box only.

    Parameters
    ----------
    data : numpy.ndarray, shape (x, y, z, n_volumes)
        Image data.
    mask : numpy.ndarray of bool, shape (x, y, z)
        Not empty.

    Returns
    -------
    numpy.ndarray of bool, shape (n_voxels_in_mask,)
    """
    box = bounding_box(mask)
    return varying_voxels(data[box])[mask[box]]


def smoothing_sigmas(affine, fwhm):
    """Gaussian sigma per axis, in voxels, for a FWHM in mm (nilearn's rule).

    Parameters
    ----------
    affine : numpy.ndarray, shape (4, 4)
        The image's affine.
    fwhm : float
        Full width at half maximum, mm.

    Returns
    -------
    numpy.ndarray, shape (3,)
    """
    voxel_size = np.sqrt(np.sum(affine[:3, :3] ** 2, axis=0))
    return np.asarray([fwhm]).ravel() / (FWHM_OVER_SIGMA * voxel_size)


def smooth_array(arr, affine, fwhm):
    """Smooth an array in place along its first three axes, as nilearn does.

    ``nilearn.image.smooth_img``'s filter: ``scipy.ndimage.gaussian_filter1d``
    along each spatial axis in turn, non-finite values replaced by zero first.

    Parameters
    ----------
    arr : numpy.ndarray of float, shape (x, y, z[, t])
        Smoothed in place.
    affine : numpy.ndarray, shape (4, 4)
        The image's affine (voxel sizes).
    fwhm : float or None
        mm; None or 0 leaves ``arr`` as it is.

    Returns
    -------
    numpy.ndarray
        ``arr``.
    """
    from scipy.ndimage import gaussian_filter1d

    non_finite = ~np.isfinite(arr)
    if non_finite.any():
        arr[non_finite] = 0
    if not fwhm:
        return arr
    for axis, sigma in enumerate(smoothing_sigmas(affine, fwhm)):
        if sigma > 0.0:
            gaussian_filter1d(arr, sigma, output=arr, axis=axis, truncate=TRUNCATE)
    return arr


def _float_dtype(dtype):
    """Nilearn's smoothing dtype: int64 -> float64, other ints -> float32."""
    if dtype.kind == "i":
        return np.float64 if dtype == np.int64 else np.float32
    return np.result_type(dtype, np.float32)


# Volumes smoothed at a time: small blocks stay in the processor's cache, and
# each volume's smoothing does not depend on the others.
VOLUMES_PER_BLOCK = 16


def smoothed_in_mask(data, affine, mask, fwhm):
    """The image smoothed by ``fwhm`` at the voxels of ``mask``, time first.

    Equal to ``nilearn.masking.apply_mask(nilearn.image.smooth_img(img, fwhm),
    mask)``, computed on the mask's bounding box widened by the filter's
    reach only (a voxel's smoothed value depends on nothing further away),
    a few volumes at a time in C order (three times faster than the image's
    Fortran order here, the same values).

    Parameters
    ----------
    data : numpy.ndarray, shape (x, y, z, n_volumes)
        Image data.
    affine : numpy.ndarray, shape (4, 4)
        The image's affine (voxel sizes).
    mask : numpy.ndarray of bool, shape (x, y, z)
        Voxels wanted; not empty.
    fwhm : float or None
        mm; None for no smoothing.

    Returns
    -------
    numpy.ndarray, shape (n_volumes, n_voxels_in_mask)
        float32 for integer or float32 images (nilearn's dtype).
    """
    reach = [0, 0, 0]
    if fwhm:
        reach = [int(TRUNCATE * s + 0.5) for s in smoothing_sigmas(affine, fwhm)]
    box = bounding_box(mask, reach)
    inside = mask[box]
    in_box = data[box]
    smoothed = np.empty((int(inside.sum()), data.shape[3]), dtype=_float_dtype(data.dtype))
    for start in range(0, data.shape[3], VOLUMES_PER_BLOCK):
        volumes = slice(start, start + VOLUMES_PER_BLOCK)
        block = np.array(in_box[..., volumes], dtype=smoothed.dtype, order="C")
        smoothed[:, volumes] = smooth_array(block, affine, fwhm)[inside]
    return smoothed.T


def subject_smoothed_data(kept, func, mask, fwhm, label=None):
    """A subject's smoothed data in the mask, and where its image varies.

    From the file the reduction kept when there is one (same smoothing),
    else from the image, smoothed here.

    Parameters
    ----------
    kept : str or None
        ``.npz`` written by the reduction (``data``, ``varies``), or None.
    func : str
        The subject's image on the mask's grid.
    mask : numpy.ndarray of bool, shape (x, y, z)
        The group mask.
    fwhm : float or None
        Smoothing of the image, when it is read.
    label : str or None, default=None
        Subject label, for messages.

    Returns
    -------
    smoothed : numpy.ndarray, shape (n_volumes, n_voxels_in_mask)
    varies : numpy.ndarray of bool, shape (n_voxels_in_mask,)
    """
    if kept:
        with np.load(kept) as arrays:
            return arrays["data"], arrays["varies"]
    img = load_functional(func, label)
    data = np.asanyarray(img.dataobj)
    return smoothed_in_mask(data, img.affine, mask, fwhm), varying_in_mask(data, mask)


def bounding_box(mask, margin=(0, 0, 0)):
    """Slices of the smallest box holding ``mask``, widened by ``margin`` voxels.

    Parameters
    ----------
    mask : numpy.ndarray of bool, shape (x, y, z)
        Not empty.
    margin : sequence of int, default=(0, 0, 0)
        Voxels added on each side, per axis (clipped to the array).

    Returns
    -------
    tuple of slice
    """
    box = []
    for axis, extra in enumerate(margin):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        where = np.flatnonzero(mask.any(axis=other))
        box.append(slice(max(where[0] - extra, 0), min(where[-1] + 1 + extra, mask.shape[axis])))
    return tuple(box)


def largest_connected_component(mask):
    """The largest connected part of a binary volume (nilearn's rule).

    Parameters
    ----------
    mask : numpy.ndarray of bool
        Not empty.

    Returns
    -------
    numpy.ndarray of bool
    """
    from scipy.ndimage import label

    labels, n_labels = label(mask)
    if n_labels == 1:
        return mask.astype(bool)
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    return labels == counts.argmax()


def intersect_masks(masks, threshold=0.5):
    """Voxels in more than ``threshold`` of the masks, largest connected part.

    ``nilearn.masking.intersect_masks(masks, threshold, connected=True)``.

    Parameters
    ----------
    masks : sequence of numpy.ndarray of bool
        Binary masks on one grid.
    threshold : float, default=0.5
        Fraction of the masks a voxel must be in (more than).

    Returns
    -------
    numpy.ndarray of bool
    """
    counts = np.sum([np.asarray(mask, dtype=int) for mask in masks], axis=0)
    group = counts > min(threshold, 1 - 1.0e-7) * len(masks)
    return largest_connected_component(group) if group.any() else group


def epi_mask(data, lower_cutoff=0.2, upper_cutoff=0.85, opening=2):
    """A subject's EPI mask, as ``nilearn.masking.compute_epi_mask`` makes it.

    The mean image, smoothed by one voxel (FWHM), thresholded at the least
    dense point of its histogram between the two cutoffs, then opened and
    reduced to its largest connected part (nilearn's defaults).

    Parameters
    ----------
    data : numpy.ndarray, shape (x, y, z, n_volumes)
        The subject's image data.
    lower_cutoff, upper_cutoff : float, default=0.2, 0.85
        Fractions of the sorted mean image between which the threshold lies.
    opening : int, default=2
        Erosion/dilation iterations.

    Returns
    -------
    numpy.ndarray of bool, shape (x, y, z)
        Empty if no voxel survives the opening (nilearn warns; the caller
        decides).
    """
    from scipy.ndimage import binary_dilation, binary_erosion

    mean = data.mean(axis=-1)
    nan = np.isnan(mean)
    smooth_array(mean, np.eye(4), fwhm=1)
    mean[nan] = 0  # nilearn restores the NaN, then replaces every non-finite by 0
    values = np.sort(mean, axis=None)
    lower = int(np.floor(lower_cutoff * len(values)))
    upper = min(int(np.floor(upper_cutoff * len(values))), len(values) - 1)
    gap = values[lower + 1 : upper + 1] - values[lower:upper]
    k = gap.argmax()
    threshold = 0.5 * (values[k + lower] + values[k + lower + 1])
    mask = binary_erosion(mean >= threshold, iterations=opening)
    if mask.any():
        mask = largest_connected_component(mask)
    mask = binary_dilation(mask, iterations=2 * opening)
    return binary_erosion(mask, iterations=opening)


def template_mask(reference_img):
    """Nilearn's MNI152 brain mask resampled to a subject's grid.

    Parameters
    ----------
    reference_img : Niimg-like
        Any image on the data grid; only its header is read.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        Binary 3D mask on the reference grid.
    """
    import nibabel as nib
    from nilearn.datasets import load_mni152_brain_mask
    from nilearn.image import resample_img

    reference = nib.load(reference_img) if isinstance(reference_img, str) else reference_img
    resampled = resample_img(
        load_mni152_brain_mask(resolution=2),
        target_affine=reference.affine,
        target_shape=reference.shape[:3],
        interpolation="nearest",
        force_resample=True,
        copy_header=True,
    )
    data = (np.asarray(resampled.dataobj) > 0).astype(np.uint8)
    return nib.Nifti1Image(data, reference.affine)


def resample_to_reference(img, reference):
    """Resample a 4D image to the grid (shape and affine) of a reference image.

    Parameters
    ----------
    img : nibabel.nifti1.Nifti1Image
        4D image.
    reference : str or pathlib.Path
        Image whose grid is the target (only its header is read).

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        float32, continuous (third-order spline) interpolation, as nilearn's
        maskers resample.
    """
    import nibabel as nib
    from nilearn.image import resample_img

    target = nib.load(reference)
    resampled = resample_img(
        img,
        target_affine=target.affine,
        target_shape=target.shape[:3],
        interpolation="continuous",
        force_resample=True,
        copy_header=True,
    )
    data = np.asarray(resampled.dataobj, dtype=np.float32)
    out = nib.Nifti1Image(data, resampled.affine)
    out.header.set_zooms(tuple(target.header.get_zooms()[:3]) + (img.header.get_zooms()[3],))
    out.header.set_xyzt_units(*img.header.get_xyzt_units())
    return out


def regions_and_mask(regions_file, mask_file=None):
    """The regions image's data, and the mask of the data to extract from.

    Parameters
    ----------
    regions_file : str or pathlib.Path
        4D region maps or a 3D image of labels, on the data's grid.
    mask_file : str or pathlib.Path or None, default=None
        The group mask of learned regions, or None: the voxels some region
        covers (applied regions, as nilearn's maskers without a mask read
        them).

    Returns
    -------
    regions : numpy.ndarray, shape (x, y, z, n_regions) or (x, y, z)
    mask : numpy.ndarray of bool, shape (x, y, z)
    """
    import nibabel as nib

    regions = np.asanyarray(nib.load(regions_file).dataobj)
    if mask_file:
        return regions, np.asanyarray(nib.load(mask_file).dataobj) != 0
    support = np.isfinite(regions) & (regions != 0)
    return regions, support.any(axis=3) if support.ndim == 4 else support
