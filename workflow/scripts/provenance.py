"""The provenance record and the methods paragraph of this run."""

from script_setup import start

start(snakemake)

from regions_connectome.io import atomic_output, write_json
from regions_connectome.provenance import methods_text, provenance

inputs, subjects = snakemake.input, snakemake.params.subjects
n_volumes = snakemake.params.n_volumes
config = dict(snakemake.params.config)
excluded = snakemake.params.excluded
record = provenance(
    config, subjects, n_volumes, inputs.mask or None, inputs.regions or None, excluded
)
write_json(record, snakemake.output.provenance)
has_confounds = any(files["confounds"] for files in subjects.values())
with atomic_output(snakemake.output.methods) as tmp:
    tmp.write_text(
        methods_text(
            config,
            len(subjects),
            n_volumes.values(),
            has_confounds,
            record["applied_regions"],
            excluded,
        )
    )
