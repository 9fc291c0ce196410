"""The workflow on a real, private Slurm (tools/slurm/start.sh), through profiles/slurm.

The profile is used as it is, with test-only overrides: this machine's
partition and account, a 5 s first status check and, for the run-through,
groups of 3 subjects. The node has 2 CPUs, like the profile's ``cores``.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import PROJECT, SNAKEMAKE, run_file, run_snakemake
from regions_connectome.synthetic import write_cohort

SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+)")
SLURM_TOOLS = PROJECT / "tools" / "slurm"


@pytest.fixture(scope="module")
def slurm():
    """A private single-node Slurm for this module, stopped after it (also on failure).

    Its configuration, database, spool and logs live in a temporary folder and
    its daemons on free ports (tools/slurm/start.sh); the Slurm commands, and
    so Snakemake's executor, find it through ``SLURM_CONF``. Skipped with the
    reason where it cannot be started.
    """
    if os.geteuid() != 0:
        pytest.skip("a real Slurm needs root to install and start its daemons")
    # Not under pytest's temporary folder: munged refuses a socket below a
    # folder that its user cannot enter (pytest's are private to root).
    state = Path(tempfile.mkdtemp(prefix="regions-connectome-slurm-"))
    started = subprocess.run(
        ["bash", str(SLURM_TOOLS / "start.sh"), str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        if started.returncode != 0:
            reason = started.stdout[-600:]
            pytest.skip(f"could not start a Slurm here (tools/slurm/start.sh): {reason}")
        previous = os.environ.get("SLURM_CONF")
        os.environ["SLURM_CONF"] = str(state / "slurm.conf")
        yield state
    finally:
        subprocess.run(["bash", str(SLURM_TOOLS / "stop.sh"), str(state)], check=False)
        shutil.rmtree(state, ignore_errors=True)
        if started.returncode == 0:
            if previous is None:
                os.environ.pop("SLURM_CONF", None)
            else:
                os.environ["SLURM_CONF"] = previous


def test_profile_sets_what_a_cluster_needs():
    profile = yaml.safe_load((PROJECT / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert {"slurm_partition", "slurm_account", "mem_mb", "runtime", "cpus_per_task"} <= set(
        profile["default-resources"]
    )
    assert profile["retries"] >= 1 and profile["rerun-incomplete"] is True
    # each rule states its resources once, in the rule: the profile restates none
    assert "set-resources" not in profile and "set-threads" not in profile
    assert any(g.startswith("subject_reduction=") for g in profile["group-components"])


def make_profile(tmp_path, **overrides):
    """A copy of profiles/slurm with this machine's settings."""
    profile = yaml.safe_load((PROJECT / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"].update(slurm_partition="debug", slurm_account="workflow")
    profile["slurm-init-seconds-before-status-checks"] = 5
    profile.update(overrides)
    folder = tmp_path / "profile"
    folder.mkdir(exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile))
    return folder


def run_on_slurm(workdir, profile, sheet, *targets, limit=1200):
    """Run snakemake through Slurm on ``sheet`` (None: the demo); SIGINT if it overruns."""
    return _run(workdir, profile, [] if sheet is None else [f"subjects={sheet}"], targets, limit)


def _run(workdir, profile, config, targets, limit):
    command = [
        "timeout", "-s", "INT", str(limit), SNAKEMAKE,
        "--snakefile", str(PROJECT / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(PROJECT / "config.yaml"),
        *(["--config", *config] if config else []),
        "--profile", str(profile),
        *targets,
    ]  # fmt: skip
    start = time.monotonic()
    process = subprocess.run(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return process, time.monotonic() - start


def sacct_states(job_ids):
    out = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(job_ids)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("|") for line in out.split())


def test_workflow_runs_through_slurm_and_equals_a_local_run(slurm, tmp_path):
    sheet = write_cohort(tmp_path / "cohort")
    on_slurm = tmp_path / "slurm"
    on_slurm.mkdir()
    groups_of_3 = [g.split("=")[0] + "=3" for g in yaml.safe_load(
        (PROJECT / "profiles" / "slurm" / "config.yaml").read_text()
    )["group-components"]]  # fmt: skip
    profile = make_profile(tmp_path, **{"group-components": groups_of_3})
    process, seconds = run_on_slurm(on_slurm, profile, sheet)
    assert process.returncode == 0, process.stdout[-5000:]
    job_ids = SUBMITTED.findall(process.stdout)
    # the 17 cluster jobs went to Slurm as fewer submissions thanks to the job groups
    assert 4 <= len(job_ids) < 17, process.stdout[-3000:]
    states = sacct_states(job_ids)
    assert set(states) == set(job_ids) and set(states.values()) == {"COMPLETED"}, states
    assert "group_subject_reduction" in process.stdout
    print(f"Slurm run: {seconds:.0f} s, {len(job_ids)} Slurm jobs")

    local = tmp_path / "local"
    local.mkdir()
    run_snakemake(local, config={"subjects": str(sheet)})
    for name in ("components", "regions"):
        ours = nib.load(on_slurm / "results" / "group" / f"{name}.nii.gz").get_fdata()
        theirs = nib.load(local / "results" / "group" / f"{name}.nii.gz").get_fdata()
        np.testing.assert_array_equal(ours, theirs)
    for table in ("group/regions.tsv", "group/meas-correlation_relmat.tsv"):
        assert (on_slurm / "results" / table).read_text() == (local / "results" / table).read_text()
    for subject in ("01", "02", "03"):
        relmat = run_file(local / "results", subject, "_meas-correlation_relmat.tsv")
        pd.testing.assert_frame_equal(
            pd.read_csv(on_slurm / relmat.relative_to(local), sep="\t"),
            pd.read_csv(relmat, sep="\t"),
        )
    assert sorted(p.name for p in (on_slurm / "results" / "figures").iterdir()) == sorted(
        p.name for p in (local / "results" / "figures").iterdir()
    )


def test_a_failing_cluster_job_is_reported_not_waited_for(slurm, tmp_path):
    sheet = write_cohort(tmp_path / "cohort")
    broken = tmp_path / "cohort" / "sub-02_bold.nii.gz"
    data = broken.read_bytes()
    broken.write_bytes(data[: len(data) // 3])  # a truncated gzip
    with pytest.raises((EOFError, OSError, gzip.BadGzipFile)):
        gzip.decompress(broken.read_bytes())
    workdir = tmp_path / "run"
    workdir.mkdir()
    profile = make_profile(tmp_path, retries=0)
    process, seconds = run_on_slurm(
        workdir,
        profile,
        sheet,
        "results/sub-02/func/sub-02_task-rest_desc-epi_mask.nii.gz",
        limit=600,
    )
    assert process.returncode not in (0, 124, 130, -2), process.stdout[-3000:]
    assert seconds < 600
    assert "Error in rule subject_epi_mask" in process.stdout or "Error in group" in process.stdout
    assert "sub-02_bold.nii.gz" in process.stdout
    job_ids = SUBMITTED.findall(process.stdout)
    assert job_ids and set(sacct_states(job_ids).values()) <= {"FAILED", "CANCELLED"}
    assert not list((workdir / "results").glob("sub-02/func/*_desc-epi_mask.nii.gz"))
    shutil.rmtree(workdir / ".snakemake", ignore_errors=True)


def test_the_default_cohort_fits_a_two_cpu_node(slurm, tmp_path):
    """The demo's 12 subjects, the profile as shipped: no job asks for more than the node."""
    workdir = tmp_path / "demo"
    workdir.mkdir()
    process, seconds = run_on_slurm(workdir, make_profile(tmp_path), None)
    assert process.returncode == 0, process.stdout[-5000:]
    job_ids = SUBMITTED.findall(process.stdout)
    requested = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "JobID,ReqCPUS,ReqMem,State", "-j", ",".join(job_ids)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    node_mb = int(re.search(r"RealMemory=(\d+)", subprocess.run(
        ["scontrol", "show", "node"], capture_output=True, text=True, check=True
    ).stdout)[1])  # fmt: skip
    assert len(requested) == len(job_ids) > 0
    for line in requested:
        job, cpus, memory, state = line.split("|")
        assert int(cpus) <= 2 and state == "COMPLETED", line
        assert int(re.match(r"(\d+)", memory)[1]) <= node_mb, line
    assert "group_demo_subjects" in process.stdout
    print(f"default cohort on Slurm: {seconds:.0f} s, {len(job_ids)} Slurm jobs")


def test_a_hundred_subjects_go_to_slurm_as_few_submissions(slurm, tmp_path):
    """100 tiny demo subjects through the profile as shipped, in few submissions.

    The per-subject jobs go in group jobs, so Slurm sees far fewer submissions
    than there are jobs.
    """
    workdir = tmp_path / "hundred"
    workdir.mkdir()
    config = ["demo={n_subjects: 100, n_volumes: 40, voxel_size: 6.0}"]
    process, seconds = _run(workdir, make_profile(tmp_path), config, [], 1800)
    assert process.returncode == 0, process.stdout[-5000:]
    job_ids = SUBMITTED.findall(process.stdout)
    stats = process.stdout[process.stdout.index("Job stats:") :]
    n_jobs = int(re.search(r"^total\s+(\d+)", stats, re.MULTILINE)[1])
    # jobs of the workflow's localrules run in the head process
    local = len(re.findall(r"^localrule \w+:", process.stdout, re.MULTILINE))
    assert n_jobs - local > 400  # 4 jobs per subject, then the group stages
    assert len(job_ids) * 5 < n_jobs - local, (len(job_ids), n_jobs, local)
    assert set(sacct_states(job_ids).values()) == {"COMPLETED"}
    assert len(list((workdir / "results").glob("sub-*/func/*_meas-correlation_relmat.tsv"))) == 100
    print(
        f"100 subjects on Slurm: {seconds:.0f} s, {n_jobs - local} cluster jobs "
        f"in {len(job_ids)} Slurm submissions ({local} local jobs)"
    )
