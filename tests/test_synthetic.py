"""regions_connectome.synthetic: the synthetic cohort."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from regions_connectome import synthetic


def test_mni_grid_matches_the_seed_geometry():
    affine, shape = synthetic.mni_grid(3.0)
    assert shape == (61, 73, 61)
    np.testing.assert_array_equal(affine[:3, 3], [-90, -126, -72])


def test_coupling_is_a_correlation_matrix():
    coupling = synthetic.coupling_matrix(5)
    np.testing.assert_array_equal(np.diag(coupling), 1)
    np.testing.assert_array_equal(coupling, coupling.T)
    assert np.linalg.eigvalsh(coupling).min() > 0


def test_planted_blobs_are_separate_and_inside(planted):
    mask, networks, blobs = planted
    assert len(blobs) == 12
    centres = blobs[["x", "y", "z"]].to_numpy()
    d = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    assert d[np.triu_indices(12, 1)].min() >= 4.5 * 8.0
    ijk = np.rint(nib.affines.apply_affine(np.linalg.inv(mask.affine), centres)).astype(int)
    assert mask.get_fdata()[tuple(ijk.T)].all()
    assert networks.get_fdata()[mask.get_fdata() == 0].max() == 0


def test_simulated_subject_couples_networks_and_confounds_contaminate(planted):
    mask, networks, _ = planted
    coupling = synthetic.coupling_matrix(4)
    bold, confounds, truth = synthetic.simulate_subject(
        networks, mask, coupling, 400, np.random.default_rng(2)
    )
    assert bold.shape == (*mask.shape, 400) and bold.dtype == np.float32
    assert list(confounds.columns) == list(synthetic.MOTION_COLUMNS)
    np.testing.assert_allclose(np.corrcoef(truth.T), coupling, atol=0.15)
    # a voxel far from every blob follows the motion: confounds explain it
    inside = mask.get_fdata() > 0
    quiet = inside & (networks.get_fdata().sum(-1) == 0)
    series = bold[quiet][:500].T
    design = np.column_stack([confounds.to_numpy(), np.ones(400)])
    residual = series - design @ np.linalg.lstsq(design, series, rcond=None)[0]
    assert residual.var(axis=0).mean() < 0.8 * series.var(axis=0).mean()
