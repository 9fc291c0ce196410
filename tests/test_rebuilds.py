"""Scoped rebuilds: after a real run, a change reruns only what depends on it.

Each case reads Snakemake's dry-run job list (rule and wildcards). The
workflow is copied into a temporary folder so that a script can be edited.
"""

from __future__ import annotations

import os
import re
import shutil

import pandas as pd
import pytest

from helpers import PROJECT, run_snakemake
from regions_connectome.synthetic import write_cohort

FIGURES = {
    "plot_components",
    "plot_regions",
    "plot_matrix",
    "plot_connectome",
    "plot_quality",
}
# The provenance record holds the config and the inputs' checksums: it is
# rewritten whenever either changes.
RECORD = {"provenance"}
JOB = re.compile(r"^\s*(?:local)?rule (\w+):$")
WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")


def planned_jobs(output):
    """(rule, wildcards) of every job a dry run would run, without ``all``."""
    jobs, rule = set(), None
    for line in output.splitlines():
        if match := JOB.match(line):
            if rule is not None:
                jobs.add((rule, ""))
            rule = match.group(1)
        elif rule and (match := WILDCARDS.match(line)):
            jobs.add((rule, match.group(1)))
            rule = None
        elif rule and not line.strip():
            jobs.add((rule, ""))
            rule = None
    return {job for job in jobs if job[0] != "all"}


def rules(jobs):
    return {rule for rule, _ in jobs}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the workflow with a complete run on a fixed (template) mask."""
    root = tmp_path_factory.mktemp("rebuilds")
    for name in ("Snakefile", "config", "workflow", "envs", "profiles"):
        source = PROJECT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, root / name)
    sheet = write_cohort(root / "cohort")
    config = {"subjects": str(sheet), "mask": "template"}
    run_snakemake(root, config=config, snakefile=root / "Snakefile")
    return root, config


def dry_run(project, **changes):
    root, config = project
    merged = {**config, **changes}
    process = run_snakemake(root, "--dry-run", config=merged, snakefile=root / "Snakefile")
    return process.stdout


def test_nothing_changed_nothing_to_do(project):
    output = dry_run(project)
    assert "Nothing to be done" in output
    assert planned_jobs(output) == set()


def test_figure_option_reruns_only_figures(project):
    jobs = planned_jobs(dry_run(project, figures={"dpi": 72}))
    assert jobs and rules(jobs) <= FIGURES | RECORD


def test_an_option_of_the_other_method_reruns_nothing(project):
    """CanICA's n_init does not enter DictLearning (the default method)."""
    jobs = planned_jobs(dry_run(project, decomposition={"n_init": 3}))
    assert rules(jobs) <= RECORD
    jobs = planned_jobs(dry_run(project, decomposition={"alpha": 5}))
    assert "decompose" in rules(jobs) and "reduce_subject" not in rules(jobs)


def test_region_threshold_reruns_regions_and_after_only(project):
    jobs = planned_jobs(dry_run(project, regions={"threshold": 0.4}))
    assert "extract_regions" in rules(jobs)
    assert {"subject_timeseries", "group_connectivity"} <= rules(jobs)
    assert not rules(jobs) & {"decompose", "reduce_subject", "group_mask", "subject_epi_mask"}


def test_one_subjects_confounds_rerun_only_what_reads_them(project):
    root, _ = project
    path = root / "cohort" / "sub-02_confounds.tsv"
    original = path.read_text()
    frame = pd.read_csv(path, sep="\t")
    frame["trans_x"] *= 1.01
    frame.to_csv(path, sep="\t", index=False)
    try:
        jobs = planned_jobs(dry_run(project))
    finally:
        path.write_text(original)
    assert jobs == {
        ("subject_timeseries", "run=sub-02/func/sub-02_task-rest"),
        ("group_connectivity", "kind=correlation"),
        ("connectivity_table", ""),
        ("coverage_table", ""),
        ("qc_table", ""),
        ("qcfc", ""),
        ("plot_connectome", ""),
        ("plot_quality", ""),
        ("provenance", ""),
    }


