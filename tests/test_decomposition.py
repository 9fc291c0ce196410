"""regions_connectome.decomposition: the group mask, the reduction and the decomposition."""

from __future__ import annotations

import json
import re
import warnings

import nibabel as nib
import numpy as np
import pytest

from helpers import REDUCTION_PARAMS, run_snakemake
from regions_connectome.decomposition import (
    MIGP,
    MIN_ROWS_PER_COMPONENT,
    decompose,
    decomposition_request_mb,
    exact_memory_mb,
    fit_components,
    group_mask,
    group_reduction,
    lasso_codes,
    make_estimator,
    reduce_subject,
    stack_reduced,
)
from regions_connectome.niimg import varying_voxels
from regions_connectome.synthetic import write_reduced_cohort


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


def _low_rank_rows(n_subjects, n_rows, patterns, rng, noise=0.0):
    """Subjects' rows: random mixtures of spatial patterns, and noise."""
    return [
        (
            rng.standard_normal((n_rows, len(patterns))) @ patterns
            + noise * rng.standard_normal((n_rows, patterns.shape[1]))
        ).astype(np.float32)
        for _ in range(n_subjects)
    ]


def test_migp_keeps_the_data_gram_matrix_while_it_holds_their_rank():
    rng = np.random.default_rng(0)
    patterns = rng.standard_normal((6, 500))
    reduced = _low_rank_rows(15, 4, patterns, rng)
    stream = MIGP(8, 500)
    for rows in reduced:
        stream.add(rows)
    kept = stream.result().astype(np.float64)
    data = np.vstack(reduced).astype(np.float64)
    assert stream.reductions >= 4 and kept.shape == (8, 500)
    np.testing.assert_allclose(
        kept.T @ kept, data.T @ data, rtol=0, atol=1e-4 * np.abs(data).max() ** 2
    )
    assert stream.variance_kept == pytest.approx(1, abs=1e-5)


def test_migp_truncated_keeps_nearly_the_variance_of_the_best_rows():
    """Past its rows, MIGP is within 0.1 % of the truncated SVD's variance."""
    rng = np.random.default_rng(1)
    patterns = rng.standard_normal((30, 2000)) * np.linspace(4, 0.5, 30)[:, None]
    reduced = _low_rank_rows(40, 10, patterns, rng, noise=1.0)
    data = np.vstack(reduced).astype(np.float64)
    singular = np.linalg.svd(data, compute_uv=False)
    stream = MIGP(60, 2000)
    for rows in reduced:
        stream.add(rows)
    best = np.sum(singular[:60] ** 2) / np.sum(singular**2)
    assert stream.reductions >= 5
    assert best - 1e-3 < stream.variance_kept <= best + 1e-6
    # the leading directions are the data's
    _, _, top = np.linalg.svd(data, full_matrices=False)
    _, _, found = np.linalg.svd(stream.result().astype(np.float64), full_matrices=False)
    cosines = np.linalg.svd(top[:20] @ found[:60].T, compute_uv=False)
    assert cosines.min() > 0.999


def test_migp_scales_rows_as_canica_does():
    rows = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]], np.float32)
    stream = MIGP(4, 2, scale_rows=True)
    stream.add(rows)
    np.testing.assert_allclose(stream.result(), [[0.6, 0.8], [0, 0], [1, 0]])
    with pytest.raises(ValueError, match="5 rows at once, more than the 4 kept"):
        stream.add(np.ones((5, 2), np.float32))


def test_the_budget_chooses_every_row_or_migp():
    n_voxels, row_mb = 69_765, 69_765 * 4 / 2**20
    data_mb = 2000 * row_mb
    assert exact_memory_mb(data_mb) > 1000
    assert group_reduction(2000, n_voxels, 4, 20, None)["Method"] == "exact"
    assert group_reduction(2000, n_voxels, 4, 20, exact_memory_mb(data_mb) + 1) == {
        "Method": "exact", "Rows": 2000, "MemoryBudgetMB": exact_memory_mb(data_mb) + 1,
    }  # fmt: skip
    bounded = group_reduction(2000, n_voxels, 4, 20, 1000)
    assert bounded["Method"] == "MIGP"
    assert MIN_ROWS_PER_COMPONENT * 20 <= bounded["RowsKept"] < 2000
    message = r"memory_mb: 700 MB holds fewer rows of 69765 voxels than the 500 .* least (\d+) MB"
    with pytest.raises(ValueError, match=message) as refused:
        group_reduction(2000, n_voxels, 4, 50, 700)
    enough = int(re.search(message, str(refused.value)).group(1))
    assert group_reduction(2000, n_voxels, 4, 50, enough)["RowsKept"] >= 500
    # the job asks for what learning from every row needs, at most the budget
    assert decomposition_request_mb(10, 2000) < decomposition_request_mb(100, 2000)
    assert decomposition_request_mb(data_mb, 1000) == decomposition_request_mb(1e6, 1000)
    assert decomposition_request_mb(4 * data_mb, None) > decomposition_request_mb(4 * data_mb, 2000)


