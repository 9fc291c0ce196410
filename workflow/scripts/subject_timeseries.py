"""One subject's regional timeseries, confounds regressed out.

From the smoothed data the reduction kept when the smoothing is the same (the
seed's case), else from the image.
"""

from script_setup import start

start(snakemake, uses=("nilearn.maskers",))

import numpy as np
import pandas as pd
from nilearn.masking import unmask

from regions_connectome.connectivity import (
    check_region_signals,
    masked_timeseries,
    subject_timeseries,
    varying_voxels,
)
from regions_connectome.denoising import select_confounds
from regions_connectome.io import load_functional, read_tsv, write_json, write_tsv

subject = snakemake.wildcards.subject
params = snakemake.params.regions
if snakemake.input.smoothed:
    with np.load(snakemake.input.smoothed) as cache:  # each member is read on access
        data, varies = cache["data"], cache["varies"]
    n_volumes = data.shape[0]
    varies = unmask(varies.astype(np.uint8), snakemake.input.mask)
else:
    func = load_functional(snakemake.input.func, subject)
    n_volumes, varies = func.shape[3], varying_voxels(func)
denoising = select_confounds(
    snakemake.params.source_func,
    snakemake.input.confounds or None,
    snakemake.params.confounds,
    n_volumes=n_volumes,
)
labels = read_tsv(snakemake.input.table, index_col=None)["label"]
check_region_signals(
    varies, snakemake.input.regions, labels, f"subject {subject} ({snakemake.input.func})"
)
signal = (denoising.confounds, denoising.sample_mask)
if snakemake.input.smoothed:
    timeseries = masked_timeseries(
        data, snakemake.input.mask, snakemake.input.regions, params, *signal
    )
else:
    timeseries = subject_timeseries(func, snakemake.input.regions, params, *signal)
frame = pd.DataFrame(
    timeseries,
    columns=labels,
    index=pd.Index(
        range(n_volumes) if denoising.sample_mask is None else denoising.sample_mask,
        name="volume",
    ),
)
write_tsv(frame, snakemake.output.timeseries)
write_json(
    {
        "subject": subject,
        "func": snakemake.input.func,
        "confounds": snakemake.input.confounds or None,
        "confounds_regressed_out": denoising.record["columns"],
        "denoising": denoising.record,
        "n_volumes": len(frame),
        "regions_img": snakemake.input.regions,
        "masker": "nilearn.maskers.NiftiMapsMasker",
        "masker_parameters": dict(params),
        "smoothed_once": bool(snakemake.input.smoothed),
    },
    snakemake.output.sidecar,
)
