"""Every subject's tangent-space matrix and the group reference (fitted on the group)."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.connectome",))

import pandas as pd

from regions_connectome.connectivity import tangent_matrices
from regions_connectome.derivatives import group_relmat_sidecar, subject_relmat_sidecar
from regions_connectome.io import read_json, read_tsv, write_json, write_tsv

subjects = snakemake.params.subjects
timeseries = [read_tsv(path) for path in snakemake.input.timeseries]
labels = pd.Index(timeseries[0].columns, name="region")
matrices, group = tangent_matrices(
    [ts.to_numpy() for ts in timeseries], subjects, snakemake.params.unit
)
sidecars = [
    subject_relmat_sidecar("tangent", subject, read_json(source), ts, regions)
    for subject, source, ts, regions in zip(
        subjects,
        snakemake.input.sidecars,
        snakemake.input.timeseries,
        [snakemake.input.regions] * len(subjects),
        strict=True,
    )
]
for matrix, sidecar, path, sidecar_path in zip(
    matrices, sidecars, snakemake.output.relmats, snakemake.output.sidecars, strict=True
):
    write_tsv(pd.DataFrame(matrix, index=labels, columns=labels), path)
    write_json(sidecar, sidecar_path)
write_tsv(pd.DataFrame(group, index=labels, columns=labels), snakemake.output.group)
write_json(
    group_relmat_sidecar("tangent", sidecars, snakemake.input.regions, snakemake.params.unit),
    snakemake.output.group_sidecar,
)
