"""The workflow and the code stay lint-clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import PROJECT

BIN = Path(sys.executable).parent


def run(*command):
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)


def test_snakemake_lint():
    process = run(str(BIN / "snakemake"), "--lint")
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Congratulations" in process.stdout + process.stderr


def test_snakefmt_check():
    process = run(str(BIN / "snakefmt"), "--check", ".")
    assert process.returncode == 0, process.stderr


def test_ruff():
    process = run(str(BIN / "ruff"), "check", ".")
    assert process.returncode == 0, process.stdout


# conda-forge's name of a PyPI package, where they differ.
CONDA_NAMES = {"isal": "python-isal"}
# What the head process needs but no rule's script imports.
HEAD_ONLY = {"snakemake", "snakemake-executor-plugin-slurm"}


def test_the_rules_environment_lists_the_requirements():
    """envs/nilearn.yaml pins what requirements.txt pins, for what the scripts import."""
    import re

    import yaml

    pattern = re.compile(r"^([A-Za-z0-9_.-]+)\s*(.*)$")
    required = {}
    for line in (PROJECT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and (match := pattern.match(line)) and match[1] not in HEAD_ONLY:
            required[CONDA_NAMES.get(match[1], match[1])] = match[2].replace(" ", "")
    environment = yaml.safe_load((PROJECT / "envs" / "nilearn.yaml").read_text())
    listed = dict(
        pattern.match(entry).groups()
        for entry in environment["dependencies"]
        if isinstance(entry, str) and not entry.startswith("python=")
    )
    assert listed == required


def test_the_package_lists_every_module_it_copies_out_of_a_module_source():
    """The package's ``__all__`` names every module.

    workflow/rules/source.smk copies those: a module missing there works in a
    checkout and fails when deployed as a module.
    """
    import regions_connectome

    package = PROJECT / "workflow" / "regions_connectome"
    modules = {path.stem for path in package.glob("*.py")} - {"__init__"}
    assert set(regions_connectome.__all__) == modules
