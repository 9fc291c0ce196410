"""QC-FC of the group's correlation matrices: its table per edge and its summary."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.connectivity import relmat_keys
from regions_connectome.derivatives import INPUT_COLUMN
from regions_connectome.io import read_tsv, write_json, write_tsv
from regions_connectome.quality import qcfc_table

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
matrices = {subject: read_tsv(path) for (subject, _), path in relmat_keys(inputs.relmats)}
_, summary, table = qcfc_table(
    matrices, read_tsv(inputs.qc, labels=INPUT_COLUMN), read_tsv(inputs.regions), params.unit
)
write_json(
    summary | {"ConnectivityKind": "correlation", "Confounds": params.confounds}, output.summary
)
write_tsv(table, output.table, index=False)
