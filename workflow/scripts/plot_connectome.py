"""Figure: the mean correlation connectome on a glass brain."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_connectome
from regions_connectome.io import read_tsv

table = read_tsv(snakemake.input.table, index_col=None)
plot_connectome(
    read_tsv(snakemake.input.relmat),
    table[["x", "y", "z"]].to_numpy(),
    snakemake.output[0],
    edge_threshold=snakemake.params.edge_threshold,
    dpi=snakemake.params.dpi,
)
