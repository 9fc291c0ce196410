"""Figure: the component maps as a probabilistic atlas."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_components

plot_components(
    snakemake.input.components,
    snakemake.output[0],
    method=snakemake.params.method,
    dpi=snakemake.params.dpi,
)
