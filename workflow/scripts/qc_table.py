"""Every run's QC row (volumes, motion), in one table."""

from script_setup import start

start(snakemake)

import pandas as pd

from regions_connectome.io import read_tsv, write_tsv

write_tsv(
    pd.concat([read_tsv(path, labels="subject") for path in snakemake.input.qc]),
    snakemake.output.table,
)
