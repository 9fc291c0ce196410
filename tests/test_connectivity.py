"""regions_connectome.connectivity: timeseries and matrices, against nilearn's.

Tolerance 1e-12 (relative to the largest entry): the same operations in the
same order as nilearn's ConnectivityMeasure and scikit-learn's LedoitWolf.
"""

from __future__ import annotations

import numpy as np
import pytest
from nilearn.connectome import ConnectivityMeasure
from sklearn.covariance import LedoitWolf

from regions_connectome.connectivity import (
    check_region_signals,
    ledoit_wolf_covariance,
    subject_connectivity,
    subject_timeseries,
    tangent_matrices,
)
from regions_connectome.niimg import smoothed_in_mask, varying_voxels
from regions_connectome.regions import region_labels


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
    from regions_connectome.connectivity import subject_matrices

    matrices = subject_matrices(timeseries, ["correlation", "covariance"], "subject 04")
    assert [m.shape for m in matrices] == [(12, 12), (12, 12)]
    broken = timeseries.copy()
    broken[3, 2] = np.nan
    with pytest.raises(ValueError, match="subject 04: non-finite values in the timeseries"):
        subject_matrices(broken, ["correlation"], "subject 04")
    flat = np.zeros_like(timeseries)  # no signal anywhere: zero variances
    with pytest.raises(ValueError, match="subject 04: non-finite correlation values"):
        subject_matrices(flat, ["correlation"], "subject 04")


def test_group_mean_names_the_subjects_of_non_finite_matrices(timeseries):
    from regions_connectome.connectivity import group_mean

    matrix = subject_connectivity(timeseries, "correlation")
    np.testing.assert_allclose(group_mean([matrix, 3 * matrix], ["a", "b"]), 2 * matrix)
    with pytest.raises(ValueError, match=r"subject\(s\) \['b'\]"):
        group_mean([matrix, matrix * np.nan], ["a", "b"])


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
    with pytest.raises(ValueError, match=r"timeseries of subject\(s\) \['02'\]"):
        tangent_matrices(series, subjects=["01", "02", "03"])
    with pytest.raises(ValueError, match=r"subject\(s\) \[1\]"):
        tangent_matrices(series)
