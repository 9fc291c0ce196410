"""One subject's EPI mask (the per-subject part of nilearn's group EPI mask)."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.decomposition import compute_subject_epi_mask
from regions_connectome.derivatives import input_name
from regions_connectome.io import write_nifti
from regions_connectome.niimg import load_functional

subject, func = snakemake.params.label, snakemake.input.func
mask = compute_subject_epi_mask(load_functional(func, subject), f"{input_name(subject)} ({func})")
write_nifti(mask, snakemake.output.mask)
