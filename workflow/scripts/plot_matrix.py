"""Figure: the group matrix of a connectivity kind other than the correlation."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import or_why_not, plot_matrix
from regions_connectome.io import read_tsv

with or_why_not(snakemake.output[0]):
    plot_matrix(
        read_tsv(snakemake.input.relmat),
        snakemake.output[0],
        dpi=snakemake.params.dpi,
        kind=snakemake.params.kind,
    )
