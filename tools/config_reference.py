"""Render config/README.md from the config's schema: ``python tools/config_reference.py``."""

import sys
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "workflow"))

from regions_connectome.configuration import config_reference  # noqa: E402

schema = yaml.safe_load((PROJECT / "workflow" / "schemas" / "config.schema.yaml").read_text())
(PROJECT / "config" / "README.md").write_text(config_reference(schema))
