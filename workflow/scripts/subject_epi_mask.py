"""One subject's EPI mask (the per-subject part of nilearn's group EPI mask)."""

from script_setup import start

start(snakemake, uses=("nilearn.masking",))

from regions_connectome.decomposition import compute_subject_epi_mask
from regions_connectome.io import load_functional, write_nifti

func = load_functional(snakemake.input.func, snakemake.wildcards.subject)
write_nifti(compute_subject_epi_mask(func), snakemake.output.mask)
