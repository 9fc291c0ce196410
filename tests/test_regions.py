"""regions_connectome.regions: region extraction."""

from __future__ import annotations

import numpy as np
import pytest

from regions_connectome.regions import extract_regions, region_labels, regions_table


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
