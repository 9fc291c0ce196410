"""regions_connectome.synthetic: the synthetic cohort."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

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


def test_network_recovery_pairs_each_network_with_its_component(planted):
    """Components that are the networks reordered, sign-flipped and noisy are found."""
    mask, networks, _ = planted
    truth = np.asarray(networks.dataobj, dtype=float)
    rng = np.random.default_rng(0)
    order = [2, 0, 3, 1]
    learned = truth[..., order] * np.array([1.0, -1.0, 1.0, 2.0])
    learned += 0.01 * rng.standard_normal(learned.shape) * (mask.get_fdata()[..., None] > 0)
    learned = np.concatenate([learned, rng.standard_normal(truth.shape[:3] + (1,))], axis=3)
    table = synthetic.network_recovery(networks, nib.Nifti1Image(learned, networks.affine), mask)
    inside = mask.get_fdata() > 0
    assert table["component"].tolist() == [order.index(k) for k in range(4)]
    for network, component, r in table.itertuples(index=False):
        expected = np.corrcoef(truth[inside][:, network], learned[inside][:, component])
        assert r == pytest.approx(abs(expected[0, 1]), abs=1e-12) and r > 0.9


def test_network_recovery_with_fewer_components_leaves_a_network_unpaired(planted):
    mask, networks, _ = planted
    first_two = nib.Nifti1Image(np.asarray(networks.dataobj)[..., :2], networks.affine)
    table = synthetic.network_recovery(networks, first_two, mask)
    assert table["component"].tolist()[:2] == [0, 1]
    assert table["component"].isna().sum() == 2 and (table["spatial_r"][2:] == 0).all()


def test_no_planted_difference_leaves_every_subject_as_it_was():
    coupling = synthetic.coupling_matrix(5)
    for group in synthetic.DEMO_GROUPS:
        assert synthetic.group_coupling(coupling, group, [], 0.8, 150) is not coupling
        np.testing.assert_array_equal(
            synthetic.group_coupling(coupling, group, [], 0.8, 150), coupling
        )
    np.testing.assert_array_equal(
        synthetic.group_coupling(coupling, "control", [[0, 2]], 0.8, 150), coupling
    )


def test_the_planted_difference_has_the_cohens_d_asked_for():
    """The groups' estimated couplings differ by the d asked for, in planted pairs only.

    Over many simulated subjects, in Fisher's z; an unplanted pair does not differ.
    """
    coupling = synthetic.coupling_matrix(5)
    n_volumes, d, n = 150, 0.8, 600
    z = {}
    for group in synthetic.DEMO_GROUPS:
        moved = synthetic.group_coupling(coupling, group, [[0, 2], [1, 2]], d, n_volumes)
        rng = np.random.default_rng(len(group))
        z[group] = np.array(
            [np.corrcoef(synthetic.network_timecourses(rng, moved, n_volumes).T) for _ in range(n)]
        )

    def cohens_d(a, b):
        control, patient = np.arctanh(z["control"][:, a, b]), np.arctanh(z["patient"][:, a, b])
        pooled = np.sqrt((control.var(ddof=1) + patient.var(ddof=1)) / 2)
        return (patient.mean() - control.mean()) / pooled

    # standard error of d at 600 + 600 subjects: about 0.06
    assert abs(cohens_d(0, 2) - d) < 0.2
    assert abs(cohens_d(1, 2) - d) < 0.2
    assert abs(cohens_d(3, 4)) < 0.2


def test_an_impossible_planted_difference_is_refused():
    coupling = synthetic.coupling_matrix(5)
    with pytest.raises(ValueError, match=r"\[0, 7\] is not a pair of the 5 planted networks"):
        synthetic.group_coupling(coupling, "patient", [[0, 7]], 0.8, 150)
    with pytest.raises(ValueError, match="not positive definite"):
        synthetic.group_coupling(coupling, "patient", [[0, 2], [0, 3], [2, 3]], 40.0, 150)


def test_demo_participants_are_balanced_groups_with_ages():
    table = synthetic.demo_participants(["01", "02", "03", "04"], 0)
    assert list(table["participant_id"]) == ["sub-01", "sub-02", "sub-03", "sub-04"]
    assert list(table["group"]) == ["control", "patient", "control", "patient"]
    assert table["age"].between(8, 16).all()
