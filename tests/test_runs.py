"""regions_connectome.runs: what one run's job computes, assembled from the tested steps."""

from __future__ import annotations

from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from helpers import SIGNAL_PARAMS, timeseries_of
from regions_connectome.quality import QC_COLUMNS, run_qc
from regions_connectome.runs import run_connectivity

CONFOUNDS = {"columns": "all", "strategy": None, "options": {}, "min_degrees_of_freedom": 10}
KINDS = ["correlation", "covariance"]


@pytest.fixture
def job(subject, planted, tmp_path):
    """The files of one run's job, as the rule gives them."""
    img, confounds, regions_img, index = subject
    paths = {name: str(tmp_path / name) for name in ("func.nii.gz", "confounds.tsv",
             "regions.nii.gz", "regions.tsv", "mask.nii.gz")}  # fmt: skip
    img.to_filename(paths["func.nii.gz"])
    confounds.to_csv(paths["confounds.tsv"], sep="\t", index=False)
    regions_img.to_filename(paths["regions.nii.gz"])
    planted[0].to_filename(paths["mask.nii.gz"])
    labels = [f"r{k:02d}" for k in range(len(index))]
    pd.DataFrame({"region": range(len(index)), "label": labels}).to_csv(
        paths["regions.tsv"], sep="\t", index=False
    )
    inputs = {
        "func": paths["func.nii.gz"], "confounds": paths["confounds.tsv"],
        "regions": paths["regions.nii.gz"], "table": paths["regions.tsv"], "smoothed": "",
        "mask": paths["mask.nii.gz"],
    }  # fmt: skip
    params = SimpleNamespace(
        regions=SIGNAL_PARAMS | {"min_coverage": 0.5}, confounds=CONFOUNDS,
        source_func=paths["func.nii.gz"], kinds=KINDS,
    )  # fmt: skip
    return inputs, params, labels


def test_a_run_gives_the_steps_timeseries_matrices_and_qc(job, subject, planted):
    from nilearn.connectome import ConnectivityMeasure
    from sklearn.covariance import LedoitWolf

    inputs, params, labels = job
    img, confounds, regions_img, _ = subject
    run = run_connectivity("01_ses-A", inputs, params, "ts.tsv")
    expected, _ = timeseries_of(img, planted[0], regions_img, confounds.to_numpy())
    np.testing.assert_allclose(run.timeseries, expected, rtol=1e-10, atol=1e-12)
    assert run.labels == labels and list(run.volumes) == list(range(len(expected)))
    measure = ConnectivityMeasure(
        kind="correlation", cov_estimator=LedoitWolf(store_precision=False)
    )
    np.testing.assert_allclose(
        run.matrices[0], measure.fit_transform([run.timeseries])[0], atol=1e-10
    )
    qc = run_qc(inputs["confounds"], len(expected), len(expected))
    assert run.qc == [qc[column] for column in QC_COLUMNS]
    assert run.sidecar["InputLabel"] == "01_ses-A"
    assert [s["ConnectivityKind"] for s in run.matrix_sidecars] == KINDS
    assert {s["TimeseriesFile"] for s in run.matrix_sidecars} == {"ts.tsv"}


def test_a_run_without_signal_is_named_in_the_error(job, subject, tmp_path):
    inputs, params, _ = job
    img = subject[0]
    blank = tmp_path / "blank.nii.gz"
    nib.Nifti1Image(np.zeros(img.shape, np.float32), img.affine).to_filename(blank)
    with pytest.raises(
        ValueError, match=r"subject 07 \(ses-A\): image .*blank.nii.gz has no signal"
    ):
        run_connectivity("07_ses-A", inputs | {"func": str(blank)}, params, "ts.tsv")


def test_a_run_job_imports_neither_pandas_nor_nilearn():
    """A run's job is a new process per run: its imports are its start-up."""
    import subprocess
    import sys

    from helpers import PROJECT

    code = (
        "import sys; import regions_connectome.runs; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'nilearn', 'sklearn'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT / "workflow", capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "[]"
