"""Every subject's coverage of every region, in one table."""

from script_setup import start

start(snakemake)

import json
from pathlib import Path

from regions_connectome.connectivity import coverage_table
from regions_connectome.io import write_array_tsv

sidecars = [json.loads(Path(path).read_text()) for path in snakemake.input.sidecars]
subjects, labels, coverage = coverage_table(sidecars)
write_array_tsv(coverage, snakemake.output.table, labels, subjects, "subject")
