"""Figures of the regions: the atlas, each network beside its regions, the interactive view.

The networks are drawn for learned regions only (applied regions have no components).
"""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import or_why_not, plot_network, plot_regions, view_regions_html
from regions_connectome.io import read_tsv

inputs, dpi = snakemake.input, snakemake.params.dpi
table = read_tsv(inputs.table, index_col=None)
labels = table["label"].tolist()
with or_why_not(snakemake.output.atlas):
    plot_regions(
        inputs.regions, labels, snakemake.params.n_components, snakemake.output.atlas, dpi=dpi
    )
index = table["component"].tolist()
for component, path in enumerate(snakemake.output.networks):
    with or_why_not(path):
        plot_network(inputs.components, inputs.regions, index, labels, component, path, dpi=dpi)
with or_why_not(snakemake.output.html):
    view_regions_html(inputs.regions, labels, snakemake.output.html)
