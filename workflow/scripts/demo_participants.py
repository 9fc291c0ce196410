"""The demo cohort's participants table: its groups and ages."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.io import write_tsv
from regions_connectome.synthetic import demo_participants

table = demo_participants(snakemake.params.subjects, snakemake.params.seed)
write_tsv(table, snakemake.output.table, index=False)
