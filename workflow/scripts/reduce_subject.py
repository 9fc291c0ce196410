"""Mask, smooth, clean and SVD-reduce one subject's data for the decomposition."""

from script_setup import start

start(snakemake)

from regions_connectome.decomposition import reduce_subject
from regions_connectome.io import write_array

reduced = reduce_subject(snakemake.input.func, snakemake.input.mask, snakemake.params.decomposition)
write_array(reduced, snakemake.output.reduced)
