"""Real runs with regions applied from a file (``regions.apply``).

A previous run's regions, applied to the same cohort, give its numbers; a
subject added later costs its own job and the group jobs; Debian's AAL and
Harvard-Oxford atlases (package mricron-data) run end to end on the synthetic
cohort and on the real resting-state run (tests/testdata.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import NILEARN_FLOAT32_ATOL, run_file, run_snakemake
from regions_connectome.synthetic import write_cohort
from testdata import real_bold_folder

ATLASES = Path("/usr/share/mricron/templates")
AAL, AAL_NAMES = ATLASES / "aal.nii.gz", ATLASES / "aal.nii.txt"
HARVARD_OXFORD = ATLASES / "HarvardOxford-cort-maxprob-thr0-1mm.nii.gz"

# The same regions and data through two paths (the reduction's kept smoothed
# data in the group mask, or the image smoothed in the regions' extent): the
# same float64 operations on the same voxels.
SAME_NUMBERS_ATOL = 1e-10


def read(path):
    return pd.read_csv(path, sep="\t", index_col=0)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Four synthetic subjects; ``first3.tsv`` names the first three."""
    folder = tmp_path_factory.mktemp("cohort4")
    sheet = write_cohort(folder, n_subjects=4)
    table = pd.read_csv(sheet, sep="\t", dtype=str)
    table.head(3).to_csv(folder / "first3.tsv", sep="\t", index=False)
    return folder


@pytest.fixture(scope="module")
def learned(cohort, tmp_path_factory):
    """A run that learns its regions from the first three subjects."""
    workdir = tmp_path_factory.mktemp("learned")
    run_snakemake(workdir, config={"subjects": str(cohort / "first3.tsv")})
    return workdir / "results"


def jobs_of(dry_run_output):
    """Rule -> number of jobs, from the job table of a dry run."""
    table = re.search(r"job\s+count\n[-\s]+\n(.*?)\ntotal", dry_run_output, re.S).group(1)
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_a_previous_runs_regions_give_its_numbers_and_a_new_subject_costs_its_own_jobs(
    cohort, learned, tmp_path
):
    regions = {
        "apply": str(learned / "group/regions.nii.gz"),
        "apply_labels": str(learned / "group/regions.tsv"),
    }
    config = {"subjects": str(cohort / "first3.tsv"), "regions": regions}
    run_snakemake(tmp_path, config=config)
    results = tmp_path / "results"
    assert not (results / "group/components.nii.gz").exists()
    assert not (results / "group/mask.nii.gz").exists()
    for ours, theirs in [
        (run_file(results, "01", "_timeseries.tsv"), run_file(learned, "01", "_timeseries.tsv")),
        (
            results / "group/meas-correlation_relmat.tsv",
            learned / "group/meas-correlation_relmat.tsv",
        ),
    ]:
        ours, theirs = read(ours), read(theirs)
        assert list(ours.columns) == list(theirs.columns)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=SAME_NUMBERS_ATOL)
    methods = (results / "methods.md").read_text()
    digest = hashlib.sha256((learned / "group/regions.nii.gz").read_bytes()).hexdigest()
    assert f"`regions.nii.gz` (SHA-256 {digest}) was applied" in methods
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["applied_regions"]["sha256"] == digest

    # A fourth subject joins: its own job and the group jobs, nothing else.
    before = {p: p.stat().st_mtime_ns for p in results.glob("sub-0[123]/func/*")}
    config["subjects"] = str(cohort / "subjects.tsv")
    jobs = jobs_of(run_snakemake(tmp_path, "--dry-run", config=config).stdout)
    assert jobs.pop("subject_timeseries") == 1
    assert set(jobs) <= {
        "group_connectivity", "connectivity_table", "coverage_table", "qc_table",
        "qcfc", "plot_connectome", "plot_quality", "provenance", "inputs_ledger", "all",
    }, jobs  # fmt: skip
    run_snakemake(tmp_path, config=config)
    assert {p: p.stat().st_mtime_ns for p in results.glob("sub-0[123]/func/*")} == before
    group = json.loads((results / "group/meas-correlation_relmat.json").read_text())
    assert group["InputLabels"] == ["01", "02", "03", "04"]


