"""Learn the group components from every subject's reduced data."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.decomposition",))

import numpy as np

from regions_connectome.decomposition import decompose
from regions_connectome.io import write_nifti

components = decompose(
    [np.load(path) for path in snakemake.input.reduced],
    snakemake.input.mask,
    snakemake.params.method,
    snakemake.params.decomposition,
)
write_nifti(components, snakemake.output.components)
