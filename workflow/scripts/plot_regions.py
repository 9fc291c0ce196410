"""Figure: the extracted regions as a probabilistic atlas."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_regions

plot_regions(
    snakemake.input.regions,
    snakemake.params.n_components,
    snakemake.output[0],
    dpi=snakemake.params.dpi,
)
