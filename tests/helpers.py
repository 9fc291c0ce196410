"""What the tests share besides fixtures.

The project's folder, a Snakemake runner, the workflow's timeseries of an
image, and the tolerances against nilearn.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "workflow"))
sys.path.insert(0, str(PROJECT / "bench"))

import numpy as np  # noqa: E402

from regions_connectome.connectivity import subject_timeseries  # noqa: E402
from regions_connectome.decomposition import REDUCTION_KEYS  # noqa: E402
from regions_connectome.derivatives import run_prefix  # noqa: E402
from regions_connectome.niimg import smoothed_in_mask, varying_voxels  # noqa: E402

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def run_file(results, label, suffix):
    """The one file of an input's run in the derivatives folder ending in ``suffix``.

    ``run_file(results, "01", "_timeseries.tsv")`` is
    ``results/sub-01/func/sub-01_task-rest_space-…_seg-…_timeseries.tsv``.
    """
    prefix = run_prefix(label)
    found = sorted(Path(results).glob(f"{prefix}{suffix}")) + sorted(
        Path(results).glob(f"{prefix}_*{suffix}")
    )
    assert len(found) == 1, f"{label} {suffix}: {found}"
    return found[0]


# The per-subject reduction's parameters, as config.yaml sets them.
REDUCTION_PARAMS = {
    key: yaml.safe_load((PROJECT / "config.yaml").read_text())["decomposition"][key]
    for key in REDUCTION_KEYS
}


def single_thread_env():
    """The environment with BLAS and OpenMP limited to one thread."""
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return os.environ | threads | {"PYTHONHASHSEED": "0"}


def overrides(workdir, config):
    """Write ``config`` (nested dict) as a second config file; return its path."""
    if not config:
        return []
    path = Path(workdir) / "test-config.yaml"
    path.write_text(yaml.safe_dump(config))
    return [str(path)]


def snakemake_command(workdir, *args, config=None, snakefile=None):
    """The command line of the real snakemake on the project's Snakefile.

    ``config`` (a nested dict) overrides config.yaml through a second config
    file, as a user's own config file would.
    """
    return [
        SNAKEMAKE,
        "--snakefile",
        str(snakefile or PROJECT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(PROJECT / "config.yaml"),
        *overrides(workdir, config),
        "--cores",
        "2",
        *args,
    ]


SNAKEMAKE_ENV = os.environ | {"PYTHONHASHSEED": "0"}


def run_snakemake(workdir, *args, config=None, check=True, snakefile=None):
    """Run the real snakemake on the project's Snakefile in ``workdir``.

    Returns the completed process (stdout and stderr merged in ``stdout``).
    """
    process = subprocess.run(
        snakemake_command(workdir, *args, config=config, snakefile=snakefile),
        cwd=workdir,
        env=SNAKEMAKE_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if check and process.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{process.stdout[-6000:]}")
    return process


# nilearn's maps masker solves its least squares in the data's float32 over
# every voxel of the image; the workflow solves it in float64 on the voxels
# the regions cover (see tests/test_signals.py): equal up to nilearn's rounding.
NILEARN_FLOAT32_ATOL = 1e-3


# The timeseries masker's parameters of the unit tests (the config's, no filters).
SIGNAL_PARAMS = {
    "smoothing_fwhm": 6.0,
    "standardize": True,
    "standardize_confounds": True,
    "detrend": False,
    "low_pass": None,
    "high_pass": None,
    "t_r": None,
}


def timeseries_of(
    img, mask_img, regions_img, confounds, params=SIGNAL_PARAMS, source="the image", indices=None
):
    """The workflow's timeseries of an image: smoothed in the mask, then extracted."""
    data = np.asanyarray(img.dataobj)
    mask = np.asarray(mask_img.dataobj) != 0
    smoothed = smoothed_in_mask(data, img.affine, mask, params["smoothing_fwhm"])
    regions = np.asanyarray(regions_img.dataobj)
    return subject_timeseries(
        smoothed,
        varying_voxels(data)[mask],
        mask,
        regions,
        params,
        confounds,
        None,
        source,
        indices,
    )
