"""One subject's regional timeseries, confounds regressed out."""

from script_setup import start

start(snakemake)

import pandas as pd

from regions_connectome.connectivity import check_region_signals, subject_timeseries
from regions_connectome.denoising import select_confounds
from regions_connectome.io import load_functional, read_tsv, write_json, write_tsv

subject = snakemake.wildcards.subject
func = load_functional(snakemake.input.func, subject)
denoising = select_confounds(
    snakemake.params.source_func,
    snakemake.input.confounds or None,
    snakemake.params.confounds,
    n_volumes=func.shape[3],
)
labels = read_tsv(snakemake.input.table, index_col=None)["label"]
check_region_signals(
    func, snakemake.input.regions, labels, f"subject {subject} ({snakemake.input.func})"
)
timeseries = subject_timeseries(
    func,
    snakemake.input.regions,
    snakemake.params.regions,
    denoising.confounds,
    denoising.sample_mask,
)
frame = pd.DataFrame(
    timeseries,
    columns=labels,
    index=pd.Index(
        range(func.shape[3]) if denoising.sample_mask is None else denoising.sample_mask,
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
        "masker_parameters": dict(snakemake.params.regions),
    },
    snakemake.output.sidecar,
)
