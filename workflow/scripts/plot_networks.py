"""Figures: each component beside the regions extracted from it."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_network
from regions_connectome.io import read_tsv

index = read_tsv(snakemake.input.table, index_col=None)["component"].tolist()
for component, path in enumerate(snakemake.output.figures):
    plot_network(
        snakemake.input.components,
        snakemake.input.regions,
        index,
        component,
        path,
        dpi=snakemake.params.dpi,
    )
