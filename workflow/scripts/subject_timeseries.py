"""One run's regional timeseries, confounds regressed out, its QC row and its matrices."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.derivatives import INPUT_COLUMN
from regions_connectome.io import write_array_tsv, write_json
from regions_connectome.quality import QC_COLUMNS
from regions_connectome.runs import run_connectivity

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
run = run_connectivity(params.label, inputs, params, output.timeseries)
write_array_tsv(run.timeseries, output.timeseries, run.labels, run.volumes, "volume")
write_array_tsv([run.qc], output.qc, QC_COLUMNS, [params.label], INPUT_COLUMN)
write_json(run.sidecar, output.sidecar)
for matrix, sidecar, path, sidecar_path in zip(
    run.matrices, run.matrix_sidecars, output.relmats, output.relmat_sidecars, strict=True
):
    write_array_tsv(matrix, path, run.labels, run.labels, "region")
    write_json(sidecar, sidecar_path)
