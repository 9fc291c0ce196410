"""Nothing lost, nothing silently wrong: kills, concurrent runs, broken inputs.

Every case runs the real snakemake on a small synthetic cohort and compares
the files it leaves with those of an uninterrupted clean run, byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from cohorts import SMALL_DEMO
from helpers import (
    PROJECT,
    SNAKEMAKE_ENV,
    run_file,
    run_snakemake,
    snakemake_command,
)
from regions_connectome.synthetic import write_cohort

SMALL_DEMO_CONFIG = {"demo": SMALL_DEMO}
# Outputs compared byte for byte: everything but logs and benchmarks (which
# hold times) and Snakemake's own bookkeeping.
UNCOMPARED = {"logs", "benchmarks"}


def outputs(workdir):
    """Relative path -> bytes of every result file."""
    results = Path(workdir) / "results"
    return {
        str(path.relative_to(results)): path.read_bytes()
        for path in sorted(results.rglob("*"))
        if path.is_file() and path.relative_to(results).parts[0] not in UNCOMPARED
    }


def leftovers(workdir):
    """Temporary files of the atomic writers still lying in results/."""
    return sorted(str(p) for p in (Path(workdir) / "results").rglob(".*.tmp*"))


def start_snakemake(workdir, *args, config=SMALL_DEMO_CONFIG):
    """Start snakemake in its own process group; output goes to a file."""
    log = open(Path(workdir) / "snakemake-output.txt", "w")  # noqa: SIM115
    return subprocess.Popen(
        snakemake_command(workdir, *args, config=config),
        cwd=workdir,
        env=SNAKEMAKE_ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(path, process, timeout=600):
    """Wait until ``path`` exists while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "snakemake ended before the point of interest"
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """An uninterrupted run of the small demo cohort."""
    workdir = tmp_path_factory.mktemp("clean")
    run_snakemake(workdir, config=SMALL_DEMO_CONFIG)
    return workdir


@pytest.mark.parametrize(
    ("stage", "log", "output"),
    [
        (
            "per-subject",
            "reduce_subject/sub-02/func/sub-02_task-rest.log",
            "sub-02/func/sub-02_task-rest_space-MNI152NLin2009aSym_desc-reduced_data.npy",
        ),
        ("group", "decompose.log", "group/components.nii.gz"),
    ],
)
def test_sigkill_then_resume_gives_identical_outputs(clean_run, tmp_path, stage, log, output):
    process = start_snakemake(tmp_path)
    wait_for(tmp_path / "results" / "logs" / log, process)
    os.killpg(process.pid, signal.SIGKILL)  # snakemake and its running jobs
    process.wait()
    assert not (tmp_path / "results" / output).exists(), f"the {stage} job had finished"

    # What a user does after a crash: release the stale lock, then rerun.
    refused = run_snakemake(tmp_path, config=SMALL_DEMO_CONFIG, check=False)
    assert refused.returncode != 0 and "cannot be locked" in refused.stdout
    run_snakemake(tmp_path, "--unlock", config=SMALL_DEMO_CONFIG)
    resumed = run_snakemake(tmp_path, "--rerun-incomplete", config=SMALL_DEMO_CONFIG)
    assert "Nothing to be done" not in resumed.stdout

    ours, reference = outputs(tmp_path), outputs(clean_run)
    assert sorted(ours) == sorted(reference)
    different = [name for name in reference if ours[name] != reference[name]]
    assert not different, f"differ from an uninterrupted run: {different}"
    assert not leftovers(tmp_path)


@pytest.fixture(scope="module")
def concurrent(tmp_path_factory):
    """A clean run, and a second snakemake started in its folder meanwhile."""
    workdir = tmp_path_factory.mktemp("concurrent")
    first = start_snakemake(workdir)
    wait_for(workdir / "results" / "logs" / "demo_ground_truth.log", first)
    second = run_snakemake(workdir, config=SMALL_DEMO_CONFIG, check=False)
    assert first.wait(timeout=900) == 0, (workdir / "snakemake-output.txt").read_text()[-4000:]
    return workdir, second


def test_a_second_run_in_the_same_folder_is_refused(concurrent):
    _, second = concurrent
    assert second.returncode != 0
    assert "Directory cannot be locked" in second.stdout, second.stdout[-3000:]


