"""Figures of the regions: the atlas, each network beside its regions, the interactive view.

The networks are drawn for learned regions only (applied regions have no components).
"""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_network, plot_regions, view_regions_html
from regions_connectome.io import read_tsv

inputs, dpi = snakemake.input, snakemake.params.dpi
plot_regions(inputs.regions, snakemake.params.n_components, snakemake.output.atlas, dpi=dpi)
index = read_tsv(inputs.table, index_col=None)["component"].tolist()
for component, path in enumerate(snakemake.output.networks):
    plot_network(inputs.components, inputs.regions, index, component, path, dpi=dpi)
view_regions_html(inputs.regions, snakemake.output.html)
