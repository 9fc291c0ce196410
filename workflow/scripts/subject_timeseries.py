"""One subject's regional timeseries, confounds regressed out, and its matrices.

From the smoothed data the reduction kept when the smoothing is the same (the
seed's case), else from the image smoothed here. The matrices are those of the
subject-level kinds (the tangent kind needs the whole group).
"""

from script_setup import start

start(snakemake)

import nibabel as nib
import numpy as np

from regions_connectome.connectivity import (
    subject_matrices,
    subject_relmat_sidecar,
    subject_timeseries,
    timeseries_sidecar,
)
from regions_connectome.denoising import select_confounds
from regions_connectome.io import read_tsv_column, write_array_tsv, write_json
from regions_connectome.niimg import load_functional, smoothed_in_mask, varying_voxels

subject, params = snakemake.wildcards.subject, snakemake.params.regions
mask = np.asanyarray(nib.load(snakemake.input.mask).dataobj) != 0
if snakemake.input.smoothed:
    with np.load(snakemake.input.smoothed) as kept:
        smoothed, varies = kept["data"], kept["varies"]
else:
    func = load_functional(snakemake.input.func, subject)
    data = np.asanyarray(func.dataobj)
    smoothed = smoothed_in_mask(data, func.affine, mask, params["smoothing_fwhm"])
    varies = varying_voxels(data)[mask]
denoising = select_confounds(
    snakemake.params.source_func,
    snakemake.input.confounds or None,
    snakemake.params.confounds,
    n_volumes=smoothed.shape[0],
    lean=True,
)
labels = read_tsv_column(snakemake.input.table, "label")
regions = np.asanyarray(nib.load(snakemake.input.regions).dataobj)
timeseries = subject_timeseries(
    smoothed,
    varies,
    mask,
    regions,
    params,
    None if denoising.confounds is None else np.asarray(denoising.confounds, dtype=float),
    denoising.sample_mask,
    source=f"subject {subject} ({snakemake.input.func})",
    labels=labels,
)
volumes = range(smoothed.shape[0]) if denoising.sample_mask is None else denoising.sample_mask
write_array_tsv(timeseries, snakemake.output.timeseries, labels, volumes, "volume")
sidecar = timeseries_sidecar(subject, snakemake.input, denoising, params, len(timeseries))
write_json(sidecar, snakemake.output.sidecar)
kinds = snakemake.params.kinds
matrices = subject_matrices(timeseries, kinds, f"subject {subject}")
for kind, matrix, path, sidecar_path in zip(
    kinds, matrices, snakemake.output.relmats, snakemake.output.relmat_sidecars, strict=True
):
    write_array_tsv(matrix, path, labels, labels, "region")
    write_json(
        subject_relmat_sidecar(
            kind, subject, sidecar, snakemake.output.timeseries, snakemake.input.regions
        ),
        sidecar_path,
    )
