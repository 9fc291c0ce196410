"""One subject's connectivity matrix from its regional timeseries."""

from script_setup import start

start(snakemake)

import pandas as pd

from regions_connectome.connectivity import connectivity_matrix
from regions_connectome.io import read_tsv, write_tsv

timeseries = read_tsv(snakemake.input.timeseries)
matrix = connectivity_matrix(timeseries.to_numpy(), snakemake.params.kind)
labels = pd.Index(timeseries.columns, name="region")
write_tsv(pd.DataFrame(matrix, index=labels, columns=labels), snakemake.output.relmat)
