"""The group mask: intersected EPI masks, the MNI152 template, or a given file."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.decomposition import group_mask
from regions_connectome.io import write_nifti

write_nifti(group_mask(snakemake.params.mask, **dict(snakemake.input)), snakemake.output.mask)
