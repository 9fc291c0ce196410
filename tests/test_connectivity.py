"""regions_connectome.connectivity: per-subject matrices against nilearn's.

Tolerance 1e-12 (relative to the largest entry): the same operations in the
same order as nilearn's ConnectivityMeasure and scikit-learn's LedoitWolf.
"""

from __future__ import annotations

import numpy as np
import pytest
from nilearn.connectome import ConnectivityMeasure
from sklearn.covariance import LedoitWolf

from regions_connectome.connectivity import ledoit_wolf_covariance, subject_connectivity


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
