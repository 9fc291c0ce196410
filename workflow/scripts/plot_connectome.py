"""Figures of the mean correlation connectome: matrix, glass brain and 3D view."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_connectome, plot_matrix, view_connectome_html
from regions_connectome.io import read_tsv

matrix = read_tsv(snakemake.input.relmat)
coords = read_tsv(snakemake.input.table, index_col=None)[["x", "y", "z"]].to_numpy()
threshold, dpi = snakemake.params.edge_threshold, snakemake.params.dpi
plot_matrix(matrix, snakemake.output.matrix, dpi=dpi)
plot_connectome(matrix, coords, snakemake.output.figure, edge_threshold=threshold, dpi=dpi)
view_connectome_html(matrix, coords, snakemake.output.html, edge_threshold=threshold)
