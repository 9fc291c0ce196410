"""regions_connectome.niimg against nibabel and nilearn's own functions.

Tolerance: none. Each function repeats nilearn's operations in the same order
on the same arrays, so the results are asserted bit for bit.
"""

from __future__ import annotations

import gzip
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest
from nilearn.image import smooth_img
from nilearn.masking import apply_mask, compute_epi_mask

from helpers import PROJECT
from regions_connectome import niimg
from regions_connectome.niimg import UnreadableImageError, load_functional
from testdata import real_bold_folder


@pytest.fixture(scope="module")
def real_bold_path():
    """The real resting-state run's file (int16, native space, 110 volumes)."""
    return real_bold_folder() / "sub-happy_task-rest_bold.nii.gz"


@pytest.fixture(scope="module")
def real_bold(real_bold_path):
    """The real resting-state run, loaded by nibabel."""
    return nib.load(real_bold_path)


def nilearn_data(img):
    """The array nilearn works on."""
    return np.asanyarray(img.dataobj)


def image_files(tmp_path):
    """The same data written in the formats labs meet."""
    rng = np.random.default_rng(0)
    affine = np.diag([3.0, 3.0, 3.5, 1.0])
    affine[:3, 3] = [-90, -126, -72]
    data = rng.normal(100, 10, size=(9, 8, 7, 6)).astype(np.float32)
    ints = (data * 10).astype(np.int16)
    files = {}
    files["float32.nii.gz"] = nib.Nifti1Image(data, affine)
    files["int16.nii"] = nib.Nifti1Image(ints, affine)
    scaled = nib.Nifti1Image(ints, affine)
    scaled.header.set_slope_inter(0.5, 3.0)
    files["scaled.nii.gz"] = scaled
    files["nifti2.nii.gz"] = nib.Nifti2Image(data, affine)
    big = nib.Nifti1Image(data.astype(">f4"), affine)
    files["bigendian.nii.gz"] = big
    for name, img in files.items():
        img.to_filename(tmp_path / name)
    return [tmp_path / name for name in files]


def test_read_image_gives_nibabel_data_and_affine(tmp_path, real_bold_path):
    for path in [*image_files(tmp_path), real_bold_path]:
        ours, reference = niimg.read_image(path), nib.load(path)
        np.testing.assert_array_equal(nilearn_data(ours), nilearn_data(reference), path.name)
        assert nilearn_data(ours).dtype == nilearn_data(reference).dtype, path.name
        np.testing.assert_array_equal(ours.affine, reference.affine)


def test_read_image_without_isal_gives_the_same_bytes(tmp_path):
    path = image_files(tmp_path)[0]
    assert niimg._decompress(path.read_bytes()) == gzip.decompress(path.read_bytes())


