"""Learn the group components from every subject's reduced data."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.decomposition",))

from threadpoolctl import threadpool_limits

from regions_connectome.decomposition import decompose
from regions_connectome.io import write_json, write_nifti

# nilearn's components depend on the BLAS thread count: one, as in the
# reference script; the job's threads go to the steps that split exactly.
with threadpool_limits(limits=1):
    components, record = decompose(
        snakemake.input.reduced,
        snakemake.input.mask,
        snakemake.params.method,
        snakemake.params.decomposition,
        snakemake.params.memory_mb,
        snakemake.threads,
    )
write_nifti(components, snakemake.output.components)
write_json(record, snakemake.output.sidecar)
