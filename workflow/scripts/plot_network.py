"""Figure: one component beside the regions extracted from it."""

from script_setup import start

start(snakemake)

from regions_connectome.figures import plot_network
from regions_connectome.io import read_tsv

plot_network(
    snakemake.input.components,
    snakemake.input.regions,
    read_tsv(snakemake.input.table, index_col=None)["component"].tolist(),
    int(snakemake.wildcards.component),
    snakemake.output[0],
    dpi=snakemake.params.dpi,
)
