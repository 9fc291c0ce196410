"""One subject's regional timeseries, confounds regressed out."""

from script_setup import start

start(snakemake)

import pandas as pd

from regions_connectome.connectivity import read_confounds, subject_timeseries
from regions_connectome.io import read_tsv, write_tsv

confounds = (
    read_confounds(snakemake.input.confounds, snakemake.params.confound_columns)
    if snakemake.input.confounds
    else None
)
timeseries = subject_timeseries(
    snakemake.input.func, snakemake.input.regions, snakemake.params.regions, confounds
)
labels = read_tsv(snakemake.input.table, index_col=None)["label"]
frame = pd.DataFrame(timeseries, columns=labels)
frame.index.name = "volume"
write_tsv(frame, snakemake.output.timeseries)
