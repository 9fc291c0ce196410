"""The provenance record and the methods paragraph of this run."""

from script_setup import start

start(snakemake)

import json
from pathlib import Path

from regions_connectome.io import atomic_output, write_json
from regions_connectome.provenance import methods_text, provenance

inputs, subjects = snakemake.input, snakemake.params.subjects
n_volumes = snakemake.params.n_volumes
config = dict(snakemake.params.config)
excluded = snakemake.params.excluded
checksums = Path(snakemake.params.checksums)
known = json.loads(checksums.read_text()) if checksums.is_file() else {}
record = provenance(
    config, subjects, n_volumes, inputs.mask or None, inputs.regions or None, excluded, known
)
write_json(record, snakemake.output.provenance)
write_json(known, checksums)
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
