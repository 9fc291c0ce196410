"""regions_connectome.signals against nilearn's own functions.

Tolerances: the cleaning and the reduction repeat nilearn's operations in the
same order and are asserted bit for bit where nilearn computes in the same
dtype. The regional least squares is solved in float64 where nilearn solves
it in the data's float32: against nilearn run on float64 data it agrees to
1e-10; against nilearn on float32 data, to nilearn's own float32 error.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn.decomposition._base import _fast_svd, _mask_and_reduce_single
from nilearn.maskers import MultiNiftiMasker, NiftiMapsMasker
from nilearn.signal import clean as nilearn_clean

from helpers import REDUCTION_PARAMS
from regions_connectome import signals


@pytest.fixture(scope="module")
def timeseries():
    """Correlated float32 signals with a trend, and confounds that explain part of them."""
    rng = np.random.default_rng(0)
    n = 120
    confounds = rng.normal(size=(n, 6)).cumsum(axis=0)
    mixing = rng.normal(size=(6, 700))
    data = 100 + confounds @ mixing + rng.normal(size=(n, 700)) * 5 + np.arange(n)[:, None] * 0.1
    return data.astype(np.float32), confounds


def nilearn(signals_, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nilearn_clean(signals_, **kwargs)


CASES = [
    {"detrend": True, "standardize": True},
    {"detrend": False, "standardize": "zscore_sample"},
    {"detrend": True, "standardize": "psc"},
    {"detrend": False, "standardize": False},
    {"detrend": True, "standardize": True, "confounds": True},
    {"detrend": False, "standardize": True, "confounds": True, "standardize_confounds": False},
    {"detrend": False, "standardize": True, "confounds": True, "sample_mask": True},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clean_is_nilearns(timeseries, case, dtype):
    data, confounds = timeseries
    data = data.astype(dtype)
    kwargs = {"detrend": case["detrend"], "standardize": case["standardize"]}
    if case.get("confounds"):
        kwargs["confounds"] = confounds
        kwargs["standardize_confounds"] = case.get("standardize_confounds", True)
    if case.get("sample_mask"):
        kwargs["sample_mask"] = np.setdiff1d(np.arange(len(data)), [3, 4, 50, 51, 52])
    ours = signals.clean(
        data,
        detrend_signals=kwargs["detrend"],
        standardize_signals=kwargs["standardize"],
        confounds=kwargs.get("confounds"),
        standardize_confounds=kwargs.get("standardize_confounds", True),
        sample_mask=kwargs.get("sample_mask"),
    )
    reference = nilearn(data, **kwargs)
    assert ours.dtype == reference.dtype
    np.testing.assert_array_equal(ours, reference)


def test_clean_with_temporal_filters_is_nilearns(timeseries):
    data, confounds = timeseries
    kwargs = {"low_pass": 0.1, "high_pass": 0.01, "t_r": 2.0}
    ours = signals.clean(data, True, True, confounds, True, None, **kwargs)
    reference = nilearn(data, detrend=True, standardize=True, confounds=confounds, **kwargs)
    np.testing.assert_array_equal(ours, reference)


def test_clean_keeps_non_finite_values_as_nilearn(timeseries):
    data = timeseries[0].copy()
    data[5, 3] = np.nan
    data[7, 9] = np.inf
    np.testing.assert_array_equal(
        signals.clean(data, True, True), nilearn(data, detrend=True, standardize=True)
    )


@pytest.mark.parametrize("n_components", [5, 20, 100])
@pytest.mark.parametrize("n_voxels", [300, 4000])
def test_reduction_is_nilearns_fast_svd(timeseries, n_components, n_voxels):
    """Randomized (large), exact (small or many components) and the sign flip."""
    data = signals.clean(timeseries[0], True, True)
    data = np.tile(data, (1, n_voxels // data.shape[1] + 1))[:, :n_voxels]
    data += np.random.default_rng(1).normal(size=data.shape).astype(np.float32)
    ours = signals.reduce_signals(data, n_components, random_state=0)
    u, s, _ = _fast_svd(data.T, min(n_components, len(data)), random_state=0)
    expected = u.T.copy() * s[:, np.newaxis]
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


def test_reduction_is_nilearns_per_subject_reduction(small_cohort):
    """Masker (smoothing, detrending, z-scoring) and SVD: _mask_and_reduce_single."""
    from regions_connectome.decomposition import fitted_masker, reduce_subject
    from regions_connectome.niimg import epi_mask, load_functional

    img = load_functional(small_cohort.parent / "sub-02_bold.nii.gz")
    mask = nib.Nifti1Image(epi_mask(np.asanyarray(img.dataobj)).astype(np.uint8), img.affine)
    params = REDUCTION_PARAMS
    reduced, smoothed, varies = reduce_subject(img, mask, params)
    masker = fitted_masker("dictlearning", params, mask)
    assert isinstance(masker, MultiNiftiMasker)
    expected = _mask_and_reduce_single(
        masker,
        img,
        None,
        reduction_ratio=None,
        n_samples=params["n_components"],
        random_state=params["random_state"],
    )
    np.testing.assert_array_equal(reduced, expected)
    assert smoothed.shape == (img.shape[3], int(np.asarray(mask.dataobj).sum())) and varies.all()


def maps_problem(dtype):
    """Overlapping maps on a small grid, and data made of their signals."""
    rng = np.random.default_rng(2)
    shape, n_regions, n = (12, 12, 12), 4, 50
    grid = np.indices(shape).reshape(3, -1).T
    centres = rng.uniform(3, 9, size=(n_regions, 3))
    maps = np.exp(-((grid[:, None, :] - centres[None]) ** 2).sum(-1) / 8.0)
    maps[maps < 0.2] = 0
    data = maps @ rng.normal(size=(n_regions, n)) + rng.normal(size=(len(grid), n)) * 0.1
    affine = np.eye(4)
    maps_img = nib.Nifti1Image(maps.reshape(*shape, n_regions).astype(dtype), affine)
    img = nib.Nifti1Image(data.reshape(*shape, n).astype(dtype), affine)
    return img, maps_img


def test_region_signals_are_nilearns_least_squares():
    img, maps_img = maps_problem(np.float64)
    masker = NiftiMapsMasker(maps_img, standardize=False, detrend=False).fit()
    reference = masker.transform(img)
    maps = np.asanyarray(maps_img.dataobj).reshape(-1, 4)
    covered = maps.any(axis=1)
    data = np.asanyarray(img.dataobj).reshape(-1, 50)[covered].T
    ours = signals.region_signals(data, maps[covered])
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-10)
    # nilearn on float32 data solves in float32: the same up to its rounding
    img32, maps32 = maps_problem(np.float32)
    float32 = NiftiMapsMasker(maps32, standardize=False, detrend=False).fit().transform(img32)
    np.testing.assert_allclose(ours, float32, atol=1e-4 * np.abs(reference).max())
