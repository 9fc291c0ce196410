"""regions_connectome.kinds: one description per connectivity kind, and the schema's list."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from helpers import PROJECT
from regions_connectome.connectivity import subject_connectivity
from regions_connectome.figures import matrix_range
from regions_connectome.kinds import CONNECTIVITY_KINDS


def test_the_schema_lists_the_kinds_of_the_registry():
    schema = yaml.safe_load((PROJECT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    listed = schema["definitions"]["connectivity_kind"]["enum"]
    assert listed == list(CONNECTIVITY_KINDS)
    reference = {"$ref": "#/definitions/connectivity_kind"}
    assert schema["properties"]["connectivity_kinds"]["items"] == reference
    assert schema["properties"]["statistics"]["properties"]["kinds"]["items"] == reference


def test_labels_fit_the_file_names():
    """The ``meas-`` entity's value: BIDS letters only, one per kind (the rules' wildcard)."""
    labels = [kind.label for kind in CONNECTIVITY_KINDS.values()]
    assert len(set(labels)) == len(labels)
    assert all(re.fullmatch("[a-z]+", label) for label in labels)
    assert CONNECTIVITY_KINDS["partial correlation"].label == "partialcorrelation"


@pytest.mark.parametrize("name", list(CONNECTIVITY_KINDS))
def test_each_kind_is_computed_where_the_registry_says(name):
    """Subject-level kinds in each subject's job; group kinds refused there."""
    rng = np.random.default_rng(0)
    timeseries = rng.normal(size=(80, 5)) @ rng.normal(size=(5, 5))  # correlated regions
    kind = CONNECTIVITY_KINDS[name]
    if kind.fitted_on_group:
        with pytest.raises(ValueError, match="fitted on the group"):
            subject_connectivity(timeseries, name)
        return
    matrix = subject_connectivity(10 * timeseries, name)
    off_diagonal = np.abs(matrix[~np.eye(5, dtype=bool)])
    if kind.bounded:  # in [-1, 1] whatever the scale, and shown on that range
        assert off_diagonal.max() <= 1 and matrix_range(matrix, name) == 1.0
    else:  # shown up to the largest off-diagonal value
        assert matrix_range(matrix, name) == pytest.approx(off_diagonal.max())
