"""What one run's job computes: its timeseries, QC row, matrices and their sidecars.

The job is a new process per run: this imports numpy, SciPy and nibabel only
(through the modules it calls), as the per-run steps do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from regions_connectome.connectivity import (
    MASKERS,
    reported_regions,
    subject_matrices,
    subject_timeseries,
)
from regions_connectome.denoising import select_confounds
from regions_connectome.derivatives import (
    input_name,
    subject_relmat_sidecar,
    timeseries_sidecar,
)
from regions_connectome.io import read_tsv_column
from regions_connectome.niimg import regions_and_mask, repetition_time, subject_smoothed_data
from regions_connectome.quality import QC_COLUMNS, run_qc


@dataclass(frozen=True)
class RunConnectivity:
    """A run's outputs, as :func:`run_connectivity` computes them.

    Attributes
    ----------
    timeseries : numpy.ndarray, shape (n_volumes_kept, n_regions)
        The regions' signals, NaN for a region below the coverage asked for.
    volumes : sequence of int
        The volumes kept (the timeseries' rows).
    labels : list of str
        The regions' labels (its columns).
    qc : list of float
        The QC row, in the order of :data:`regions_connectome.quality.QC_COLUMNS`.
    sidecar : dict
        The timeseries' sidecar.
    matrices : list of numpy.ndarray
        One per kind asked for.
    matrix_sidecars : list of dict
        Their sidecars.
    """

    timeseries: np.ndarray
    volumes: object
    labels: list
    qc: list
    sidecar: dict
    matrices: list
    matrix_sidecars: list


def run_connectivity(label, inputs, params, timeseries_file):
    """One run's regional timeseries, confounds regressed out, and its matrices.

    From the smoothed data the reduction kept when the smoothing is the same
    (the seed's case), else from the image smoothed here. The matrices are
    those of the subject-level kinds (the tangent kind needs the whole
    group); the QC row (volumes, motion) comes from the same confounds.

    Parameters
    ----------
    label : str
        The input label.
    inputs : mapping
        The job's files: ``func``, ``confounds`` (empty for none),
        ``regions``, ``table`` (the regions table), ``smoothed`` and ``mask``
        (empty where not used).
    params : object
        ``regions`` (the timeseries masker's parameters), ``confounds`` (the
        config's), ``source_func`` (the image as the inputs name it) and
        ``kinds``.
    timeseries_file : str
        Where the timeseries are written (named in the matrices' sidecars).

    Returns
    -------
    RunConnectivity
    """
    source = input_name(label)
    regions, mask = regions_and_mask(inputs["regions"], inputs["mask"])
    smoothed, varies = subject_smoothed_data(
        inputs["smoothed"], inputs["func"], mask, params.regions["smoothing_fwhm"], label
    )
    confounds = inputs["confounds"] or None
    denoising = select_confounds(
        params.source_func, confounds, params.confounds, len(smoothed), lean=True
    )
    labels = read_tsv_column(inputs["table"], "label")
    indices = [int(i) for i in read_tsv_column(inputs["table"], "region")]
    signals, coverage = subject_timeseries(
        smoothed, varies, mask, regions, params.regions, denoising.values, denoising.sample_mask,
        f"{source} ({inputs['func']})", indices,
    )  # fmt: skip
    reported = reported_regions(coverage, params.regions["min_coverage"])
    timeseries = np.where(reported, signals, np.nan)
    qc = run_qc(confounds, denoising.n_volumes, len(timeseries))
    sidecar = timeseries_sidecar(
        label, inputs, denoising, params.regions, timeseries, coverage, labels,
        MASKERS[regions.ndim], params.regions["t_r"] or repetition_time(inputs["func"]),
        qc["mean_fd"],
    )  # fmt: skip
    return RunConnectivity(
        timeseries=timeseries,
        volumes=range(len(smoothed)) if denoising.sample_mask is None else denoising.sample_mask,
        labels=labels,
        qc=[qc[column] for column in QC_COLUMNS],
        sidecar=sidecar,
        matrices=subject_matrices(signals, params.kinds, source, reported),
        matrix_sidecars=[
            subject_relmat_sidecar(kind, label, sidecar, timeseries_file, inputs["regions"])
            for kind in params.kinds
        ],
    )
