"""Every subject's connectivity matrix of one kind, and the group matrix."""

from script_setup import start

start(snakemake, uses=("nilearn.connectome",))

import json
from pathlib import Path

import pandas as pd

from regions_connectome.connectivity import cohort_matrices, relmat_sidecars
from regions_connectome.io import read_tsv, write_json, write_tsv

kind = snakemake.params.kind
timeseries = [read_tsv(path) for path in snakemake.input.timeseries]
labels = pd.Index(timeseries[0].columns, name="region")
matrices, group = cohort_matrices(
    [ts.to_numpy() for ts in timeseries], kind, snakemake.params.subjects
)
for matrix, path in zip(matrices, snakemake.output.relmats, strict=True):
    write_tsv(pd.DataFrame(matrix, index=labels, columns=labels), path)
write_tsv(pd.DataFrame(group, index=labels, columns=labels), snakemake.output.group)

sources = [json.loads(Path(path).read_text()) for path in snakemake.input.sidecars]
subjects, group_sidecar = relmat_sidecars(
    kind, snakemake.params.subjects, sources, snakemake.input.timeseries, snakemake.input.regions
)
for sidecar, path in zip(subjects, snakemake.output.sidecars, strict=True):
    write_json(sidecar, path)
write_json(group_sidecar, snakemake.output.group_sidecar)
