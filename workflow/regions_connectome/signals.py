"""Signals in the per-subject jobs: cleaning, SVD reduction, regional least squares.

The numerical steps of nilearn that the per-subject jobs need, with numpy and
SciPy only (see :mod:`regions_connectome.niimg` for why):
:func:`clean` is ``nilearn.signal.clean`` (detrending, confound regression,
censoring, standardisation), :func:`reduce_signals` nilearn's per-subject
reduction in ``DictLearning``/``CanICA`` (scikit-learn's randomized SVD with
the same random draws), :func:`region_signals` the least squares of
``NiftiMapsMasker``. ``tests/test_signals.py`` proves each against nilearn's
own function. Temporal filters (``low_pass``, ``high_pass``) are handed to
nilearn's ``clean`` itself: they are the only case that imports nilearn.
"""

from __future__ import annotations

import numpy as np

EPS = np.finfo(np.float64).eps


def _even_slices(n, n_packs):
    """scikit-learn's ``gen_even_slices``: nilearn detrends in these batches."""
    start = 0
    for pack in range(n_packs):
        size = n // n_packs + (1 if pack < n % n_packs else 0)
        if size > 0:
            yield slice(start, start + size)
            start += size


def detrend(signals):
    """Remove each column's mean and linear trend (a copy; nilearn's ``_detrend``).

    Parameters
    ----------
    signals : numpy.ndarray of float, shape (n_samples, n_signals)
        Time first; not modified.

    Returns
    -------
    numpy.ndarray
    """
    signals = np.array(signals, order="K")
    if signals.shape[0] == 1:
        return signals
    signals -= np.mean(signals, axis=0)
    regressor = np.arange(signals.shape[0], dtype=signals.dtype)
    regressor -= regressor.mean()
    norm = np.sqrt((regressor**2).sum())
    if not norm < EPS:
        regressor /= norm
    regressor = regressor[:, np.newaxis]
    n_batches = 1 if signals.shape[1] < 500 else 10
    for batch in _even_slices(signals.shape[1], n_batches):
        signals[:, batch] -= np.dot(regressor[:, 0], signals[:, batch]) * regressor
    return signals


def standardize(signals, kind, detrended=False):
    """z-score or percent signal change per column (nilearn's ``standardize_signal``).

    Parameters
    ----------
    signals : numpy.ndarray of float, shape (n_samples, n_signals)
        Not modified.
    kind : {"zscore", "zscore_sample", "psc"} or None
        ``"zscore"`` divides by the population standard deviation,
        ``"zscore_sample"`` by the sample one; None only copies.
    detrended : bool, default=False
        Whether the columns are already centred.

    Returns
    -------
    numpy.ndarray
    """
    signals = signals.copy()
    if kind is None or signals.shape[0] == 1:
        return signals
    if kind == "psc":
        mean = signals.mean(axis=0)
        invalid = np.absolute(mean) < EPS
        signals = (signals - mean) / np.absolute(mean)
        signals *= 100
        signals[:, invalid] = 0
        return signals
    if not detrended:
        signals = signals - signals.mean(axis=0)
    std = signals.std(axis=0, ddof=1 if kind == "zscore_sample" else 0)
    std[std < EPS] = 1.0
    signals /= std
    return signals


def _standardize_kind(value):
    """Read ``standardize`` as nilearn 0.13 does: True is the population z-score."""
    if value is True:
        return "zscore"
    if value is False:
        return None
    return value


def clean(
    signals,
    detrend_signals=True,
    standardize_signals="zscore",
    confounds=None,
    standardize_confounds=True,
    sample_mask=None,
    low_pass=None,
    high_pass=None,
    t_r=None,
):
    """Detrend, regress out confounds, censor and standardise, as nilearn does.

    ``nilearn.signal.clean`` with its defaults otherwise (no runs, no
    filter, non-finite values kept): censored volumes are dropped first,
    confounds are detrended and standardised alongside the signals and
    projected out through a pivoted QR.

    Parameters
    ----------
    signals : numpy.ndarray, shape (n_samples, n_signals)
        Not modified.
    detrend_signals : bool, default=True
        Remove each signal's linear trend (and the confounds').
    standardize_signals : bool, {"zscore", "zscore_sample", "psc"} or None
        True means nilearn 0.13's ``"zscore"``.
    confounds : numpy.ndarray, shape (n_samples[, n_confounds]), or None
        Regressed out; one row per sample (before censoring).
    standardize_confounds : bool, default=True
        z-score the confounds before the regression.
    sample_mask : numpy.ndarray of int or None, default=None
        Indices of the volumes kept.
    low_pass, high_pass, t_r : float or None
        Temporal filtering; if set, nilearn's ``clean`` does the work.

    Returns
    -------
    numpy.ndarray, shape (n_kept, n_signals)
        In the signals' float dtype.
    """
    if low_pass is not None or high_pass is not None:
        from nilearn.signal import clean as nilearn_clean

        return nilearn_clean(
            signals,
            detrend=detrend_signals,
            standardize=standardize_signals,
            confounds=confounds,
            standardize_confounds=standardize_confounds,
            sample_mask=sample_mask,
            low_pass=low_pass,
            high_pass=high_pass,
            t_r=t_r,
        )
    kind = _standardize_kind(standardize_signals)
    signals = signals.copy()
    if signals.dtype.kind != "f":
        signals = signals.astype(np.float64 if signals.dtype.itemsize == 8 else np.float32)
    if confounds is not None:
        confounds = np.asarray(confounds)
        if confounds.ndim == 1:
            confounds = confounds[:, np.newaxis]
        if confounds.shape[0] != signals.shape[0]:
            raise ValueError(
                f"confounds have {confounds.shape[0]} rows for {signals.shape[0]} samples"
            )
        if confounds.dtype.kind != "f":
            confounds = confounds.astype(np.float64)
    if sample_mask is not None:
        signals = signals[sample_mask, :]
        if confounds is not None:
            confounds = confounds[sample_mask, :]
    original_mean = signals.mean(axis=0)
    if detrend_signals:
        signals = detrend(signals)
        if confounds is not None:
            confounds = detrend(confounds)
    if confounds is not None:
        confounds = standardize(confounds, None if standardize_confounds is False else "zscore")
        if not standardize_confounds:
            largest = np.max(np.abs(confounds), axis=0)
            largest[largest == 0] = 1
            confounds /= largest
        from scipy.linalg import qr

        q, r, _ = qr(confounds, mode="economic", pivoting=True)
        q = q[:, np.abs(np.diag(r)) > EPS * 100.0]
        signals -= q.dot(q.T).dot(signals)
    if kind is None:
        return signals
    centred = np.abs(signals.mean(0)).mean() / np.abs(original_mean).mean() < 1e-1
    if kind == "psc" and centred:
        return standardize(signals + original_mean, kind)
    return standardize(signals, kind)