def test_two_clean_runs_are_byte_identical(clean_run, concurrent):
    """Also: the first run completed intact while the second was refused."""
    workdir, _ = concurrent
    ours, reference = outputs(workdir), outputs(clean_run)
    assert sorted(ours) == sorted(reference)
    nifti_and_tsv = [n for n in reference if n.endswith((".nii.gz", ".tsv"))]
    assert len(nifti_and_tsv) > 20
    assert [n for n in reference if ours[n] != reference[n]] == []


def test_a_truncated_image_names_its_subject_and_spares_the_others(tmp_path):
    sheet = write_cohort(tmp_path / "cohort")
    broken = tmp_path / "cohort" / "sub-02_bold.nii.gz"
    broken.write_bytes(broken.read_bytes()[:50_000])
    config = {"subjects": str(sheet), "mask": "template"}
    process = run_snakemake(tmp_path, "--keep-going", config=config, check=False)
    assert process.returncode != 0
    assert f"subject 02: cannot read the image {broken}" in process.stdout
    assert "truncated or corrupt" in process.stdout
    results = tmp_path / "results"
    for subject in ("01", "03"):
        assert run_file(results, subject, "_desc-reduced_data.npy").is_file()
    assert not (results / "sub-02").exists() or not any((results / "sub-02").iterdir())
    # the group stage never runs on a partial cohort
    assert not (results / "group" / "components.nii.gz").exists()
    assert not leftovers(tmp_path)


def test_a_subject_without_signal_stops_with_its_name(tmp_path):
    import nibabel as nib
    import numpy as np

    sheet = write_cohort(tmp_path / "cohort")
    flat = tmp_path / "cohort" / "sub-03_bold.nii.gz"
    img = nib.load(flat)
    nib.Nifti1Image(np.full(img.shape, 100, np.float32), img.affine, img.header).to_filename(flat)
    process = run_snakemake(tmp_path, config={"subjects": str(sheet)}, check=False)
    assert process.returncode != 0
    assert f"subject 03: image {flat} has no signal" in process.stdout


