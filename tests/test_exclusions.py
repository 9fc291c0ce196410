"""regions_connectome.exclusions: who the group stages leave out, and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regions_connectome.exclusions import (
    asks_exclusions,
    checked_exclusions,
    exclusions_table,
    split_exclusions,
    unusable_data,
)


def test_exclusion_reasons_name_the_criterion():
    from regions_connectome.denoising import Denoising
    from regions_connectome.exclusions import exclusion_reason

    scrubbed = Denoising(confounds=None, sample_mask=np.arange(15), n_volumes=60)
    assert exclusion_reason({"min_volumes": 20}, scrubbed, None) == (
        "15 volumes kept, fewer than min_volumes 20"
    )
    assert exclusion_reason({"min_volumes": 15}, scrubbed, None) is None
    assert exclusion_reason({"max_mean_fd": 0.5}, scrubbed, None) == (
        "no motion columns to compute the framewise displacement from"
    )


def test_the_config_asks_for_exclusions_only_when_a_criterion_is_set():
    assert not asks_exclusions({"min_volumes": None, "max_mean_fd": None, "unusable": "stop"})
    assert asks_exclusions({"min_volumes": 20, "max_mean_fd": None, "unusable": "stop"})
    assert asks_exclusions({"min_volumes": None, "max_mean_fd": None, "unusable": "exclude"})


def test_split_keeps_every_input_once_with_its_reason():
    table = pd.DataFrame(
        {"func": ["a", "b", "c"], "excluded": [None, "15 volumes kept", None]},
        index=["01", "02", "03"],
    )
    included, excluded = split_exclusions(table)
    assert list(included.index) == ["01", "03"] and list(excluded.index) == ["02"]
    assert excluded.loc["02", "excluded"] == "15 volumes kept"
    rows = exclusions_table({"02": {"func": "b", "confounds": None, "reason": "15 volumes kept"}})
    assert rows.to_dict("records") == [
        {"input": "02", "func": "b", "confounds": None, "reason": "15 volumes kept"}
    ]
    assert list(exclusions_table({}).columns) == ["input", "func", "confounds", "reason"]
    assert np.all(included["excluded"].isna())


def test_unusable_data_says_what_the_runs_jobs_would_stop_on(tmp_path):
    import nibabel as nib

    from regions_connectome.synthetic import write_cohort

    write_cohort(tmp_path, n_subjects=1)
    image = tmp_path / "sub-01_bold.nii.gz"
    assert unusable_data(image, "01") is None
    img = nib.load(image)
    data = np.asanyarray(img.dataobj).copy()
    data[5, 6, 7, 0] = np.inf
    nib.Nifti1Image(data, img.affine).to_filename(tmp_path / "damaged.nii.gz")
    assert "subject 01: image" in unusable_data(tmp_path / "damaged.nii.gz", "01")
    board = np.where(np.indices(img.shape[:3]).sum(axis=0) % 2 == 0, 200.0, 100.0)
    noise = np.random.default_rng(0).normal(0, 1, img.shape)
    checkerboard = tmp_path / "checkerboard.nii.gz"
    nib.Nifti1Image((board[..., None] + noise).astype(np.float32), img.affine).to_filename(
        checkerboard
    )
    assert "the EPI mask is empty" in unusable_data(checkerboard, "01")
    # without the EPI group mask, its empty EPI mask does not matter
    assert unusable_data(checkerboard, "01", epi_mask=False) is None
    truncated = tmp_path / "truncated.nii.gz"
    truncated.write_bytes(image.read_bytes()[:50_000])
    reason = unusable_data(truncated, "01")
    assert reason.startswith(f"subject 01: cannot read the image {truncated}")


def test_checked_exclusions_keep_the_unusable_runs_with_their_files():
    subjects = {
        "01": {"func": "a.nii.gz", "confounds": None},
        "02": {"func": "b.nii.gz", "confounds": "b.tsv"},
    }
    checks = [{"InputLabel": "01", "Reason": None}, {"InputLabel": "02", "Reason": "no signal"}]
    assert checked_exclusions(checks, subjects) == {
        "02": {"func": "b.nii.gz", "confounds": "b.tsv", "reason": "unusable: no signal"}
    }
