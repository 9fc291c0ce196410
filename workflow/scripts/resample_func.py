"""One subject's image resampled to the common grid (the one most inputs share)."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.image",))

from regions_connectome.io import write_nifti
from regions_connectome.niimg import load_functional, resample_to_reference

func = load_functional(snakemake.input.func, snakemake.params.label)
write_nifti(resample_to_reference(func, snakemake.input.reference), snakemake.output.func)
