"""The table of subjects left out of the group stages, with the reason.

Those excluded before any job, then the runs their check found unusable.
"""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.exclusions import checked_exclusions, exclusions_table
from regions_connectome.io import read_json, write_tsv

params = snakemake.params
checks = [read_json(path) for path in snakemake.input.checks]
excluded = params.excluded | checked_exclusions(checks, params.subjects)
write_tsv(exclusions_table(excluded), snakemake.output.table, index=False)
