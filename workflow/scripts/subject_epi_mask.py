"""One run's EPI mask (the per-run part of nilearn's group EPI mask).

Keeps the run's data decompressed for its reduction when asked (read_images_once).
"""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.decomposition import compute_subject_epi_mask
from regions_connectome.derivatives import input_name
from regions_connectome.io import write_nifti
from regions_connectome.niimg import keep_decompressed, load_functional

subject, func = snakemake.params.label, snakemake.input.func
img = load_functional(func, subject)
mask = compute_subject_epi_mask(img, f"{input_name(subject)} ({func})")
write_nifti(mask, snakemake.output.mask)
# A setting of speed, not of results: read here, not a parameter, whose change
# would redo every run's jobs.
if snakemake.config["read_images_once"]:
    keep_decompressed(img, func)
