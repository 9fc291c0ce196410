"""Unit tests of the science functions and the atomic writers."""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from conftest import ADHD_CONFOUNDS, REDUCTION_PARAMS
from regions_connectome import synthetic
from regions_connectome.connectivity import (
    check_region_signals,
    cohort_matrices,
    connectivity_matrix,
    subject_timeseries,
)
from regions_connectome.decomposition import (
    group_mask,
    make_estimator,
    reduce_subject,
    stack_reduced,
)
from regions_connectome.denoising import read_confounds
from regions_connectome.figures import matrix_range, plot_network
from regions_connectome.io import (
    atomic_output,
    read_tsv,
    write_arrays,
    write_nifti,
    write_tsv,
)
from regions_connectome.niimg import smoothed_in_mask, varying_voxels
from regions_connectome.provenance import file_record, methods_text, software_versions
from regions_connectome.quality import distance_to_group, framewise_displacement
from regions_connectome.regions import extract_regions, region_labels, regions_table


def test_mni_grid_matches_the_seed_geometry():
    affine, shape = synthetic.mni_grid(3.0)
    assert shape == (61, 73, 61)
    np.testing.assert_array_equal(affine[:3, 3], [-90, -126, -72])


def test_coupling_is_a_correlation_matrix():
    coupling = synthetic.coupling_matrix(5)
    np.testing.assert_array_equal(np.diag(coupling), 1)
    np.testing.assert_array_equal(coupling, coupling.T)
    assert np.linalg.eigvalsh(coupling).min() > 0


@pytest.fixture(scope="module")
def planted():
    mask = synthetic.brain_mask(6.0)
    networks, blobs = synthetic.plant_networks(mask, 4, 3, 8.0, np.random.default_rng(1))
    return mask, networks, blobs


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


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_outputs_get_the_permissions_of_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_tsv(pd.DataFrame({"a": [1.0]}), tmp_path / "shared.tsv")
    finally:
        os.umask(previous)
    assert (tmp_path / "shared.tsv").stat().st_mode & 0o777 == 0o640


def test_write_arrays_gives_equal_files_for_equal_arrays(tmp_path):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    write_arrays(tmp_path / "a.npz", data=data, varies=data[0] > 1)
    os.utime(tmp_path / "a.npz", (0, 0))
    write_arrays(tmp_path / "b.npz", data=data, varies=data[0] > 1)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = np.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(loaded["data"], data)
    assert loaded["varies"].tolist() == [False, False, True, True]


def test_write_nifti_keeps_float_data_with_a_uint8_header(tmp_path):
    header_from_mask = nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4)).header
    img = nib.Nifti1Image(np.full((2, 2, 2), 0.123456, np.float32), np.eye(4), header_from_mask)
    write_nifti(img, tmp_path / "x.nii.gz")
    back = nib.load(tmp_path / "x.nii.gz")
    assert back.get_data_dtype() == np.float32
    np.testing.assert_array_equal(back.get_fdata(), img.get_fdata())


def test_tsv_round_trip_keeps_nine_digits(tmp_path):
    frame = pd.DataFrame(
        [[1 / 3, -2 / 7]], index=pd.Index(["a"], name="region"), columns=["a", "b"]
    )
    write_tsv(frame, tmp_path / "m.tsv")
    np.testing.assert_allclose(read_tsv(tmp_path / "m.tsv").to_numpy(), frame.to_numpy(), rtol=1e-8)


def test_connectivity_matrix_is_a_shrunk_correlation():
    """Nilearn's default estimator (Ledoit-Wolf) shrinks towards the identity."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((200, 1))
    ts = np.hstack(
        [base, base + 0.3 * rng.standard_normal((200, 1)), rng.standard_normal((200, 1))]
    )
    matrix = connectivity_matrix(ts)
    np.testing.assert_allclose(np.diag(matrix), 1)
    np.testing.assert_allclose(matrix, matrix.T)
    assert 0.8 < matrix[0, 1] <= np.corrcoef(ts.T)[0, 1] + 1e-12
    assert abs(matrix[0, 2]) < 0.2


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


def test_regions_split_a_bilateral_network(planted):
    _, networks, blobs = planted
    regions_img, index = extract_regions(
        networks, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    # each network is three separate blobs: several regions each
    counts = np.bincount(index, minlength=4)
    assert (counts >= 2).all() and (counts <= 3).all(), counts
    table = regions_table(regions_img, index)
    assert table["label"].tolist() == region_labels(table["region"], table["component"])


def test_no_region_surviving_is_a_clear_error(planted):
    _, networks, _ = planted
    with pytest.raises(ValueError, match="no region survived"):
        extract_regions(networks, {"threshold": 0.5, "min_region_size": 1e9})


@pytest.fixture(scope="module")
def subject(planted):
    """One simulated subject (image, confounds) and the regions of the planted networks."""
    mask, networks, _ = planted
    coupling = synthetic.coupling_matrix(4)
    bold, confounds, _ = synthetic.simulate_subject(
        networks, mask, coupling, 80, np.random.default_rng(3)
    )
    img = nib.Nifti1Image(bold, mask.affine)
    regions_img, index = extract_regions(
        networks, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    return img, confounds, regions_img, index


SIGNAL_PARAMS = {
    "smoothing_fwhm": 6.0,
    "standardize": True,
    "standardize_confounds": True,
    "detrend": False,
    "low_pass": None,
    "high_pass": None,
    "t_r": None,
}


def timeseries_of(img, mask_img, regions_img, confounds):
    """The workflow's timeseries of an image: smoothed in the mask, then extracted."""
    data = np.asanyarray(img.dataobj)
    mask = np.asarray(mask_img.dataobj) != 0
    smoothed = smoothed_in_mask(data, img.affine, mask, SIGNAL_PARAMS["smoothing_fwhm"])
    regions = np.asanyarray(regions_img.dataobj)
    return subject_timeseries(
        smoothed, varying_voxels(data)[mask], mask, regions, SIGNAL_PARAMS, confounds
    )


