"""Quality figures: each subject's motion and matrix, the group's spread, QC-FC."""

from regions_connectome.job import start

start(snakemake, uses=("matplotlib.pyplot",))

from regions_connectome.connectivity import relmat_keys
from regions_connectome.figures import (
    or_why_not,
    plot_group_quality,
    plot_qcfc,
    plot_subject_quality,
)
from regions_connectome.io import read_tsv, write_json, write_tsv
from regions_connectome.quality import qc_confounds, qcfc_table

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
matrices = {subject: read_tsv(path) for (subject, _), path in relmat_keys(inputs.relmats)}
edges, summary, table = qcfc_table(
    matrices, read_tsv(inputs.qc, labels="subject"), read_tsv(inputs.regions), params.unit
)
write_json(
    summary | {"ConnectivityKind": "correlation", "Confounds": params.confounds},
    output.qcfc_summary,
)
write_tsv(table, output.qcfc_table, index=False)
for (label, files), path in zip(params.subjects.items(), output.subjects, strict=True):
    with or_why_not(path):
        confounds = qc_confounds(files["confounds"]) if files["confounds"] else None
        plot_subject_quality(label, confounds, matrices[label], path, dpi=params.dpi)
with or_why_not(output.group):
    plot_group_quality(matrices, read_tsv(inputs.group), output.group, dpi=params.dpi)
with or_why_not(output.qcfc):
    plot_qcfc(edges, summary, output.qcfc, dpi=params.dpi)
