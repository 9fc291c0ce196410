"""regions_connectome.connectivity: timeseries and matrices, against nilearn's.

Tolerance 1e-12 (relative to the largest entry): the same operations in the
same order as nilearn's ConnectivityMeasure and scikit-learn's LedoitWolf.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from nilearn.connectome import ConnectivityMeasure
from scipy.ndimage import distance_transform_edt
from sklearn.covariance import LedoitWolf

from helpers import NILEARN_FLOAT32_ATOL, SIGNAL_PARAMS, timeseries_of
from regions_connectome.connectivity import (
    coverage_table,
    group_mean,
    ledoit_wolf_covariance,
    region_coverage,
    reported_regions,
    subject_connectivity,
    subject_matrices,
    subject_timeseries,
    tangent_matrices,
)


@pytest.fixture(scope="module")
def timeseries():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(12, 12))
    return rng.normal(size=(150, 12)) @ mixing + 3.0


def test_ledoit_wolf_is_scikit_learns(timeseries):
    expected = LedoitWolf(store_precision=False).fit(timeseries).covariance_
    np.testing.assert_allclose(ledoit_wolf_covariance(timeseries), expected, rtol=1e-12)
    one = timeseries[:, :1]
    np.testing.assert_allclose(
        ledoit_wolf_covariance(one), LedoitWolf().fit(one).covariance_, rtol=1e-12
    )


@pytest.mark.parametrize("kind", ["correlation", "partial correlation", "covariance", "precision"])
def test_subject_connectivity_is_nilearns(timeseries, kind):
    expected = ConnectivityMeasure(kind=kind).fit_transform([timeseries])[0]
    ours = subject_connectivity(timeseries, kind)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_tangent_is_not_a_subject_level_kind(timeseries):
    with pytest.raises(ValueError, match="fitted on the group"):
        subject_connectivity(timeseries, "tangent")


def test_subject_matrices_name_the_subject_of_non_finite_values(timeseries):
    matrices = subject_matrices(timeseries, ["correlation", "covariance"], "subject 04")
    assert [m.shape for m in matrices] == [(12, 12), (12, 12)]
    broken = timeseries.copy()
    broken[3, 2] = np.nan
    with pytest.raises(ValueError, match="subject 04: non-finite values in the timeseries"):
        subject_matrices(broken, ["correlation"], "subject 04")
    flat = np.zeros_like(timeseries)  # no signal anywhere: zero variances
    with pytest.raises(ValueError, match="subject 04: non-finite correlation values"):
        subject_matrices(flat, ["correlation"], "subject 04")


def test_group_mean_names_the_subjects_of_infinite_matrices(timeseries):
    matrix = subject_connectivity(timeseries, "correlation")
    np.testing.assert_allclose(group_mean([matrix, 3 * matrix], ["a", "b"]), 2 * matrix)
    with pytest.raises(ValueError, match=r"matrices of subject b$"):
        group_mean([matrix, matrix * np.inf], ["a", "b"])


def test_a_region_without_signal_is_na_in_the_matrices_and_skipped_by_the_mean(timeseries):
    """A NaN column (a region below min_coverage) gives NaN rows and columns.

    The other entries are the matrix of the other regions, and the group mean
    averages each pair over the subjects that have it.
    """
    lacking = timeseries.copy()
    lacking[:, 4] = np.nan
    others = np.delete(np.arange(12), 4)
    for kind in ("correlation", "partial correlation", "covariance", "precision"):
        (matrix,) = subject_matrices(lacking, [kind], "subject 04")
        assert np.isnan(matrix[4]).all() and np.isnan(matrix[:, 4]).all()
        expected = subject_connectivity(timeseries[:, others], kind)
        np.testing.assert_allclose(matrix[np.ix_(others, others)], expected, rtol=1e-12)
    full = subject_connectivity(timeseries)
    (partial,) = subject_matrices(lacking, ["correlation"])
    mean = group_mean([full, partial], ["a", "b"])
    np.testing.assert_allclose(mean[4], full[4])
    np.testing.assert_allclose(
        mean[np.ix_(others, others)], (full + partial)[np.ix_(others, others)] / 2
    )
    assert np.isnan(group_mean([partial, partial], ["a", "b"])[4]).all()


def test_min_coverage_moves_no_other_pair(timeseries):
    """A region below min_coverage is n/a, and every other pair keeps its value.

    Ledoit-Wolf's shrinkage and the partial correlations depend on every
    region estimated together: the region stays in the estimate and only its
    rows and columns are reported n/a.
    """
    reported = np.arange(12) != 4
    for kind in ("correlation", "partial correlation", "covariance", "precision"):
        full = subject_connectivity(timeseries, kind)
        (matrix,) = subject_matrices(timeseries, [kind], "subject 04", reported)
        assert np.isnan(matrix[4]).all() and np.isnan(matrix[:, 4]).all()
        np.testing.assert_allclose(
            matrix[np.ix_(reported, reported)], full[np.ix_(reported, reported)], rtol=1e-12
        )
        # estimated without the region, the other pairs would move
        alone = subject_connectivity(timeseries[:, reported], kind)
        assert not np.allclose(alone, full[np.ix_(reported, reported)], rtol=0, atol=1e-9)


def test_tangent_is_fitted_on_the_regions_every_subject_has():
    rng = np.random.default_rng(2)
    mixing = rng.normal(size=(4, 4))
    series = [rng.normal(size=(n, 4)) @ mixing for n in (90, 120, 150)]
    lacking = [s.copy() for s in series]
    lacking[1][:, 3] = np.nan
    matrices, reference = tangent_matrices(lacking)
    expected, expected_reference = tangent_matrices([s[:, :3] for s in series])
    assert np.isnan(reference[3]).all() and np.isnan(matrices[0][:, 3]).all()
    np.testing.assert_allclose(reference[:3, :3], expected_reference, rtol=1e-12)
    for ours, theirs in zip(matrices, expected, strict=True):
        np.testing.assert_allclose(ours[:3, :3], theirs, rtol=1e-10, atol=1e-12)


def test_correlation_is_shrunk():
    """Nilearn's default estimator (Ledoit-Wolf) shrinks towards the identity."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((200, 1))
    ts = np.hstack(
        [base, base + 0.3 * rng.standard_normal((200, 1)), rng.standard_normal((200, 1))]
    )
    matrix = subject_connectivity(ts)
    np.testing.assert_allclose(np.diag(matrix), 1)
    np.testing.assert_allclose(matrix, matrix.T)
    assert 0.8 < matrix[0, 1] <= np.corrcoef(ts.T)[0, 1] + 1e-12
    assert abs(matrix[0, 2]) < 0.2


