"""The ledger of the run: what became of each input, and the files it produces."""

from regions_connectome.job import start

start(snakemake)

import pandas as pd

from regions_connectome.derivatives import outputs_table
from regions_connectome.io import write_tsv

records = pd.DataFrame(snakemake.params.records)
outputs = outputs_table(snakemake.params.outputs, snakemake.params.prefixes)
records["n_outputs"] = records["input"].map(outputs["input"].value_counts()).fillna(0).astype(int)
write_tsv(records, snakemake.output.table, index=False)
write_tsv(outputs, snakemake.output.outputs, index=False)
