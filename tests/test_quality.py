"""regions_connectome.quality: the quality measures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cohorts import ADHD_FILES
from helpers import run_snakemake
from regions_connectome.denoising import read_confounds
from regions_connectome.quality import (
    distance_to_group,
    framewise_displacement,
    qc_fc,
    run_qc,
)

AAL = "/usr/share/mricron/templates/aal.nii.gz"


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.stem)
def test_framewise_displacement_of_real_adhd_confounds(path):
    confounds = read_confounds(path)
    fd = framewise_displacement(confounds)
    assert len(fd) == len(confounds) and fd.iloc[0] == 0 and (fd >= 0).all()
    # ADHD-200 rotations are in degrees: arc length on a 50 mm sphere
    step = confounds.iloc[1] - confounds.iloc[0]
    expected = (
        step[["motion-x", "motion-y", "motion-z"]].abs().sum()
        + np.deg2rad(step[["motion-pitch", "motion-roll", "motion-yaw"]].abs()).sum() * 50
    )
    assert fd.iloc[1] == pytest.approx(expected)
    assert fd.mean() < 2.0, "FD of real data is a fraction of a millimetre on average"


def test_the_five_real_adhd_files_are_there():
    assert len(ADHD_FILES) == 5


def test_framewise_displacement_fmriprep_names_and_none():
    motion = pd.DataFrame(
        np.zeros((3, 6)), columns=["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    )
    motion.loc[2, "trans_x"], motion.loc[2, "rot_z"] = 0.3, 0.002
    np.testing.assert_allclose(framewise_displacement(motion), [0, 0, 0.3 + 0.002 * 50])
    assert framewise_displacement(pd.DataFrame({"csf": [1.0, 2.0]})) is None


def test_distance_to_group():
    group = np.array([[1, 0.5], [0.5, 1]])
    assert distance_to_group([group, group + 0.1], group) == pytest.approx([0, 0.1])


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.stem)
def test_run_qc_of_real_adhd_confounds(path):
    fd = framewise_displacement(read_confounds(path))
    qc = run_qc(path, len(fd), len(fd) - 3)
    assert qc["n_volumes"] == len(fd) and qc["n_volumes_kept"] == len(fd) - 3
    assert qc["mean_fd"] == pytest.approx(fd.mean(), rel=1e-12)
    assert qc["max_fd"] == pytest.approx(fd.max(), rel=1e-12)
    assert qc["mean_dvars"] is None and qc["mean_std_dvars"] is None


def test_run_qc_reads_fmriprep_dvars_and_says_none_without_confounds(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20, 6)) * 0.1, columns=[
        "trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"])  # fmt: skip
    frame["dvars"], frame["std_dvars"] = rng.uniform(10, 20, 20), rng.uniform(0.8, 1.5, 20)
    frame.loc[0, ["dvars", "std_dvars"]] = np.nan  # fMRIPrep's first row
    path = tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv"
    frame.to_csv(path, sep="\t", index=False, na_rep="n/a")
    qc = run_qc(path, 20, 20)
    assert qc["mean_dvars"] == pytest.approx(frame["dvars"].mean(), rel=1e-9)  # pandas skips n/a
    assert qc["mean_std_dvars"] == pytest.approx(frame["std_dvars"].mean(), rel=1e-9)
    assert qc["mean_fd"] == pytest.approx(framewise_displacement(frame).mean(), rel=1e-9)
    assert run_qc(None, 20, 18) == {
        "n_volumes": 20, "n_volumes_kept": 18, "mean_fd": None, "max_fd": None,
        "mean_dvars": None, "mean_std_dvars": None,
    }  # fmt: skip


def test_qc_fc_is_scipys_correlation_per_edge():
    rng = np.random.default_rng(0)
    n_subjects, n_regions = 12, 6
    fd = rng.uniform(0.05, 0.5, n_subjects)
    matrices = []
    for _ in range(n_subjects):
        m = np.corrcoef(rng.normal(size=(n_regions, 40)))
        matrices.append(m)
    matrices[3][1, 4] = matrices[3][4, 1] = np.nan  # subject 3 lacks edge (1, 4)
    coords = rng.uniform(-60, 60, (n_regions, 3))
    edges, summary = qc_fc(matrices, fd, coords)
    assert len(edges["qcfc"]) == summary["NumberOfEdges"] == n_regions * (n_regions - 1) // 2
    keys = ("region_a", "region_b", "qcfc", "p", "n_subjects", "distance")
    for a, b, r, p, n, d in zip(*(edges[k] for k in keys), strict=True):
        keep = np.array([np.isfinite(m[a, b]) for m in matrices])
        expected = stats.pearsonr([m[a, b] for m, k in zip(matrices, keep, strict=True) if k],
                                  fd[keep])  # fmt: skip
        assert r == pytest.approx(expected.statistic, abs=1e-12)
        assert p == pytest.approx(expected.pvalue, rel=1e-9)
        assert n == keep.sum() == (n_subjects - 1 if (a, b) == (1, 4) else n_subjects)
        assert d == pytest.approx(np.linalg.norm(coords[a] - coords[b]))
    rho = stats.spearmanr(edges["qcfc"], edges["distance"]).statistic
    assert summary["DistanceDependence"] == pytest.approx(rho, abs=1e-12)
    assert summary["PercentSignificant"] == pytest.approx(100 * np.mean(edges["p"] < 0.05))
    assert summary["PercentSignificantFDR"] <= summary["PercentSignificant"]
    assert summary["MedianAbsQCFC"] == pytest.approx(np.median(np.abs(edges["qcfc"])))


def test_qc_fc_needs_three_subjects():
    matrices = [np.eye(3), np.eye(3) * 0.5]
    edges, summary = qc_fc(matrices, [0.1, 0.2], np.zeros((3, 3)))
    assert np.isnan(edges["qcfc"]).all() and np.isnan(summary["PercentSignificant"])


def qcfc_of_demo(workdir, motion_leak):
    """QC-FC of a 16-subject demo cohort whose motion differs across subjects."""
    demo = {"n_subjects": 16, "n_volumes": 80, "voxel_size": 6.0, "motion_spread": 0.7,
            "motion_leak": motion_leak}  # fmt: skip
    regions = {"apply": AAL, "apply_labels": f"{AAL.removesuffix('.gz')}.txt"}
    workdir.mkdir()
    run_snakemake(workdir, "results/group/qcfc.json", config={"demo": demo, "regions": regions})
    summary = json.loads((workdir / "results/group/qcfc.json").read_text())
    qc = pd.read_csv(workdir / "results/group/qc.tsv", sep="\t", dtype={"input": str})
    return summary, qc


def test_qc_fc_finds_motion_planted_to_leak_into_connectivity(tmp_path):
    """QC-FC tells a cohort whose motion leaks into connectivity from one where it does not.

    Two real runs on the same subjects (AAL regions, 6670 edges): with motion
    artefacts left in the data, many edges follow motion, nearby ones most;
    without them, about the 5 % that chance gives, and none after FDR.
    """
    clean, clean_qc = qcfc_of_demo(tmp_path / "clean", 0.0)
    leaky, leaky_qc = qcfc_of_demo(tmp_path / "leaky", 10.0)
    pd.testing.assert_frame_equal(clean_qc, leaky_qc)  # the same motion in both
    assert clean_qc["mean_fd"].max() > 4 * clean_qc["mean_fd"].min()
    assert clean["NumberOfEdges"] == leaky["NumberOfEdges"] == 116 * 115 // 2
    assert clean["PercentSignificant"] < 8 and clean["PercentSignificantFDR"] < 1
    assert abs(clean["DistanceDependence"]) < 0.1
    assert leaky["PercentSignificant"] > 30 and leaky["PercentSignificantFDR"] > 20
    assert leaky["MedianAbsQCFC"] > 2 * clean["MedianAbsQCFC"]
    assert leaky["DistanceDependence"] < -0.15


def test_qcfc_counts_each_participant_once():
    from regions_connectome.quality import qc_fc, qcfc_table

    rng = np.random.default_rng(0)
    labels = ["r0", "r1", "r2"]
    runs = ["01_run-1", "01_run-2", "02", "03", "04"]
    matrices = {}
    for run in runs:
        m = rng.uniform(-1, 1, (3, 3))
        matrices[run] = pd.DataFrame((m + m.T) / 2, index=labels, columns=labels)
    qc = pd.DataFrame({"mean_fd": rng.uniform(0.05, 0.5, len(runs))}, index=runs)
    regions = pd.DataFrame({"label": labels, "x": [0, 10, 20], "y": [0, 0, 0], "z": [0, 5, 0]})
    edges, summary, _ = qcfc_table(matrices, qc, regions, unit="participant")
    first = (matrices["01_run-1"].to_numpy() + matrices["01_run-2"].to_numpy()) / 2
    expected, _ = qc_fc(
        [first] + [matrices[r].to_numpy() for r in runs[2:]],
        [qc["mean_fd"].iloc[:2].mean(), *qc["mean_fd"].iloc[2:]],
        regions[["x", "y", "z"]].to_numpy(dtype=float),
    )
    assert summary["NumberOfUnits"] == 4
    np.testing.assert_allclose(edges["qcfc"], expected["qcfc"], atol=1e-12)


def test_a_gap_in_a_column_nobody_uses_stops_nothing(tmp_path):
    """For real: the denoising uses two motion columns, another column has a gap."""
    from regions_connectome.quality import run_qc
    from regions_connectome.synthetic import write_cohort

    sheet = write_cohort(tmp_path / "cohort")
    path = tmp_path / "cohort" / "sub-01_confounds.tsv"
    confounds = pd.read_csv(path, sep="\t")
    confounds["unused"] = 1.0
    confounds.loc[10, "unused"] = np.nan
    confounds.to_csv(path, sep="\t", index=False, na_rep="n/a")
    row = run_qc(path, len(confounds), len(confounds))
    assert row["mean_fd"] > 0
    config = {"subjects": str(sheet), "mask": "template",
              "confounds": {"columns": ["trans_x", "trans_y"]}}  # fmt: skip
    run_snakemake(tmp_path, config=config)
    qc = pd.read_csv(
        tmp_path / "results" / "group" / "qc.tsv", sep="\t", index_col=0, dtype={"input": str}
    )
    assert qc.loc["01", "mean_fd"] == pytest.approx(row["mean_fd"])
