"""Mask, smooth, clean and SVD-reduce one subject's data for the decomposition.

Also keeps the smoothed data in the mask, from which the subject's timeseries
are extracted later without reading and smoothing the image again.
"""

from script_setup import start

start(snakemake, uses=("nilearn.decomposition", "nilearn.maskers"))

from regions_connectome.decomposition import reduce_subject
from regions_connectome.io import load_functional, write_array, write_arrays

func = load_functional(snakemake.input.func, snakemake.wildcards.subject)
reduced, masked, varies = reduce_subject(func, snakemake.input.mask, snakemake.params.decomposition)
write_array(reduced, snakemake.output.reduced)
write_arrays(snakemake.output.masked, data=masked, varies=varies)
