"""Mask, smooth, clean and SVD-reduce one subject's data for the decomposition."""

from script_setup import start

start(snakemake)

from regions_connectome.decomposition import reduce_subject
from regions_connectome.io import load_functional, write_array

func = load_functional(snakemake.input.func, snakemake.wildcards.subject)
reduced = reduce_subject(func, snakemake.input.mask, snakemake.params.decomposition)
write_array(reduced, snakemake.output.reduced)
