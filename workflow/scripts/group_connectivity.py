"""The group matrix of a subject-level kind: the mean over participants (or runs)."""

from regions_connectome.job import start

start(snakemake)

import pandas as pd

from regions_connectome.connectivity import combine_runs, group_mean
from regions_connectome.derivatives import group_relmat_sidecar
from regions_connectome.io import read_json, read_tsv, write_json, write_tsv

matrices = [read_tsv(path) for path in snakemake.input.relmats]
sidecars = [read_json(path) for path in snakemake.input.sidecars]
labels = pd.Index(matrices[0].columns, name="region")
units, names = combine_runs(
    [m.to_numpy() for m in matrices], [s["InputLabel"] for s in sidecars], snakemake.params.unit
)
group = group_mean(units, names)
write_tsv(pd.DataFrame(group, index=labels, columns=labels), snakemake.output.group)
write_json(
    group_relmat_sidecar(
        snakemake.params.kind, sidecars, snakemake.input.regions, snakemake.params.unit
    ),
    snakemake.output.group_sidecar,
)
