"""regions_connectome.configuration: nested --config values typed as in a config file."""

from __future__ import annotations

import re

import yaml

from helpers import PROJECT, run_snakemake
from regions_connectome.configuration import type_nested_overrides


def test_nested_overrides_are_read_as_a_config_file_reads_them():
    config = yaml.safe_load((PROJECT / "config.yaml").read_text())
    # what Snakemake hands over for --config 'regions={threshold: 0.4, name: "04"}' ...
    overrides = {
        "regions": {"threshold": "0.4", "name": "DiFuMo"},
        "demo": {"n_subjects": "3", "motion_amplitude": "15"},
        "bids": {"task": ["rest"]},
        "subjects": "demo",
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            config[key].update(value)
    type_nested_overrides(config, overrides)
    assert config["regions"]["threshold"] == 0.4 and config["regions"]["name"] == "DiFuMo"
    assert config["demo"]["n_subjects"] == 3 and config["demo"]["motion_amplitude"] == 15
    assert config["bids"]["task"] == ["rest"] and config["subjects"] == "demo"
    # what the config file set and the command line did not touch stays
    assert config["regions"]["extractor"] == "local_regions"


def test_a_nested_config_value_on_the_command_line_works(tmp_path):
    """For real: Snakemake's own --config parsing, then the schema's validation."""
    process = run_snakemake(
        tmp_path, "--dry-run", "--config", "demo={n_subjects: 3, voxel_size: 6.0}",
        "regions={threshold: 0.05}",
    )  # fmt: skip
    assert re.search(r"^demo_subject\s+3$", process.stdout, re.M), process.stdout[-2000:]


def test_config_readme_is_the_schema_rendered():
    """config/README.md describes every key from the schema: run `make config-reference`."""
    from regions_connectome.configuration import config_reference

    schema = yaml.safe_load((PROJECT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    reference = config_reference(schema)
    assert (PROJECT / "config" / "README.md").read_text() == reference
    defaults = yaml.safe_load((PROJECT / "config.yaml").read_text())
    for section, value in defaults.items():
        keys = value.keys() if isinstance(value, dict) and section != "confounds" else [None]
        for key in keys:
            name = section if key is None else f"{section}.{key}"
            assert f"| `{name}` |" in reference or section == "confounds", name
    assert "| `confounds.columns` |" in reference


def test_the_root_config_is_the_deployed_config():
    """One file: config.yaml at the root is config/config.yaml (snakedeploy copies config/)."""
    assert (PROJECT / "config.yaml").resolve() == (PROJECT / "config" / "config.yaml").resolve()