def _break_runs(folder):
    """Damage three runs of a written cohort where only their data show it.

    Their headers stay readable, so the checks before any job pass them:
    sub-02 is truncated, sub-03 has NaN in two volumes of one voxel, sub-04
    is a checkerboard whose EPI mask is empty. Returns their images.
    """
    import nibabel as nib
    import numpy as np

    truncated, damaged, maskless = (folder / f"sub-0{k}_bold.nii.gz" for k in (2, 3, 4))
    raw = truncated.read_bytes()
    truncated.write_bytes(raw[: len(raw) // 2])
    img = nib.load(damaged)
    data = np.asanyarray(img.dataobj).copy()
    data[10, 10, 10, 3:5] = np.nan
    nib.Nifti1Image(data, img.affine, img.header).to_filename(damaged)
    board = np.where(np.indices(img.shape[:3]).sum(axis=0) % 2 == 0, 200.0, 100.0)
    noise = np.random.default_rng(0).normal(0, 1, img.shape)
    checkerboard = (board[..., None] + noise).astype(np.float32)
    nib.Nifti1Image(checkerboard, img.affine, img.header).to_filename(maskless)
    return truncated, damaged, maskless


def test_a_run_whose_data_fail_is_left_out_with_unusable_exclude(tmp_path):
    """A real run: three of five runs fail on their data, the other two go on.

    exclusions.tsv, the ledger, the group sidecars, the methods text and the
    provenance say who was left out and why; a second call has nothing to do.
    """
    sheet = write_cohort(tmp_path / "cohort", n_subjects=5)
    truncated, damaged, maskless = _break_runs(tmp_path / "cohort")
    workdir = tmp_path / "exclude"
    workdir.mkdir()
    config = {"subjects": str(sheet), "exclusions": {"unusable": "exclude"}}
    run_snakemake(workdir, config=config)
    results = workdir / "results"
    table = pd.read_csv(results / "group" / "exclusions.tsv", sep="\t", dtype=str)
    reasons = dict(zip(table["input"], table["reason"], strict=True))
    assert reasons["02"].startswith(f"unusable: subject 02: cannot read the image {truncated}")
    assert reasons["03"].startswith(f"unusable: subject 03: image {damaged} has NaN")
    assert reasons["04"].startswith(f"unusable: subject 04 ({maskless}): the EPI mask is empty")
    assert sorted(reasons) == ["02", "03", "04"]
    group = json.loads((results / "group" / "meas-correlation_relmat.json").read_text())
    assert group["InputLabels"] == ["01", "05"]
    for left_out in ("02", "03", "04"):
        assert not (results / f"sub-{left_out}").exists()
    figures = sorted(p.name for p in (results / "figures" / "quality").glob("*.png"))
    assert figures == ["sub-01_task-rest_quality.png", "sub-05_task-rest_quality.png"]
    ledger = pd.read_csv(results / "group" / "inputs.tsv", sep="\t", dtype=str)
    status = dict(zip(ledger["input"], ledger["status"], strict=True))
    assert status == {"01": "included", "02": "excluded", "03": "excluded",
                      "04": "excluded", "05": "included"}  # fmt: skip
    methods = (results / "methods.md").read_text()
    assert "3 further input(s) were excluded" in methods and "EPI mask is empty" in methods
    record = json.loads((results / "provenance.json").read_text())
    assert set(record["excluded"]) == {"02", "03", "04"}
    assert set(record["inputs"]) == {"01", "05"}
    again = run_snakemake(workdir, "--dry-run", config=config)
    assert "Nothing to be done" in again.stdout
    assert not leftovers(workdir)


def test_a_run_whose_data_fail_stops_the_run_by_default(tmp_path):
    sheet = write_cohort(tmp_path / "cohort", n_subjects=5)
    truncated, damaged, maskless = _break_runs(tmp_path / "cohort")
    config = {"subjects": str(sheet)}
    process = run_snakemake(tmp_path, "--keep-going", config=config, check=False)
    assert process.returncode != 0
    assert f"subject 02: cannot read the image {truncated}" in process.stdout
    assert f"subject 03: image {damaged} has NaN" in process.stdout
    assert f"subject 04 ({maskless}): the EPI mask is empty" in process.stdout
    assert not (tmp_path / "results" / "group" / "components.nii.gz").exists()
    assert not leftovers(tmp_path)


def test_memory_grows_with_each_retry(clean_run, tmp_path):
    """A job that fails once is retried with twice the memory.

    The workflow is copied and one script edited to fail on its first
    attempt; the clean run's results are reused, so only that job and what
    follows it run again.
    """
    root = tmp_path / "workflow-copy"
    root.mkdir()
    workdir = tmp_path / "run"
    shutil.copytree(clean_run, workdir, symlinks=True)
    for name in ("Snakefile", "config", "workflow", "envs"):
        source = PROJECT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    script = root / "workflow" / "scripts" / "group_connectivity.py"
    script.write_text(
        script.read_text()
        + "\nfrom pathlib import Path\n"
        + "attempts = Path('attempts.txt')\n"
        + "first = not attempts.exists()\n"
        + "with attempts.open('a') as f:\n"
        + "    f.write(f'{snakemake.resources.mem_mb}\\n')\n"
        + "if first:\n"
        + "    raise MemoryError('simulated out-of-memory kill')\n"
    )
    process = run_snakemake(
        workdir, "--retries", "1", config=SMALL_DEMO_CONFIG, snakefile=root / "Snakefile"
    )
    assert "reduce_subject" not in process.stdout
    first, second = map(int, (workdir / "attempts.txt").read_text().split())
    assert second == 2 * first > 0
    relmat = Path("results") / "group" / "meas-correlation_relmat.tsv"
    assert (workdir / relmat).read_bytes() == (clean_run / relmat).read_bytes()


def test_no_rule_runs_a_shell_command():
    """No rule builds a command line, so no user text can reach a shell."""
    import re

    files = [*(PROJECT / "workflow" / "rules").glob("*.smk"), PROJECT / "workflow" / "Snakefile"]
    for rules in files:
        directives = re.findall(r"^\s*(shell|run):", rules.read_text(), re.MULTILINE)
        assert directives == [], rules
