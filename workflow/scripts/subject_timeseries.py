"""One subject's regional timeseries, confounds regressed out."""

from script_setup import start

start(snakemake)

import pandas as pd

from regions_connectome.connectivity import (
    check_region_signals,
    read_confounds,
    subject_timeseries,
)
from regions_connectome.io import load_functional, read_tsv, write_json, write_tsv

confounds = (
    read_confounds(snakemake.input.confounds, snakemake.params.confound_columns)
    if snakemake.input.confounds
    else None
)
func = load_functional(snakemake.input.func, snakemake.wildcards.subject)
labels = read_tsv(snakemake.input.table, index_col=None)["label"]
source = f"subject {snakemake.wildcards.subject} ({snakemake.input.func})"
check_region_signals(func, snakemake.input.regions, labels, source)
timeseries = subject_timeseries(func, snakemake.input.regions, snakemake.params.regions, confounds)
frame = pd.DataFrame(timeseries, columns=labels)
frame.index.name = "volume"
write_tsv(frame, snakemake.output.timeseries)
write_json(
    {
        "subject": snakemake.wildcards.subject,
        "func": snakemake.input.func,
        "confounds": snakemake.input.confounds or None,
        "confounds_regressed_out": [] if confounds is None else list(confounds.columns),
        "n_volumes": len(frame),
        "regions_img": snakemake.input.regions,
        "masker": "nilearn.maskers.NiftiMapsMasker",
        "masker_parameters": dict(snakemake.params.regions),
    },
    snakemake.output.sidecar,
)
