"""regions_connectome.decomposition: the group mask, the reduction and the decomposition."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from helpers import REDUCTION_PARAMS
from regions_connectome.decomposition import (
    group_mask,
    make_estimator,
    reduce_subject,
    stack_reduced,
)
from regions_connectome.niimg import varying_voxels


def test_stack_reduced_refuses_different_masks():
    with pytest.raises(ValueError, match="same group mask"):
        stack_reduced([np.zeros((5, 10), np.float32), np.zeros((5, 11), np.float32)])
    stacked = stack_reduced([np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)])
    assert stacked.flags.f_contiguous and stacked.dtype == np.float32


def test_make_estimator_passes_only_its_parameters():
    params = {"n_components": 3, "alpha": 2, "threshold": "auto", "n_init": 4, "t_r": None}
    assert make_estimator("dictlearning", params).alpha == 2
    assert make_estimator("canica", params).n_init == 4
    with pytest.raises(ValueError, match="method"):
        make_estimator("pca", params)


def test_template_mask_and_user_mask_grid_check(tmp_path, planted):
    mask, networks, _ = planted
    reference = tmp_path / "ref.nii.gz"
    networks.to_filename(reference)
    template = group_mask("template", reference=str(reference))
    assert template.shape == mask.shape and 0 < template.get_fdata().mean() < 1
    wrong = tmp_path / "wrong.nii.gz"
    nib.Nifti1Image(np.ones((5, 5, 5), np.uint8), np.eye(4)).to_filename(wrong)
    with pytest.raises(ValueError, match=r"is not on the grid of .*shape \(5, 5, 5\) vs"):
        group_mask(str(wrong), reference=str(reference), mask_file=str(wrong))
    shifted = tmp_path / "shifted.nii.gz"
    moved = networks.affine.copy()
    moved[:3, 3] += 6.0
    nib.Nifti1Image(np.asarray(mask.dataobj), moved).to_filename(shifted)
    with pytest.raises(ValueError, match=r"same shape, affine\n(.|\n)*vs\n"):
        group_mask(str(shifted), reference=str(reference), mask_file=str(shifted))
    probability = tmp_path / "probability.nii.gz"
    values = np.asarray(mask.dataobj) * np.linspace(0.1, 1, mask.shape[2])
    nib.Nifti1Image(values.astype(np.float32), networks.affine).to_filename(probability)
    with pytest.raises(ValueError, match=r"probability.nii.gz is not binary"):
        group_mask(str(probability), reference=str(reference), mask_file=str(probability))
    binary = tmp_path / "binary.nii.gz"
    nib.Nifti1Image(np.asarray(mask.dataobj), networks.affine).to_filename(binary)
    group_mask(str(binary), reference=str(reference), mask_file=str(binary))


def test_reduction_cache_marks_voxels_without_signal(subject, planted):
    """Constant voxels and voxels that are NaN throughout (zero for nilearn) do not vary."""
    img, _, _, _ = subject
    mask = planted[0]
    data = np.asanyarray(img.dataobj).copy()
    inside = np.argwhere(np.asarray(mask.dataobj) != 0)
    constant, missing = tuple(inside[0]), tuple(inside[1])
    data[constant] = 3.0
    data[missing] = np.nan
    changed = nib.Nifti1Image(data, img.affine, img.header)
    _, _, varies = reduce_subject(changed, mask, REDUCTION_PARAMS | {"n_components": 4})
    np.testing.assert_array_equal(varies, varying_voxels(data)[np.asarray(mask.dataobj) != 0])
    assert (~varies).sum() == 2


def test_an_empty_epi_mask_stops_naming_the_subject():
    from regions_connectome.decomposition import compute_subject_epi_mask

    rng = np.random.default_rng(0)
    tiny = nib.Nifti1Image(rng.normal(100, 1, size=(4, 4, 4, 5)).astype(np.float32), np.eye(4))
    with pytest.raises(ValueError, match="subject 03 .*: the EPI mask is empty"):
        compute_subject_epi_mask(tiny, "subject 03 (bold.nii.gz)")
