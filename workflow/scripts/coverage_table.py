"""Every subject's coverage of every region, in one table."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.connectivity import coverage_table
from regions_connectome.derivatives import INPUT_COLUMN
from regions_connectome.io import read_json, read_tsv_column, write_array_tsv

sidecars = [read_json(path) for path in snakemake.input.sidecars]
labels = read_tsv_column(snakemake.input.table, "label")
subjects, coverage = coverage_table(sidecars, labels)
write_array_tsv(coverage, snakemake.output.table, labels, subjects, INPUT_COLUMN)