def _component_match(first, second, mask):
    """Each component of ``first``: its best |r| with one of ``second``'s."""
    inside = np.asarray(mask.dataobj) != 0
    a = np.asarray(first.dataobj)[inside].T
    b = np.asarray(second.dataobj)[inside].T
    return np.abs(np.corrcoef(a, b)[: len(a), len(a) :]).max(axis=1)


def _mixtures_of(networks, mask, n_subjects, noise, extra=0):
    """Subjects' rows mixing the planted networks (and ``extra`` random patterns)."""
    inside = np.asarray(mask.dataobj) != 0
    patterns = np.asarray(networks.dataobj)[inside].T
    rng = np.random.default_rng(2)
    patterns = np.vstack([patterns, rng.random((extra, inside.sum()))])
    return _low_rank_rows(n_subjects, 5, patterns, rng, noise)


def test_canica_from_migp_rows_holding_the_data_equals_canica_from_every_row(planted):
    """Data of rank 6 through MIGP's 8 rows: CanICA's components from all 60 rows.

    (DictLearning's components are not stable enough to compare this way:
    its minibatch path diverges on any change of the arithmetic; see the
    next test and ``bench/benchmark.py --scale``.)
    """
    mask, networks, _ = planted
    reduced = _mixtures_of(networks, mask, 12, noise=0.0, extra=2)
    params = {**REDUCTION_PARAMS, "n_components": 4, "threshold": "auto", "n_init": 10}
    exact, none = fit_components(reduced, mask, "canica", params)
    bounded, stream = fit_components(reduced, mask, "canica", params, rows_kept=8)
    assert none is None and stream.reductions > 0 and stream.filled == 8
    assert _component_match(bounded, exact, mask).min() > 0.99


def test_dictlearning_from_migp_rows_finds_the_networks_every_row_finds(planted):
    """Noisy mixtures of four networks, 100 rows through MIGP's 10 to 80.

    DictLearning's minibatch path is chaotic (a component can collapse on any
    change of the arithmetic, as it does across BLAS thread counts), so the
    runs are judged together: each network found (r > 0.9) in most runs, and
    as closely as from every row in the median run.
    """
    mask, networks, _ = planted
    reduced = _mixtures_of(networks, mask, 20, noise=0.3)
    params = {**REDUCTION_PARAMS, "n_components": 4, "alpha": 1, "n_epochs": 1, "batch_size": 20}
    exact, _ = fit_components(reduced, mask, "dictlearning", params)
    found_exact = _component_match(networks, exact, mask)
    assert found_exact.min() > 0.9
    found, kept = [], []
    for rows_kept in (10, 20, 40, 80):
        bounded, stream = fit_components(reduced, mask, "dictlearning", params, rows_kept)
        found.append(_component_match(networks, bounded, mask))
        kept.append(stream.variance_kept)
    found = np.array(found)
    assert kept == sorted(kept) and kept[0] < 0.3
    assert np.all((found > 0.9).sum(axis=0) >= 3)
    assert np.all(np.median(found, axis=0) > found_exact - 0.01)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [0.5, 10.0])
