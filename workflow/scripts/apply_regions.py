"""Put the regions the config names on the data's grid and describe them in a table."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.image", "nilearn.plotting"))

from regions_connectome.io import write_nifti, write_tsv
from regions_connectome.regions import applied_regions_table, region_names, resample_regions

inputs = snakemake.input
regions_img, indices = resample_regions(inputs.regions, inputs.reference)
names = region_names(inputs.names, indices, regions_img.ndim == 4)
write_tsv(applied_regions_table(regions_img, indices, names), snakemake.output.table, index=False)
write_nifti(regions_img, snakemake.output.regions)
