"""The ledger of the run's inputs: what became of each."""

from script_setup import start

start(snakemake)

import pandas as pd

from regions_connectome.io import write_tsv

write_tsv(pd.DataFrame(snakemake.params.records), snakemake.output.table, index=False)
