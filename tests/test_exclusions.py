"""regions_connectome.exclusions: who the group stages leave out, and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regions_connectome.exclusions import asks_exclusions, exclusions_table, split_exclusions


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
