"""Extract regions from the component maps and describe them in a table."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.regions", "nilearn.plotting"))

from regions_connectome.io import write_nifti, write_tsv
from regions_connectome.regions import extract_regions, regions_table

regions_img, index = extract_regions(snakemake.input.components, snakemake.params.regions)
write_tsv(regions_table(regions_img, index), snakemake.output.table, index=False)
write_nifti(regions_img, snakemake.output.regions)
