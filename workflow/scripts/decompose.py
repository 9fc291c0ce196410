"""Learn the group components from every subject's reduced data."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.decomposition",))

from regions_connectome.decomposition import decompose
from regions_connectome.io import write_json, write_nifti

components, record = decompose(
    snakemake.input.reduced,
    snakemake.input.mask,
    snakemake.params.method,
    snakemake.params.decomposition,
    snakemake.params.memory_mb,
)
write_nifti(components, snakemake.output.components)
write_json(record, snakemake.output.sidecar)
