"""End to end: the real snakemake on the default synthetic cohort, made small."""

from __future__ import annotations

import re

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml

from cohorts import SMALL_DEMO
from helpers import PROJECT, SNAKEMAKE, run_file, run_snakemake
from regions_connectome.decomposition import decomposition_request_mb

N_COMPONENTS = 5


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Results folder of a complete run on a small demo cohort."""
    workdir = tmp_path_factory.mktemp("workflow")
    run_snakemake(workdir, config={"demo": SMALL_DEMO})
    return workdir / "results"


def read(path):
    return pd.read_csv(path, sep="\t", index_col=0)


def test_group_images(results):
    mask = nib.load(results / "group" / "mask.nii.gz")
    components = nib.load(results / "group" / "components.nii.gz")
    regions = nib.load(results / "group" / "regions.nii.gz")
    assert mask.ndim == 3 and set(np.unique(mask.get_fdata())) == {0, 1}
    assert components.shape == (*mask.shape, N_COMPONENTS)
    assert components.get_data_dtype() == np.float32
    assert regions.shape[:3] == mask.shape and regions.shape[3] >= N_COMPONENTS
    outside = components.get_fdata()[mask.get_fdata() == 0]
    assert not outside.any(), "components must be zero outside the group mask"


def test_regions_table(results):
    table = pd.read_csv(results / "group" / "regions.tsv", sep="\t")
    regions = nib.load(results / "group" / "regions.nii.gz")
    assert list(table.columns[:6]) == ["region", "component", "n_voxels", "x", "y", "z"]
    assert table["region"].tolist() == list(range(regions.shape[-1]))
    assert table["component"].between(0, N_COMPONENTS - 1).all()
    counts = np.count_nonzero(regions.get_fdata(), axis=(0, 1, 2))
    assert table["n_voxels"].tolist() == counts.tolist()
    # at least min_region_size (1350 mm^3) of 6 mm voxels
    assert (table["n_voxels"] * 6.0**3 >= 1350).all()
    assert table[["x", "y", "z"]].abs().max().max() < 130, "MNI coordinates in mm"


def test_regions_recover_planted_blobs(results):
    """Every extracted region lies on a planted blob (ground truth)."""
    blobs = pd.read_csv(results / "sourcedata" / "demo" / "ground_truth" / "blobs.tsv", sep="\t")
    table = pd.read_csv(results / "group" / "regions.tsv", sep="\t")
    centres = blobs[["x", "y", "z"]].to_numpy()
    distance = np.linalg.norm(
        table[["x", "y", "z"]].to_numpy()[:, None] - centres[None], axis=-1
    ).min(axis=1)
    assert np.median(distance) < 2 * blobs["sigma_mm"].iloc[0], distance


def test_subject_outputs(results):
    labels = pd.read_csv(results / "group" / "regions.tsv", sep="\t")["label"].tolist()
    for subject in ("01", "02", "03"):
        timeseries = read(run_file(results, subject, "_timeseries.tsv"))
        assert timeseries.shape == (60, len(labels))
        assert timeseries.columns.tolist() == labels
        assert np.isfinite(timeseries.to_numpy()).all()
        matrix = read(run_file(results, subject, "_meas-correlation_relmat.tsv"))
        assert matrix.index.tolist() == labels and matrix.columns.tolist() == labels
        values = matrix.to_numpy()
        np.testing.assert_allclose(values, values.T, atol=1e-12)
        np.testing.assert_allclose(np.diag(values), 1.0, atol=1e-6)
        assert np.abs(values).max() <= 1 + 1e-9


def test_ledger_accounts_for_every_input_and_output(results):
    """inputs.tsv: every input included; outputs.tsv: every file rule all made."""
    inputs = pd.read_csv(results / "group" / "inputs.tsv", sep="\t", dtype={"input": str})
    assert inputs["input"].tolist() == ["01", "02", "03"]
    assert (inputs["status"] == "included").all()
    outputs = pd.read_csv(results / "group" / "outputs.tsv", sep="\t", dtype={"input": str})
    workdir = results.parent
    assert all((workdir / path).is_file() for path in outputs["file"])
    for subject in ("01", "02", "03"):
        for suffix in ("_timeseries.tsv", "_meas-correlation_relmat.tsv"):
            path = run_file(results, subject, suffix).relative_to(workdir).as_posix()
            assert outputs.set_index("file").loc[path, "input"] == subject
    counted = outputs["input"].value_counts()
    assert inputs.set_index("input")["n_outputs"].to_dict() == counted.to_dict()
    group = outputs.loc[outputs["input"].isna(), "file"].tolist()
    assert "results/group/meas-correlation_relmat.tsv" in group


def test_group_connectome_is_mean_of_subjects(results):
    mean = read(results / "group" / "meas-correlation_relmat.tsv")
    subjects = [
        read(run_file(results, s, "_meas-correlation_relmat.tsv")) for s in ("01", "02", "03")
    ]
    np.testing.assert_allclose(
        mean.to_numpy(), np.mean([m.to_numpy() for m in subjects], axis=0), atol=1e-8
    )


def test_figures(results):
    figures = results / "figures"
    expected = ["components", "regions", "matrix", "connectome"] + [
        f"network-{k}" for k in range(N_COMPONENTS)
    ]
    for name in expected:
        png = (figures / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, name
    pages = ["connectome.html", "regions.html"]
    assert sorted(p.name for p in figures.iterdir()) == sorted(
        [f"{n}.png" for n in expected] + pages + ["qcfc.png", "quality", "quality_group.png"]
    )
    for page in pages:
        assert "<html" in (figures / page).read_text()[:2000].lower()
    # Snakemake's timestamp of the folder output aside (BIDS tools skip dot files)
    quality = figures / "quality"
    assert sorted(p.name for p in quality.iterdir() if not p.name.startswith(".")) == [
        "sub-01_task-rest_quality.png",
        "sub-02_task-rest_quality.png",
        "sub-03_task-rest_quality.png",
    ]


def test_the_decomposition_asks_for_memory_that_grows_with_its_inputs(results):
    """What learning from every row needs (from the reduced data's size), within the budget."""
    budget = yaml.safe_load((PROJECT / "config.yaml").read_text())["decomposition"]["memory_mb"]
    process = run_snakemake(
        results.parent, "--dry-run", "--forcerun", "decompose", config={"demo": SMALL_DEMO}
    )
    block = process.stdout.split("rule decompose:", 1)[1].split("\n\n", 1)[0]
    asked = int(re.search(r"mem_mb=(\d+)", block).group(1))
    reduced = sum(p.stat().st_size for p in results.glob("sub-*/func/*_desc-reduced_data.npy"))
    assert asked == int(decomposition_request_mb(reduced / 2**20, budget))
    assert asked < decomposition_request_mb(10 * reduced / 2**20, budget)


def test_rerun_has_nothing_to_do(results):
    process = run_snakemake(results.parent, "--dry-run", config={"demo": SMALL_DEMO})
    assert "Nothing to be done" in process.stdout


def test_logs_and_benchmarks_for_every_job(results):
    logs = list((results / "logs").rglob("*.log"))
    benchmarks = list((results / "benchmarks").rglob("*.tsv"))
    assert len(logs) == len(benchmarks) > 20


def test_each_image_is_decompressed_once_and_no_copy_is_left(results):
    """With the EPI mask, each reduction reads the copy its EPI-mask job kept."""
    from regions_connectome.niimg import DECOMPRESSED_FOLDER

    logs = sorted((results / "logs" / "reduce_subject").rglob("*.log"))
    assert len(logs) == SMALL_DEMO["n_subjects"]
    for log in logs:
        assert "read the decompressed data of" in log.read_text(), log
    assert not list((results.parent / DECOMPRESSED_FOLDER).glob("*"))


def test_runs_from_another_folder_without_naming_the_config(tmp_path):
    """``--snakefile … --directory …`` alone uses the workflow's config.yaml."""
    import subprocess

    process = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(PROJECT / "Snakefile"), "--directory", str(tmp_path),
         "--dry-run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-2000:]
    assert "demo_subject" in process.stdout


def test_timeseries_smoothed_otherwise_than_the_decomposition(results, tmp_path):
    """regions.smoothing_fwhm unlike decomposition's: the timeseries job reads the image."""
    import json
    import shutil

    shutil.copytree(results.parent, tmp_path, dirs_exist_ok=True)  # with .snakemake's records
    run_snakemake(tmp_path, config={"demo": SMALL_DEMO, "regions": {"smoothing_fwhm": 4.0}})
    sidecar = json.loads(run_file(tmp_path / "results", "01", "_timeseries.json").read_text())
    assert sidecar["SmoothedOnce"] is False
    assert sidecar["MaskerParameters"]["smoothing_fwhm"] == 4.0
    sharper = read(run_file(tmp_path / "results", "01", "_timeseries.tsv"))
    assert np.isfinite(sharper.to_numpy()).all()
    assert not np.allclose(sharper, read(run_file(results, "01", "_timeseries.tsv")))


def test_smoothed_data_not_kept_costs_the_timeseries_only(results, tmp_path):
    """Without the smoothed data kept: none left, no reduction rerun, the same timeseries.

    The timeseries job smooths the same image the same way the reduction did.
    """
    import json
    import shutil

    from test_rebuilds import planned_jobs

    shutil.copytree(results.parent, tmp_path, dirs_exist_ok=True)  # with .snakemake's records
    config = {"demo": SMALL_DEMO, "keep_smoothed_data": False}
    planned = {
        rule for rule, _ in planned_jobs(run_snakemake(tmp_path, "-n", config=config).stdout)
    }
    assert "subject_timeseries" in planned
    assert not planned & {"reduce_subject", "decompose", "extract_regions", "group_mask"}
    run_snakemake(tmp_path, config=config)
    assert not list((tmp_path / "results").glob("sub-*/**/*_desc-smoothed_bold.npz"))
    assert list((tmp_path / "results/.stale").glob("*/sub-*/**/*_desc-smoothed_bold.npz"))
    sidecar = json.loads(run_file(tmp_path / "results", "01", "_timeseries.json").read_text())
    assert sidecar["SmoothedOnce"] is False
    again = read(run_file(tmp_path / "results", "01", "_timeseries.tsv"))
    np.testing.assert_allclose(again, read(run_file(results, "01", "_timeseries.tsv")), atol=1e-6)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The default configuration as `make run` runs it: 12 subjects, 150 volumes, 4 mm."""
    workdir = tmp_path_factory.mktemp("default")
    run_snakemake(workdir)
    return workdir


def test_default_demo_recovers_every_planted_network(default_run):
    """Each planted network is paired with its own component, spatial r above 0.8."""
    recovery = pd.read_csv(default_run / "results" / "group" / "demo_recovery.tsv", sep="\t")
    truth = default_run / "results" / "sourcedata" / "demo" / "ground_truth" / "networks.nii.gz"
    n_networks = nib.load(truth).shape[-1]
    print("\n" + recovery.to_string(index=False))
    assert len(recovery) == n_networks and recovery["component"].nunique() == n_networks
    assert (recovery["spatial_r"] > 0.8).all(), recovery


def test_default_demo_regions_follow_the_threshold(default_run):
    """A lower ratio of voxels keeps fewer voxels: the threshold matters on the demo."""
    before = nib.load(default_run / "results" / "group" / "regions.nii.gz").get_fdata()
    run_snakemake(default_run, "--config", "regions={threshold: 0.05}")
    after = nib.load(default_run / "results" / "group" / "regions.nii.gz").get_fdata()
    kept_before, kept_after = np.count_nonzero(before), np.count_nonzero(after)
    print(f"\nvoxels in regions: {kept_before} at threshold 0.5, {kept_after} at 0.05")
    assert 0 < kept_after < kept_before
