"""Figure: the component maps as a probabilistic atlas."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import or_why_not, plot_components

with or_why_not(snakemake.output[0]):
    plot_components(
        snakemake.input.components,
        snakemake.output[0],
        method=snakemake.params.method,
        dpi=snakemake.params.dpi,
    )
