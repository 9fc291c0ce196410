"""Per edge: the contrast's t, its max-T and network-based family-wise p, the significant edges."""

from regions_connectome.job import start

start(snakemake, uses=("nilearn.mass_univariate",))

import pandas as pd

from regions_connectome.connectivity import relmat_keys
from regions_connectome.derivatives import statistic_relmat_sidecar
from regions_connectome.io import read_json, read_tsv, write_json, write_tsv
from regions_connectome.statistics import (
    STATISTIC_COLUMNS,
    edge_matrix,
    participant_edge_statistics,
    read_design,
    significant_edges,
)

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
design_record = read_json(inputs.design_sidecar)
design = read_design(read_tsv(inputs.design, index_col=None, labels="participant"), design_record)
matrices = [read_tsv(path) for path in inputs.relmats]
labels = [label for (label, _), _ in relmat_keys(inputs.relmats)]
regions = read_tsv(inputs.regions, index_col=None)
table = participant_edge_statistics(
    design, [m.to_numpy() for m in matrices], labels, params.kind, params.inference
)
names = pd.Index(matrices[0].columns, name="region")
for statistic, column in STATISTIC_COLUMNS.items():
    matrix = edge_matrix(table, column, len(names))
    write_tsv(pd.DataFrame(matrix, index=names, columns=names), output[column])
    write_json(
        statistic_relmat_sidecar(
            statistic, params.kind, design_record, params.inference, list(inputs.relmats),
            inputs.regions,
        ),
        output[f"{column}_sidecar"],
    )  # fmt: skip
write_tsv(significant_edges(table, regions, params.inference["alpha"]), output.edges, index=False)