def test_aal_on_the_synthetic_cohort_names_every_region(cohort, tmp_path):
    """Debian's AAL (116 labels, 1 mm) with its lookup table, on 6 mm data."""
    config = {
        "subjects": str(cohort / "first3.tsv"),
        "regions": {"apply": str(AAL), "apply_labels": str(AAL_NAMES)},
    }
    run_snakemake(tmp_path, config=config)
    results = tmp_path / "results"
    names = [line.split()[1] for line in AAL_NAMES.read_text().splitlines() if line.strip()]
    table = pd.read_csv(results / "group/regions.tsv", sep="\t")
    assert table["label"].tolist() == names and len(names) == 116
    coverage = read(results / "group/coverage.tsv")
    assert list(coverage.columns) == names and coverage.index.tolist() == [1, 2, 3]
    assert ((coverage >= 0) & (coverage <= 1)).all().all()
    for subject in ["01", "02", "03"]:
        timeseries = read(run_file(results, subject, "_timeseries.tsv"))
        matrix = read(run_file(results, subject, "_meas-correlation_relmat.tsv"))
        missing = timeseries.isna().all()
        # n/a exactly where the subject covers less than min_coverage (0.5)
        assert (missing == (coverage.loc[int(subject)] < 0.5)).all()
        assert matrix.loc[missing, :].isna().all().all()
        assert np.isfinite(matrix.loc[~missing, ~missing]).all().all()
        sidecar = json.loads(run_file(results, subject, "_timeseries.json").read_text())
        assert sidecar["Masker"] == "nilearn.maskers.NiftiLabelsMasker"
        assert sidecar["RegionsWithoutSignal"] == list(missing[missing].index)
    # the synthetic images vary in every voxel: every region has signal
    assert not missing.any() and (coverage == 1).all().all()
    for figure in ["regions.png", "regions.html", "matrix.png", "connectome.png"]:
        assert (results / "figures" / figure).stat().st_size > 1000


def test_harvard_oxford_on_a_real_run(tmp_path):
    """The real resting-state run through an MNI atlas without names.

    Native space, int16, 110 volumes: the regions its field of view covers get
    NiftiLabelsMasker's numbers, the others are n/a.
    """
    from nilearn.maskers import NiftiLabelsMasker

    real_bold = real_bold_folder()
    motion = np.loadtxt(real_bold / "sub-happy_task-rest_desc-mcflirt_motion.par")
    columns = ["rot_x", "rot_y", "rot_z", "trans_x", "trans_y", "trans_z"]
    confounds = tmp_path / "happy_confounds.tsv"
    pd.DataFrame(motion, columns=columns).to_csv(confounds, sep="\t", index=False)
    func = real_bold / "sub-happy_task-rest_bold.nii.gz"
    sheet = tmp_path / "subjects.tsv"
    sheet.write_text(f"subject\tfunc\tconfounds\nhappy\t{func}\t{confounds}\n")
    # The run's field of view cuts 7 of the 48 regions, none below half: ask
    # for 95% coverage to see them n/a.
    regions = {"apply": str(HARVARD_OXFORD), "t_r": 1.16, "min_coverage": 0.95}
    config = {"subjects": str(sheet), "regions": regions}
    run_snakemake(tmp_path, config=config)
    results = tmp_path / "results"
    timeseries = read(run_file(results, "happy", "_timeseries.tsv"))
    coverage = read(results / "group/coverage.tsv").loc["happy"]
    assert timeseries.shape == (110, 48) and timeseries.columns[0] == "region001"
    missing = timeseries.isna().all()
    assert (missing == (coverage < 0.5)).all() and (~missing).sum() > 0
    # the regions the run covers wholly: nilearn's labels masker on the same
    # regions image gives the same signals
    whole = coverage.index[coverage == 1]
    assert len(whole) > 0
    masker = NiftiLabelsMasker(
        str(results / "group/regions.nii.gz"),
        smoothing_fwhm=6.0,
        standardize=True,
        standardize_confounds=True,
        t_r=1.16,
    )
    table = pd.read_csv(results / "group/regions.tsv", sep="\t")
    present = table.loc[table["n_voxels"] > 0, "label"]  # nilearn drops the others
    expected = pd.DataFrame(masker.fit_transform(str(func), confounds=motion), columns=present)
    np.testing.assert_allclose(
        timeseries[whole].to_numpy(), expected[whole].to_numpy(), atol=NILEARN_FLOAT32_ATOL
    )
    group = read(results / "group/meas-correlation_relmat.tsv")
    assert group.loc[missing, :].isna().all().all()
    assert np.isfinite(group.loc[~missing, ~missing]).all().all()