def test_constant_and_collinear_confounds_change_nothing(subject, planted):
    """Documented: nilearn drops constant and collinear confound columns (QR)."""
    img, confounds, regions_img, _ = subject
    reference = timeseries_of(img, planted[0], regions_img, confounds.to_numpy())
    degenerate = confounds.assign(
        constant=1.0,
        collinear=confounds["trans_x"] + 2 * confounds["rot_z"],
        duplicate=confounds["trans_y"],
    )
    ours = timeseries_of(img, planted[0], regions_img, degenerate.to_numpy())
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, reference, atol=1e-5)


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


# nilearn's maps masker solves its least squares in the data's float32 over
# every voxel of the image; the workflow solves it in float64 on the voxels
# the regions cover (see tests/test_signals.py): equal up to nilearn's rounding.
NILEARN_FLOAT32_ATOL = 1e-3


def test_timeseries_equal_nilearns_maps_masker_on_the_image(subject, planted):
    from nilearn.maskers import NiftiMapsMasker

    img, confounds, regions_img, _ = subject
    ours = timeseries_of(img, planted[0], regions_img, confounds.to_numpy())
    masker = NiftiMapsMasker(regions_img, resampling_target="data", **SIGNAL_PARAMS).fit()
    reference = masker.transform(img, confounds=confounds.to_numpy())
    np.testing.assert_allclose(ours, reference, atol=NILEARN_FLOAT32_ATOL)
    smaller = np.zeros(planted[0].shape, dtype=bool)
    with pytest.raises(ValueError, match="subject 07: the regions reach outside the mask"):
        subject_timeseries(
            np.zeros((80, 0), np.float32),
            np.zeros(0, bool),
            smaller,
            np.asanyarray(regions_img.dataobj),
            SIGNAL_PARAMS,
            source="subject 07",
        )


def test_a_region_without_signal_stops_naming_it(subject, planted):
    img, _, regions_img, index = subject
    labels = region_labels(range(len(index)), index)
    support = np.asanyarray(regions_img.dataobj).reshape(-1, len(index)) != 0
    data = np.asarray(img.dataobj).copy()
    check_region_signals(varying_voxels(data).ravel(), support, labels, "subject 07")
    # the subject's image does not cover region 2: constant there
    data[np.asarray(regions_img.dataobj)[..., 2] > 0] = 0
    message = rf"subject 07: no signal in region\(s\) \['{labels[2]}'\]"
    with pytest.raises(ValueError, match=message):
        check_region_signals(varying_voxels(data).ravel(), support, labels, "subject 07")


