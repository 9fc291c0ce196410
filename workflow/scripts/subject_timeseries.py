"""One subject's regional timeseries, confounds regressed out, and its matrices.

From the smoothed data the reduction kept when the smoothing is the same (the
seed's case), else from the image smoothed here. The matrices are those of the
subject-level kinds (the tangent kind needs the whole group). The run's QC row
(volumes, motion) comes from the same confounds.
"""

from regions_connectome.job import start

start(snakemake)

import numpy as np

from regions_connectome.connectivity import (
    MASKERS,
    reported_regions,
    subject_matrices,
    subject_timeseries,
)
from regions_connectome.denoising import select_confounds
from regions_connectome.derivatives import subject_relmat_sidecar, timeseries_sidecar
from regions_connectome.io import read_tsv_column, write_array_tsv, write_json
from regions_connectome.niimg import regions_and_mask, repetition_time, subject_smoothed_data
from regions_connectome.quality import QC_COLUMNS, run_qc

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
subject, source = snakemake.params.label, f"subject {snakemake.params.label}"
regions, mask = regions_and_mask(inputs.regions, inputs.mask)
smoothed, varies = subject_smoothed_data(
    inputs.smoothed, inputs.func, mask, params.regions["smoothing_fwhm"], subject
)
denoising = select_confounds(
    params.source_func, inputs.confounds or None, params.confounds, len(smoothed), lean=True
)
labels = read_tsv_column(inputs.table, "label")
indices = [int(i) for i in read_tsv_column(inputs.table, "region")]
signals, coverage = subject_timeseries(
    smoothed, varies, mask, regions, params.regions, denoising.values, denoising.sample_mask,
    f"{source} ({inputs.func})", indices,
)  # fmt: skip
reported = reported_regions(coverage, params.regions["min_coverage"])
timeseries = np.where(reported, signals, np.nan)
volumes = range(len(smoothed)) if denoising.sample_mask is None else denoising.sample_mask
write_array_tsv(timeseries, output.timeseries, labels, volumes, "volume")
qc = run_qc(inputs.confounds or None, denoising.n_volumes, len(timeseries))
write_array_tsv([[qc[c] for c in QC_COLUMNS]], output.qc, QC_COLUMNS, [subject], "subject")
sidecar = timeseries_sidecar(
    subject, inputs, denoising, params.regions, timeseries, coverage, labels,
    MASKERS[regions.ndim], params.regions["t_r"] or repetition_time(inputs.func), qc["mean_fd"],
)  # fmt: skip
write_json(sidecar, output.sidecar)
matrices = subject_matrices(signals, params.kinds, source, reported)
for kind, matrix, path, sidecar_path in zip(
    params.kinds, matrices, output.relmats, output.relmat_sidecars, strict=True
):
    write_array_tsv(matrix, path, labels, labels, "region")
    write_json(
        subject_relmat_sidecar(kind, subject, sidecar, output.timeseries, inputs.regions),
        sidecar_path,
    )
