"""Figure: a group connectivity matrix."""

from script_setup import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import plot_matrix
from regions_connectome.io import read_tsv

matrix = read_tsv(snakemake.input.relmat)
kind = snakemake.params.kind
plot_matrix(
    matrix,
    snakemake.output[0],
    title=(
        f"Tangent: group reference, {len(matrix)} regions"
        if kind == "tangent"
        else f"{kind.capitalize()} between {len(matrix)} regions"
    ),
    dpi=snakemake.params.dpi,
    kind=kind,
)
