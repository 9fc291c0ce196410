"""Figure: the contrast's t matrix with its significant edges, and those on a glass brain."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.plotting",))

from regions_connectome.figures import or_why_not, plot_edge_statistics
from regions_connectome.io import read_json, read_tsv

inputs, params = snakemake.input, snakemake.params
with or_why_not(snakemake.output[0]):
    regions = read_tsv(inputs.regions, index_col=None)
    sidecar = read_json(inputs.t_sidecar)
    plot_edge_statistics(
        read_tsv(inputs.t), read_tsv(inputs.p_fwe), read_tsv(inputs.p_nbs),
        regions[["x", "y", "z"]].to_numpy(), snakemake.output[0], params.alpha,
        title=f"{sidecar['ContrastDescription']} ({sidecar['ConnectivityKind']}, "
        f"{sidecar['NumberOfParticipants']} participants)",
        dpi=params.dpi,
    )  # fmt: skip