def test_constant_and_collinear_confounds_change_nothing(subject, planted):
    """Documented: nilearn drops constant and collinear confound columns (QR)."""
    img, confounds, regions_img, _ = subject
    reference, _ = timeseries_of(img, planted[0], regions_img, confounds.to_numpy())
    degenerate = confounds.assign(
        constant=1.0,
        collinear=confounds["trans_x"] + 2 * confounds["rot_z"],
        duplicate=confounds["trans_y"],
    )
    ours, _ = timeseries_of(img, planted[0], regions_img, degenerate.to_numpy())
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_timeseries_equal_nilearns_maps_masker_on_the_image(subject, planted):
    from nilearn.maskers import NiftiMapsMasker

    img, confounds, regions_img, _ = subject
    ours, _ = timeseries_of(img, planted[0], regions_img, confounds.to_numpy())
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


def test_coverage_is_the_fraction_of_a_regions_voxels_with_signal():
    support = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    varies = np.array([True, False, True, True])
    np.testing.assert_allclose(region_coverage(varies, support), [2 / 3, 1.0, 0.0])
    sidecars = [
        {"InputLabel": "01", "RegionCoverage": {"a": 1.0, "b": 0.25}},
        {"InputLabel": "02", "RegionCoverage": {"a": 0.5, "b": 0.0}},
    ]
    subjects, table = coverage_table(sidecars, ["b", "a"])  # in the regions table's order
    assert subjects == ["01", "02"]
    np.testing.assert_array_equal(table, [[0.25, 1.0], [0.0, 0.5]])


