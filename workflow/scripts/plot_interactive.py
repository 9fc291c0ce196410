"""Interactive views: the connectome in 3D and the regions over the MNI template."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import view_connectome_html, view_regions_html
from regions_connectome.io import read_tsv

table = read_tsv(snakemake.input.table, index_col=None)
view_connectome_html(
    read_tsv(snakemake.input.relmat),
    table[["x", "y", "z"]].to_numpy(),
    snakemake.output.connectome,
    edge_threshold=snakemake.params.edge_threshold,
)
view_regions_html(snakemake.input.regions, snakemake.output.regions)
