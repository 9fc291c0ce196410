"""The table of subjects left out of the group stages, with the reason."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.exclusions import exclusions_table
from regions_connectome.io import write_tsv

write_tsv(exclusions_table(snakemake.params.excluded), snakemake.output.table, index=False)