def test_load_functional_refuses_unusable_images(tmp_path):
    affine = np.eye(4)
    rng = np.random.default_rng(0)
    good = tmp_path / "good.nii.gz"
    nib.Nifti1Image(rng.normal(size=(4, 4, 4, 5)).astype(np.float32), affine).to_filename(good)
    assert load_functional(good).shape == (4, 4, 4, 5)
    cases = {
        "truncated.nii.gz": (good.read_bytes()[:300], "cannot read the image .* truncated"),
        "text.nii.gz": (b"not an image", "cannot read the image"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(UnreadableImageError, match=f"subject 09: {message}"):
            load_functional(tmp_path / name, "09")
    arrays = {
        "3d.nii.gz": (rng.normal(size=(4, 4, 4)), r"has shape \(4, 4, 4\): a 4D image"),
        "one.nii.gz": (rng.normal(size=(4, 4, 4, 1)), r"has shape \(4, 4, 4, 1\)"),
        "flat.nii.gz": (np.full((4, 4, 4, 5), 7.0), "has no signal"),
    }
    for name, (data, message) in arrays.items():
        nib.Nifti1Image(data.astype(np.float32), affine).to_filename(tmp_path / name)
        with pytest.raises(UnreadableImageError, match=f"image {tmp_path / name} {message}"):
            load_functional(tmp_path / name, "09")


def test_epi_mask_is_nilearns_on_a_real_run(real_bold):
    ours = niimg.epi_mask(nilearn_data(real_bold))
    reference = nilearn_data(compute_epi_mask(real_bold)) != 0
    assert reference.sum() > 10_000
    np.testing.assert_array_equal(ours, reference)


def test_epi_mask_is_nilearns_on_synthetic_float_data_with_nan(small_cohort):
    img = nib.load(small_cohort.parent / "sub-01_bold.nii.gz")
    data = nilearn_data(img).copy()
    data[10, 10, 10, :] = np.nan
    data[12, 12, 12, 3] = np.inf
    img = nib.Nifti1Image(data, img.affine)
    np.testing.assert_array_equal(niimg.epi_mask(data), nilearn_data(compute_epi_mask(img)) != 0)


@pytest.mark.parametrize("fwhm", [6.0, 4.0, None])
def test_smoothed_in_mask_is_nilearns_smooth_then_mask(real_bold, fwhm):
    """On the mask's bounding box only, yet the values of the whole-image filter."""
    data = nilearn_data(real_bold)[..., :20]
    img = nib.Nifti1Image(data, real_bold.affine)
    mask = niimg.epi_mask(data)
    mask[0, :, :] = mask[:, -1, :] = True  # reach the borders too
    mask_img = nib.Nifti1Image(mask.astype(np.uint8), img.affine)
    ours = niimg.smoothed_in_mask(data, img.affine, mask, fwhm)
    reference = apply_mask(smooth_img(img, fwhm) if fwhm else img, mask_img)
    assert ours.dtype == np.float32 == reference.dtype
    np.testing.assert_array_equal(ours, reference)


def test_smoothing_replaces_non_finite_values_as_nilearn(small_cohort):
    img = nib.load(small_cohort.parent / "sub-01_bold.nii.gz")
    data = nilearn_data(img).copy()
    data[5, 6, 7, :4] = np.nan
    data[8, 6, 7, 2] = -np.inf
    img = nib.Nifti1Image(data, img.affine)
    mask = np.ones(data.shape[:3], dtype=bool)
    np.testing.assert_array_equal(
        niimg.smoothed_in_mask(data, img.affine, mask, 6.0),
        apply_mask(smooth_img(img, 6.0), nib.Nifti1Image(mask.astype(np.uint8), img.affine)),
    )


def test_varying_voxels():
    data = np.random.default_rng(0).normal(size=(3, 3, 3, 5))
    data[0, 0, 0] = 2.0
    data[1, 1, 1] = np.nan
    data[2, 2, 2, 1:] = np.nan  # a value, then NaN (0 for nilearn): varies
    varies = niimg.varying_voxels(data)
    assert not varies[0, 0, 0] and not varies[1, 1, 1] and varies[2, 2, 2]
    assert varies.sum() == 27 - 2


def test_the_package_modules_of_per_subject_jobs_do_not_import_nilearn():
    """The jobs' start-up is numpy, SciPy and nibabel, not nilearn, sklearn, pandas."""
    code = (
        "import sys; sys.path.insert(0, 'workflow');"
        "import regions_connectome.niimg, regions_connectome.signals, regions_connectome.io,"
        " regions_connectome.decomposition, regions_connectome.connectivity,"
        " regions_connectome.denoising, regions_connectome.quality,"
        " regions_connectome.derivatives, regions_connectome.exclusions;"
        "heavy = {'nilearn', 'sklearn', 'pandas', 'matplotlib'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_intersect_masks_is_nilearns():
    from nilearn.masking import intersect_masks

    rng = np.random.default_rng(3)
    masks = [rng.random((9, 8, 7)) > 0.4 for _ in range(5)]
    masks[0][:2] = True
    imgs = [nib.Nifti1Image(m.astype(np.uint8), np.eye(4)) for m in masks]
    for threshold in (0.5, 0.2, 1.0):
        expected = nilearn_data(intersect_masks(imgs, threshold=threshold, connected=True)) != 0
        np.testing.assert_array_equal(niimg.intersect_masks(masks, threshold), expected)


def test_non_finite_values_in_some_volumes_stop_naming_them(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(100, 5, size=(6, 6, 6, 12)).astype(np.float32)
    data[0, 0, 0, :] = np.nan  # no data in any volume: read as 0, as nilearn does
    background = tmp_path / "background.nii.gz"
    nib.Nifti1Image(data, np.eye(4)).to_filename(background)
    assert load_functional(background, "05").shape == data.shape
    data[3, 3, 3, [4, 7]] = np.nan
    data[2, 3, 3, 7] = np.inf
    damaged = tmp_path / "damaged.nii.gz"
    nib.Nifti1Image(data, np.eye(4)).to_filename(damaged)
    message = rf"subject 05: image {damaged} has NaN or infinite values in 2 voxel\(s\)"
    with pytest.raises(UnreadableImageError, match=message + r".*volumes \[4, 7\]"):
        load_functional(damaged, "05")


def test_subject_smoothed_data_from_the_kept_file_or_the_image(small_cohort, tmp_path):
    from regions_connectome.io import write_arrays

    func = small_cohort.parent / "sub-01_bold.nii.gz"
    img = load_functional(func)
    data = nilearn_data(img)
    mask = niimg.epi_mask(data)
    smoothed, varies = niimg.subject_smoothed_data(None, func, mask, 6.0, "01")
    np.testing.assert_array_equal(smoothed, niimg.smoothed_in_mask(data, img.affine, mask, 6.0))
    np.testing.assert_array_equal(varies, niimg.varying_voxels(data)[mask])
    kept = tmp_path / "kept.npz"
    write_arrays(kept, data=smoothed, varies=varies)
    again, varies_again = niimg.subject_smoothed_data(str(kept), func, mask, 6.0, "01")
    np.testing.assert_array_equal(again, smoothed)
    np.testing.assert_array_equal(varies_again, varies)


def test_kept_decompressed_data_are_the_images_and_read_once(tmp_path, real_bold_path):
    """Each format's image comes back the same from its kept copy, which is then gone."""
    folder = tmp_path / "kept"
    for path in [*image_files(tmp_path), real_bold_path]:
        img = load_functional(path)
        copy = niimg.keep_decompressed(img, path, folder)
        assert copy == niimg.decompressed_copy(path, folder) and copy.is_file()
        again = niimg.read_functional(path, "01", folder)
        assert not copy.exists(), path.name
        np.testing.assert_array_equal(nilearn_data(again), nilearn_data(img), path.name)
        assert nilearn_data(again).dtype == nilearn_data(img).dtype, path.name
        np.testing.assert_array_equal(again.affine, img.affine)
        # No copy left: the image itself is read.
        np.testing.assert_array_equal(
            nilearn_data(niimg.read_functional(path, "01", folder)), nilearn_data(img)
        )


def test_a_changed_image_is_never_read_from_an_older_copy(tmp_path):
    path = image_files(tmp_path)[0]
    niimg.keep_decompressed(load_functional(path), path, tmp_path)
    changed = np.asanyarray(nib.load(path).dataobj) + 1
    nib.Nifti1Image(changed, nib.load(path).affine).to_filename(path)
    np.testing.assert_array_equal(
        nilearn_data(niimg.read_functional(path, "01", tmp_path)), changed
    )


def test_a_damaged_or_foreign_copy_is_removed_and_the_image_read(tmp_path):
    path = image_files(tmp_path)[0]
    expected = nilearn_data(load_functional(path))
    copy = niimg.decompressed_copy(path, tmp_path / "kept")
    copy.parent.mkdir()
    for content in (b"not an array", np.zeros((2, 3))):
        if isinstance(content, bytes):
            copy.write_bytes(content)
        else:
            np.save(copy, content)
        np.testing.assert_array_equal(
            nilearn_data(niimg.read_functional(path, "01", tmp_path / "kept")), expected
        )
        assert not copy.exists()


def test_no_copy_is_kept_where_the_disk_is_short_or_writing_fails(tmp_path, monkeypatch):
    path = image_files(tmp_path)[0]
    img = load_functional(path)
    monkeypatch.setattr(niimg, "DISK_RESERVE", 1e20)  # no disk has room to spare
    assert niimg.keep_decompressed(img, path, tmp_path / "full") is None
    assert not list((tmp_path / "full").iterdir())
    monkeypatch.setattr(niimg, "DISK_RESERVE", 0)
    (tmp_path / "file").write_text("a file where the folder would be")
    assert niimg.keep_decompressed(img, path, tmp_path / "file") is None  # writing fails


def test_one_grid_comparison_with_one_tolerance():
    """As nilearn's check_same_fov, with the affine tolerance stated once (GRID_ATOL)."""
    from nilearn.image.image import check_same_fov

    from regions_connectome.niimg import GRID_ATOL, same_grid

    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    img = nib.Nifti1Image(np.zeros((4, 5, 6, 2), np.float32), affine)
    rounded = nib.Nifti1Image(np.zeros((4, 5, 6)), affine + GRID_ATOL / 2)
    shifted = nib.Nifti1Image(np.zeros((4, 5, 6)), affine + np.eye(4)[:, [3]] * 0.01)
    smaller = nib.Nifti1Image(np.zeros((4, 5, 5)), affine)
    assert same_grid(img, rounded) and same_grid(rounded, img)
    for other in (shifted, smaller):
        assert not same_grid(img, other) and not check_same_fov(img, other)
    assert check_same_fov(img, nib.Nifti1Image(np.zeros((4, 5, 6)), affine))
