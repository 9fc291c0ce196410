"""The group model's design: who is modelled with which values, who is left out and why."""

from regions_connectome.job import start

start(snakemake)

import pandas as pd

from regions_connectome.connectivity import combine_runs
from regions_connectome.derivatives import INPUT_COLUMN
from regions_connectome.io import read_tsv, write_json, write_tsv
from regions_connectome.statistics import design_sidecar, model_design, read_participants

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
mean_fd = None
if inputs.qc:
    qc = read_tsv(inputs.qc, labels=INPUT_COLUMN)
    values, participants = combine_runs(qc["mean_fd"].to_numpy(), list(qc.index), "participant")
    mean_fd = pd.Series(values, index=participants, dtype=float)
participants = read_participants(inputs.participants)
design = model_design(participants, params.participants, params.model, inputs.participants, mean_fd)
write_tsv(design.table(), output.table, index=False)
write_json(design_sidecar(design, params.model, inputs.participants), output.sidecar)
