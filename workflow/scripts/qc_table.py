"""Every run's QC row (volumes, motion), in one table."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.io import concat_tsv

concat_tsv(snakemake.input.qc, snakemake.output.table)