OTHERS_ATOL = 1e-6
FWHM = SIGNAL_PARAMS["smoothing_fwhm"]


def test_a_region_below_min_coverage_has_no_signal(subject, planted):
    """A region the image does not cover is n/a (below min_coverage).

    The others keep the numbers they have with full coverage; a partly covered
    region is fitted on its voxels with signal.
    """
    img, confounds, regions_img, index = subject
    regions = np.asanyarray(regions_img.dataobj)
    data = np.asarray(img.dataobj).copy()
    reference, coverage = timeseries_of(img, planted[0], regions_img, confounds.to_numpy())
    np.testing.assert_array_equal(coverage, 1.0)
    # the image covers none of region 2 and about half of region 0's voxels
    data[regions[..., 2] > 0] = 0
    half = np.argwhere(regions[..., 0] > 0)
    data[tuple(half[: len(half) // 2].T)] = 0
    cut = nib.Nifti1Image(data, img.affine)
    params = SIGNAL_PARAMS | {"min_coverage": 0.6}
    ours, coverage = timeseries_of(cut, planted[0], regions_img, confounds.to_numpy(), params)
    assert coverage[2] == 0 and 0.4 < coverage[0] < 0.6
    assert (np.delete(coverage, [0, 2]) == 1).all()
    # no signal at all: NaN; below min_coverage: fitted, and not reported
    assert np.isnan(ours[:, 2]).all() and np.isfinite(np.delete(ours, 2, 1)).all()
    np.testing.assert_array_equal(
        reported_regions(coverage, 0.6), np.isin(np.arange(len(index)), [0, 2], invert=True)
    )
    np.testing.assert_array_equal(reported_regions(coverage, 0.4), np.arange(len(index)) != 2)
    lower, _ = timeseries_of(
        cut, planted[0], regions_img, confounds.to_numpy(), params | {"min_coverage": 0.4}
    )
    np.testing.assert_array_equal(lower, ours)  # the threshold moves no signal
    # regions beyond the smoothing's reach of the cut keep their numbers
    cut_voxels = (regions[..., 2] > 0) | (regions[..., 0] > 0)
    distance = distance_transform_edt(~cut_voxels, sampling=img.header.get_zooms()[:3])
    far = [k for k in range(len(index)) if distance[regions[..., k] > 0].min() > 2 * FWHM]
    assert len(far) >= 3
    np.testing.assert_allclose(ours[:, far], reference[:, far], atol=OTHERS_ATOL)
    blank = nib.Nifti1Image(np.zeros_like(data), img.affine)
    with pytest.raises(ValueError, match="subject 07: no region has signal in at least 60%"):
        timeseries_of(blank, planted[0], regions_img, None, params, source="subject 07")


def test_labels_timeseries_equal_nilearns_labels_masker(subject, planted):
    """A 3D image of labels: NiftiLabelsMasker's mean signal per label."""
    from nilearn.maskers import NiftiLabelsMasker

    img, confounds, regions_img, _ = subject
    maps = np.asanyarray(regions_img.dataobj)
    labels = np.where(maps.max(axis=3) > 0, 10 * (maps.argmax(axis=3) + 1), 0).astype(np.int32)
    labels_img = nib.Nifti1Image(labels, img.affine)
    mask = labels != 0
    ours, coverage = timeseries_of(img, mask_img_of(mask, img), labels_img, confounds.to_numpy())
    masker = NiftiLabelsMasker(labels_img, resampling_target="data", **SIGNAL_PARAMS).fit()
    reference = masker.transform(img, confounds=confounds.to_numpy())
    np.testing.assert_array_equal(coverage, 1.0)
    np.testing.assert_allclose(ours, reference, atol=NILEARN_FLOAT32_ATOL)


def mask_img_of(mask, img):
    return nib.Nifti1Image(mask.astype(np.uint8), img.affine)


def test_tangent_matrices_are_symmetric_around_a_covariance():
    rng = np.random.default_rng(4)
    mixing = rng.normal(size=(4, 4))
    series = [rng.normal(size=(n, 4)) @ mixing for n in (90, 120, 150)]
    tangents, reference = tangent_matrices(series)
    assert len(tangents) == 3
    # the reference is a covariance (symmetric positive definite); the
    # subjects' tangent matrices are symmetric deviations from it
    np.testing.assert_allclose(reference, reference.T, atol=1e-12)
    assert np.linalg.eigvalsh(reference).min() > 0
    for tangent in tangents:
        np.testing.assert_allclose(tangent, tangent.T, atol=1e-10)
    with pytest.raises(ValueError, match="no subject timeseries"):
        tangent_matrices([])


def test_tangent_matrices_refuse_nan_naming_the_subject():
    rng = np.random.default_rng(0)
    series = [rng.standard_normal((40, 3)) for _ in range(3)]
    series[1][5, 2] = np.nan
    with pytest.raises(ValueError, match=r"timeseries of subject 02$"):
        tangent_matrices(series, subjects=["01", "02", "03"])
    with pytest.raises(ValueError, match=r"timeseries of subject 1$"):
        tangent_matrices(series)


def test_the_long_table_holds_each_pair_of_each_matrix_once(tmp_path):
    import pandas as pd

    from regions_connectome.connectivity import write_long_table
    from regions_connectome.io import write_tsv

    labels = ["a", "b", "c"]
    first = pd.DataFrame([[1.0, 0.5, np.nan], [0.5, 1.0, -0.25], [np.nan, -0.25, 1.0]],
                         index=labels, columns=labels)  # fmt: skip
    files = []
    for key, matrix in {("01", "correlation"): first, ("02", "covariance"): 2 * first}.items():
        path = tmp_path / f"{key[0]}_{key[1]}.tsv"
        write_tsv(matrix, path)
        files.append((key, path))
    write_long_table(files, tmp_path / "long.tsv")
    table = pd.read_csv(tmp_path / "long.tsv", sep="\t", dtype={"input": str})
    assert table.columns.tolist() == ["input", "kind", "region_a", "region_b", "value"]
    assert len(table) == 2 * 6
    row = table.query("input == '02' and region_a == 'b' and region_b == 'c'")
    assert row["kind"].item() == "covariance" and row["value"].item() == -0.5
    assert table.query("region_a == 'a' and region_b == 'c'")["value"].isna().all()


def test_runs_are_combined_per_participant_before_the_group():
    from regions_connectome.connectivity import combine_runs, group_mean

    a = np.array([[1.0, 0.2], [0.2, 1.0]])
    b = np.array([[1.0, 0.6], [0.6, 1.0]])
    c = np.array([[1.0, np.nan], [np.nan, 1.0]])
    labels = ["01_task-rest_run-1", "01_task-rest_run-2", "02_task-rest", "03_ses-A_task-rest"]
    units, names = combine_runs([a, b, a, c], labels)
    assert names == ["01", "02", "03"]
    np.testing.assert_allclose(units[0], (a + b) / 2)
    group = group_mean(units, names)
    assert group[0, 1] == pytest.approx((0.4 + 0.2) / 2)  # 03 lacks the pair
    runs, names = combine_runs([a, b, a, c], labels, unit="run")
    assert names == labels and group_mean(runs, names)[0, 1] == pytest.approx(1.0 / 3)


def test_the_tangent_reference_counts_each_participant_once():
    from regions_connectome.connectivity import tangent_matrices

    rng = np.random.default_rng(0)
    series = [rng.standard_normal((80, 4)) @ rng.standard_normal((4, 4)) for _ in range(4)]
    labels = ["01_run-1", "01_run-2", "02", "03"]
    matrices, group = tangent_matrices(series, labels, unit="participant")
    measure = ConnectivityMeasure(kind="tangent")
    measure.fit([np.concatenate(series[:2]), series[2], series[3]])
    np.testing.assert_allclose(group, measure.mean_, atol=1e-12)
    for ours, theirs in zip(matrices, measure.transform(series), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    _, by_run = tangent_matrices(series, labels, unit="run")
    assert not np.allclose(by_run, group)