def test_reordered_sheet_reruns_the_decomposition_and_after(project):
    """The components depend on the order of the subjects (as in nilearn's script)."""
    root, _ = project
    lines = (root / "cohort" / "subjects.tsv").read_text().splitlines()
    sheet = root / "cohort" / "subjects_reordered.tsv"
    sheet.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    jobs = planned_jobs(dry_run(project, subjects=str(sheet)))
    assert {"decompose", "extract_regions", "subject_timeseries"} <= rules(jobs)
    assert not rules(jobs) & {"reduce_subject", "group_mask"}, "the reference grid is kept"


def test_added_subject_with_fixed_mask_redoes_no_other_reduction(project):
    root, config = project
    bigger = root / "bigger"
    write_cohort(bigger, n_subjects=4)  # same seed: the same cohort, one more subject
    sheet = root / "cohort" / "subjects_plus.tsv"
    sheet.write_text(
        (root / "cohort" / "subjects.tsv").read_text().rstrip("\n")
        + f"\n04\t{bigger}/sub-04_bold.nii.gz\t{bigger}/sub-04_confounds.tsv\n"
    )
    jobs = planned_jobs(dry_run(project, subjects=str(sheet)))
    assert {w for r, w in jobs if r == "reduce_subject"} == {"run=sub-04/func/sub-04_task-rest"}
    assert "decompose" in rules(jobs)
    assert not rules(jobs) & {"group_mask", "subject_epi_mask"}


def test_edited_script_reruns_its_jobs_and_downstream_only(project):
    root, _ = project
    script = root / "workflow" / "scripts" / "plot_regions.py"
    original = script.read_text()
    script.write_text(original + "\n# edited\n")
    try:
        jobs = planned_jobs(dry_run(project))
    finally:
        script.write_text(original)
    assert jobs == {("plot_regions", "")}


# The three tests below replace input files keeping their modification time
# (what `cp -p`, `rsync -t` or a restore from backup do), which Snakemake's own
# test of modification times cannot see; they run last in this module.


def replace_keeping_times(path, content):
    """Write ``content`` over ``path``, then set its access and modification times back."""
    times = path.stat()
    path.write_bytes(content)
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def test_a_file_replaced_by_the_same_bytes_reruns_nothing(project):
    root, _ = project
    path = root / "cohort" / "sub-03_confounds.tsv"
    before = planned_jobs(dry_run(project))  # what earlier tests left to do
    replace_keeping_times(path, path.read_bytes())
    assert planned_jobs(dry_run(project)) == before
    assert not any("sub-03" in wildcards for _, wildcards in before)


def test_confounds_replaced_with_size_and_time_kept_rerun_their_subject(project):
    """Same size, same modification time, other numbers: read, compared, rerun."""
    root, _ = project
    path = root / "cohort" / "sub-03_confounds.tsv"
    text = path.read_text()
    changed = text.replace("1", "2", 1) if "1" in text else text.replace("2", "1", 1)
    assert len(changed) == len(text) and changed != text
    replace_keeping_times(path, changed.encode())
    assert path.stat().st_size == len(text.encode())
    jobs = planned_jobs(dry_run(project))
    assert ("subject_timeseries", "run=sub-03/func/sub-03_task-rest") in jobs
    assert not rules(jobs) & {"reduce_subject", "decompose"}, "the image did not change"


def test_an_image_replaced_by_an_older_copy_reruns_its_subject(project):
    """An image restored from elsewhere with an older time than the results."""
    root, _ = project
    image = root / "cohort" / "sub-02_bold.nii.gz"
    other = (root / "cohort" / "sub-01_bold.nii.gz").read_bytes()
    replace_keeping_times(image, other)
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns - 3_600 * 10**9))
    jobs = planned_jobs(dry_run(project))
    assert ("reduce_subject", "run=sub-02/func/sub-02_task-rest") in jobs
    assert ("reduce_subject", "run=sub-01/func/sub-01_task-rest") not in jobs
    assert {"decompose", "subject_timeseries", "provenance"} <= rules(jobs)