def _svd_flip(u, v):
    """scikit-learn's ``svd_flip`` (u-based): the largest entry of each u column > 0."""
    largest = np.argmax(np.abs(u.T), axis=1)
    signs = np.sign(u.T.reshape(-1)[largest + np.arange(u.shape[1]) * u.shape[0]])
    u *= signs[np.newaxis, :]
    v *= signs[:, np.newaxis]
    return u, v


def _randomized_svd(matrix, n_components, random_state, n_oversamples=10):
    """Scikit-learn's ``randomized_svd`` as nilearn calls it.

    n_iter="auto", LU power iterations, sign flip; for a matrix with more rows
    than columns (no transposition).
    """
    from scipy import linalg

    rng = (
        random_state
        if isinstance(random_state, np.random.RandomState)
        else np.random.RandomState(random_state)
    )
    n_iter = 7 if n_components < 0.1 * min(matrix.shape) else 4
    q = rng.normal(size=(matrix.shape[1], n_components + n_oversamples))
    if matrix.dtype == np.float32:
        q = q.astype(np.float32, copy=False)
    for _ in range(n_iter):
        q, _ = linalg.lu(matrix @ q, permute_l=True, check_finite=False)
        q, _ = linalg.lu(matrix.T @ q, permute_l=True, check_finite=False)
    q, _ = linalg.qr(matrix @ q, mode="economic", check_finite=False)
    u_hat, s, vt = linalg.svd(q.T @ matrix, full_matrices=False, lapack_driver="gesdd")
    u, vt = _svd_flip(q @ u_hat, vt)
    return u[:, :n_components], s[:n_components]


def reduce_signals(signals, n_components, random_state=None):
    """One subject's share of ``DictLearning.fit``: its top singular directions.

    nilearn's ``_mask_and_reduce_single`` on cleaned signals: the truncated
    SVD of the voxels-by-time matrix (exact for small problems, else
    scikit-learn's randomized SVD seeded by ``random_state``, as nilearn's
    ``_fast_svd`` chooses), rows scaled by the singular values.

    Parameters
    ----------
    signals : numpy.ndarray, shape (n_samples, n_voxels)
        Cleaned signals (time first), as the masker returns them.
    n_components : int
        Time samples kept (at most ``n_samples``).
    random_state : int, numpy.random.RandomState or None
        Seed of the random projection (nilearn passes the estimator's).

    Returns
    -------
    numpy.ndarray, shape (min(n_components, n_samples), n_voxels)
        In the signals' dtype.
    """
    from scipy import linalg

    matrix = signals.T
    n_components = min(n_components, signals.shape[0])
    if max(matrix.shape) > 500 and 1 <= n_components < 0.8 * min(matrix.shape):
        u, s = _randomized_svd(matrix, n_components, random_state)
    else:
        u, s, vt = linalg.svd(matrix, full_matrices=False)
        u, _ = _svd_flip(u, vt)
        u, s = u[:, :n_components], s[:n_components]
    return u.T.copy() * s[:, np.newaxis]


def region_signals(data, maps):
    """Regional signals by least squares on overlapping maps (``NiftiMapsMasker``).

    Solved in float64 on the voxels some map covers. nilearn solves it in the
    data's dtype (float32) over every voxel of the image; voxels no map
    covers add a constant to the residual and do not change the solution.

    Parameters
    ----------
    data : numpy.ndarray, shape (n_samples, n_voxels)
        Signals of the voxels the maps cover.
    maps : numpy.ndarray, shape (n_voxels, n_regions)
        Map values at those voxels.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_regions)
    """
    from scipy import linalg

    solution = linalg.lstsq(maps.astype(np.float64), data.T.astype(np.float64))[0]
    return solution.T


def region_means(data, labels):
    """Each label's mean signal (``NiftiLabelsMasker``'s ``strategy="mean"``).

    Parameters
    ----------
    data : numpy.ndarray, shape (n_samples, n_voxels)
        Signals of the voxels the labels cover.
    labels : numpy.ndarray, shape (n_voxels, n_regions)
        1 where a voxel has the region's label, 0 elsewhere (one label per
        voxel); every region has a voxel.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_regions)
    """
    labels = labels.astype(np.float64)
    return (data.astype(np.float64) @ labels) / labels.sum(axis=0)
