"""Table: each planted network of the demo and the component that recovers it."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.io import write_tsv
from regions_connectome.synthetic import network_recovery

write_tsv(
    network_recovery(snakemake.input.networks, snakemake.input.components, snakemake.input.mask),
    snakemake.output.table,
    index=False,
)
