"""The group matrix of a subject-level kind: the mean of the subjects' matrices."""

from script_setup import start

start(snakemake)

import json
from pathlib import Path

import pandas as pd

from regions_connectome.connectivity import group_mean, group_relmat_sidecar
from regions_connectome.io import read_tsv, write_json, write_tsv

matrices = [read_tsv(path) for path in snakemake.input.relmats]
sidecars = [json.loads(Path(path).read_text()) for path in snakemake.input.sidecars]
labels = pd.Index(matrices[0].columns, name="region")
group = group_mean([m.to_numpy() for m in matrices], [s["subject"] for s in sidecars])
write_tsv(pd.DataFrame(group, index=labels, columns=labels), snakemake.output.group)
write_json(
    group_relmat_sidecar(snakemake.params.kind, sidecars, snakemake.input.regions),
    snakemake.output.group_sidecar,
)
