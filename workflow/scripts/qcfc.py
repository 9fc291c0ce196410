"""QC-FC: how each edge's connectivity follows the subjects' motion, and with distance."""

from script_setup import start

start(snakemake, uses=("matplotlib.pyplot",))

from regions_connectome.connectivity import relmat_keys
from regions_connectome.figures import plot_qcfc
from regions_connectome.io import read_tsv, write_json, write_tsv
from regions_connectome.quality import qcfc_table

inputs, output = snakemake.input, snakemake.output
matrices = {subject: read_tsv(path) for (subject, _), path in relmat_keys(inputs.relmats)}
edges, summary, table = qcfc_table(
    matrices, read_tsv(inputs.qc, labels="subject"), read_tsv(inputs.regions)
)
write_json(
    summary | {"kind": "correlation", "confounds": snakemake.params.confounds}, output.summary
)
write_tsv(table, output.table, index=False)
plot_qcfc(edges, summary, output.figure, dpi=snakemake.params.dpi)
