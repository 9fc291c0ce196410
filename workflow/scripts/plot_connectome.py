"""Figures of the mean correlation connectome: matrix, glass brain and 3D view."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import (
    or_why_not,
    plot_connectome,
    plot_matrix,
    view_connectome_html,
)
from regions_connectome.io import read_tsv

matrix = read_tsv(snakemake.input.relmat)
coords = read_tsv(snakemake.input.table, index_col=None)[["x", "y", "z"]].to_numpy()
threshold, dpi = snakemake.params.edge_threshold, snakemake.params.dpi
output = snakemake.output
with or_why_not(output.matrix):
    plot_matrix(matrix, output.matrix, dpi=dpi)
with or_why_not(output.figure):
    plot_connectome(matrix, coords, output.figure, edge_threshold=threshold, dpi=dpi)
with or_why_not(output.html):
    view_connectome_html(matrix, coords, output.html, edge_threshold=threshold)
