"""The workflow and the code stay lint-clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import PROJECT

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
