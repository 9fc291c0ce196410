"""All subjects' matrices of every kind as one long table."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.connectivity import relmat_keys, write_long_table

write_long_table(relmat_keys(snakemake.input.relmats), snakemake.output.table)