def test_lasso_codes_are_scikit_learns_bit_for_bit(dtype, alpha, n_threads):
    """Codes, their memory layout and the global random state after them.

    Two nearly collinear atoms make some samples stop at the iteration limit
    (in float32); alpha = 10 leaves some samples' codes at zero, 0.5 none.
    """
    from sklearn.decomposition import sparse_encode

    rng = np.random.default_rng(0)
    atoms = rng.standard_normal((6, 40))
    atoms[5] = atoms[4] + 0.01 * rng.standard_normal(40)
    data = (rng.standard_normal((3000, 6)) * (rng.random((3000, 6)) < 0.3)) @ atoms
    data = (data + 0.3 * rng.standard_normal(data.shape)).astype(dtype)
    dictionary = atoms.astype(dtype)
    # the legacy global state is what scikit-learn's solver draws from
    np.random.seed(7)  # noqa: NPY002
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sparse_encode(data, dictionary, algorithm="lasso_cd", alpha=alpha)
        after_expected = np.random.get_state()[1].copy()  # noqa: NPY002
        np.random.seed(7)  # noqa: NPY002
        codes = lasso_codes(data, dictionary, alpha, n_threads=n_threads)
    moving = codes.any(axis=1)
    assert moving.all() if alpha < 1 else 0 < moving.sum() < len(data)
    np.testing.assert_array_equal(codes, expected)
    assert codes.dtype == expected.dtype and codes.flags.f_contiguous == expected.flags.f_contiguous
    np.testing.assert_array_equal(np.random.get_state()[1], after_expected)  # noqa: NPY002


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("method", ["dictlearning", "canica"])
def test_components_are_nilearns_own_bit_for_bit(planted, method, n_threads):
    """The components are nilearn's _raw_fit's, bit for bit.

    fit_components codes the voxels with lasso_codes and computes FastICA's
    cube in threads.
    """
    from regions_connectome.decomposition import fitted_masker

    mask, networks, _ = planted
    reduced = _mixtures_of(networks, mask, 6, noise=0.3)
    params = {
        **REDUCTION_PARAMS, "n_components": 4, "alpha": 1, "n_epochs": 1, "batch_size": 20,
        "threshold": "auto", "n_init": 3,
    }  # fmt: skip
    components, _ = fit_components(reduced, mask, method, params, n_threads=n_threads)
    estimator = make_estimator(method, params, mask=mask)
    estimator._fit_cache()
    estimator.masker_ = fitted_masker(method, params, mask)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator._raw_fit(stack_reduced(reduced))
    assert np.count_nonzero(components.get_fdata()) > 0
    np.testing.assert_array_equal(components.get_fdata(), estimator.components_img_.get_fdata())


def test_decompose_records_the_path_it_took(planted):
    mask, networks, _ = planted
    reduced = _mixtures_of(networks, mask, 4, noise=0.1)
    params = {**REDUCTION_PARAMS, "n_components": 4, "alpha": 1, "n_epochs": 1, "batch_size": 20}
    components, record = decompose(reduced, mask, "dictlearning", params, 2000)
    assert record == {"Method": "exact", "Rows": 20, "MemoryBudgetMB": 2000}
    assert components.shape[3] == 4


def test_the_decompose_job_holds_its_memory_past_the_budget(tmp_path):
    """100 subjects x 20 rows at 3 mm (0.53 GB): the job's own max_rss per path.

    Learning from every row needs more than 1000 MB; with ``memory_mb: 1000``
    the same job streams through MIGP and stays within it, and says so.
    """
    import pandas as pd

    n_voxels = write_reduced_cohort(tmp_path, 100, 20)
    demo = {"n_subjects": 100, "n_volumes": 60, "voxel_size": 3.0}
    measured = {}
    for memory_mb in (None, 1000):
        config = {"demo": demo, "decomposition": {"n_components": 20, "memory_mb": memory_mb}}
        process = run_snakemake(
            tmp_path, "results/group/components.nii.gz", "--forcerun", "decompose", config=config
        )
        assert re.search(r"decompose\s+1\ntotal\s+1\n", process.stdout), "only decompose runs"
        benchmark = pd.read_csv(tmp_path / "results/benchmarks/decompose.tsv", sep="\t")
        record = json.loads((tmp_path / "results/group/components.json").read_text())
        measured[memory_mb] = benchmark["max_rss"].iloc[-1], record
    (every_row, exact), (streamed, bounded) = measured[None], measured[1000]
    assert exact == {"Method": "exact", "Rows": 2000, "MemoryBudgetMB": None}
    assert bounded["Method"] == "MIGP" and bounded["Rows"] == 2000
    assert 200 <= bounded["RowsKept"] < 2000 and bounded["Reductions"] >= 1
    assert every_row > 1000 >= streamed
    assert nib.load(tmp_path / "results/group/components.nii.gz").shape[3] == 20
    assert n_voxels * 2000 * 4 > 500 * 2**20
