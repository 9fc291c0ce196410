"""Quality figures: each subject's motion and matrix, the group's spread, QC-FC."""

from pathlib import Path

from regions_connectome.job import start

start(snakemake, uses=("matplotlib.pyplot",))

from regions_connectome.connectivity import relmat_keys
from regions_connectome.figures import (
    or_why_not,
    plot_group_quality,
    plot_qcfc,
    plot_subject_quality,
)
from regions_connectome.io import read_json, read_tsv
from regions_connectome.quality import qc_confounds

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
matrices = {subject: read_tsv(path) for (subject, _), path in relmat_keys(inputs.relmats)}
Path(output.runs).mkdir(parents=True, exist_ok=True)
for label, files in params.subjects.items():
    path = params.figures[label]
    with or_why_not(path):
        confounds = qc_confounds(files["confounds"]) if files["confounds"] else None
        plot_subject_quality(label, confounds, matrices[label], path, dpi=params.dpi)
with or_why_not(output.group):
    plot_group_quality(matrices, read_tsv(inputs.group), output.group, dpi=params.dpi)
with or_why_not(output.qcfc):
    table = read_tsv(inputs.qcfc_table, index_col=None)
    edges = {column: table[column].to_numpy(dtype=float) for column in ("qcfc", "p", "distance")}
    plot_qcfc(edges, read_json(inputs.qcfc_summary), output.qcfc, dpi=params.dpi)