def test_a_component_without_region_still_gets_its_figure(planted, tmp_path):
    """Documented: a component with no region left is drawn with "0 regions"."""
    mask, networks, _ = planted
    data = np.asarray(networks.dataobj).copy()
    data[..., 3] = 0
    data[tuple(np.argwhere(mask.get_fdata() > 0)[0]) + (3,)] = 1.0  # one lone voxel
    components = nib.Nifti1Image(data, networks.affine)
    regions_img, index = extract_regions(
        components, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    assert 3 not in index and {0, 1, 2} <= set(index)
    path = tmp_path / "network-3.png"
    plot_network(components, regions_img, index, 3, path, dpi=50)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_cohort_matrices_subject_kinds_and_tangent():
    rng = np.random.default_rng(4)
    mixing = rng.normal(size=(4, 4))
    series = [rng.normal(size=(n, 4)) @ mixing for n in (90, 120, 150)]
    matrices, mean = cohort_matrices(series, "correlation")
    for matrix, ts in zip(matrices, series, strict=True):
        np.testing.assert_allclose(matrix, connectivity_matrix(ts, "correlation"))
    np.testing.assert_allclose(mean, np.mean(matrices, axis=0))
    tangents, reference = cohort_matrices(series, "tangent")
    assert len(tangents) == 3
    # the reference is a covariance (symmetric positive definite); the
    # subjects' tangent matrices are symmetric deviations from it
    np.testing.assert_allclose(reference, reference.T, atol=1e-12)
    assert np.linalg.eigvalsh(reference).min() > 0
    for tangent in tangents:
        np.testing.assert_allclose(tangent, tangent.T, atol=1e-10)
    with pytest.raises(ValueError, match="no subject timeseries"):
        cohort_matrices([], "correlation")


def test_cohort_matrices_refuse_nan_naming_the_subject():
    rng = np.random.default_rng(0)
    series = [rng.standard_normal((40, 3)) for _ in range(3)]
    series[1][5, 2] = np.nan
    for kind in ("correlation", "covariance", "tangent"):
        with pytest.raises(ValueError, match=r"timeseries of subject\(s\) \['02'\]"):
            cohort_matrices(series, kind, subjects=["01", "02", "03"])
    with pytest.raises(ValueError, match=r"subject\(s\) \[1\]"):
        cohort_matrices(series, "correlation")
    # finite timeseries can still give a non-finite matrix: no signal at all
    series[1] = np.zeros((40, 3))
    with pytest.raises(
        ValueError, match=r"correlation values in the matrices of subject\(s\) \['02'\]"
    ):
        cohort_matrices(series, "correlation", subjects=["01", "02", "03"])


def test_matrix_range_per_kind():
    matrix = np.array([[5.0, -0.2], [-0.2, 3.0]])
    assert matrix_range(matrix, "correlation") == 1.0
    assert matrix_range(matrix, "covariance") == pytest.approx(0.2)


ADHD_FILES = sorted(ADHD_CONFOUNDS.glob("*/*_regressors.csv"))


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.stem)
def test_framewise_displacement_of_real_adhd_confounds(path):
    confounds = read_confounds(path)
    fd = framewise_displacement(confounds)
    assert len(fd) == len(confounds) and fd.iloc[0] == 0 and (fd >= 0).all()
    # ADHD-200 rotations are in degrees: arc length on a 50 mm sphere
    step = confounds.iloc[1] - confounds.iloc[0]
    expected = (
        step[["motion-x", "motion-y", "motion-z"]].abs().sum()
        + np.deg2rad(step[["motion-pitch", "motion-roll", "motion-yaw"]].abs()).sum() * 50
    )
    assert fd.iloc[1] == pytest.approx(expected)
    assert fd.mean() < 2.0, "FD of real data is a fraction of a millimetre on average"


def test_the_five_real_adhd_files_are_there():
    assert len(ADHD_FILES) == 5


def test_framewise_displacement_fmriprep_names_and_none():
    motion = pd.DataFrame(
        np.zeros((3, 6)), columns=["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    )
    motion.loc[2, "trans_x"], motion.loc[2, "rot_z"] = 0.3, 0.002
    np.testing.assert_allclose(framewise_displacement(motion), [0, 0, 0.3 + 0.002 * 50])
    assert framewise_displacement(pd.DataFrame({"csf": [1.0, 2.0]})) is None


def test_distance_to_group():
    group = np.array([[1, 0.5], [0.5, 1]])
    assert distance_to_group([group, group + 0.1], group) == pytest.approx([0, 0.1])


def test_methods_text_follows_the_config():
    config = {
        "mask": "template",
        "confounds": {"columns": ["csf", "wm"]},
        "connectivity_kinds": ["correlation"],
        "decomposition": {
            "method": "canica", "n_components": 20, "smoothing_fwhm": 6.0, "detrend": True,
            "random_state": 0, "threshold": "auto", "n_init": 10,
        },
        "regions": {
            "threshold": 0.5, "thresholding_strategy": "ratio_n_voxels",
            "extractor": "local_regions", "min_region_size": 1350, "smoothing_fwhm": 6.0,
            "standardize": True,
        },
    }  # fmt: skip
    text = methods_text(config, 5, [175, 176, 261], True)
    assert "5 subjects (175 to 261 volumes each)" in text
    assert "CanICA" in text and "20 group components" in text
    assert "MNI152 brain mask" in text and "`csf`, `wm`" in text
    assert "Varoquaux G. et al. (2010). A group model" in text and "tangent" not in text


def test_software_versions_and_file_record(tmp_path):
    versions = software_versions()
    assert versions["nilearn"].startswith("0.") and versions["python"].count(".") == 2
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    record = file_record(path)
    assert record["bytes"] == 3
    assert record["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_names_the_output_and_keeps_nothing(tmp_path):
    import subprocess

    folder = tmp_path / "full"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
    try:
        big = pd.DataFrame(np.random.default_rng(0).normal(size=(2000, 20)))
        target = folder / "table.tsv"
        with pytest.raises(OSError, match=f"could not write {target}: no space left"):
            write_tsv(big, target)
        assert list(folder.iterdir()) == []
    finally:
        subprocess.run(["umount", str(folder)], check=True)
