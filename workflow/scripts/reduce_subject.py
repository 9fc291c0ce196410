"""Mask, smooth, clean and SVD-reduce one subject's data for the decomposition.

Reads the data the run's EPI-mask job kept decompressed when there are some
(read_images_once). Also keeps the smoothed data in the mask
(keep_smoothed_data), from which the run's timeseries are extracted later
without reading and smoothing the image again.
"""

from regions_connectome.job import start

start(snakemake)

import nibabel as nib

from regions_connectome.decomposition import reduce_subject
from regions_connectome.io import write_array, write_arrays
from regions_connectome.niimg import read_functional

func = read_functional(snakemake.input.func, snakemake.params.label)
mask = nib.load(snakemake.input.mask)
reduced, smoothed, varies = reduce_subject(func, mask, snakemake.params.decomposition)
write_array(reduced, snakemake.output.reduced)
if snakemake.output.get("smoothed"):
    write_arrays(snakemake.output.smoothed, data=smoothed, varies=varies)
