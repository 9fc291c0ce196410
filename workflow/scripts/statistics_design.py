"""The group model's design: who is modelled with which values, who is left out and why."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.derivatives import INPUT_COLUMN
from regions_connectome.io import read_tsv, write_json, write_tsv
from regions_connectome.statistics import design_sidecar, model_design, read_participants

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
qc = read_tsv(inputs.qc, labels=INPUT_COLUMN) if inputs.qc else None
participants = read_participants(inputs.participants)
design = model_design(participants, params.participants, params.model, inputs.participants, qc)
write_tsv(design.table(), output.table, index=False)
write_json(design_sidecar(design, params.model, inputs.participants), output.sidecar)
