"""All subjects' matrices of every kind as one long table."""

from script_setup import start

start(snakemake)

from regions_connectome.connectivity import long_table, relmat_keys
from regions_connectome.io import read_tsv, write_tsv

matrices = {key: read_tsv(path) for key, path in relmat_keys(snakemake.input.relmats)}
write_tsv(long_table(matrices), snakemake.output.table, index=False)
