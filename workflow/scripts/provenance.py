"""The provenance record, the methods paragraph and the dataset description of this run."""

from regions_connectome.job import start

start(snakemake)

from pathlib import Path

from regions_connectome import __version__
from regions_connectome.derivatives import BIDSIGNORE, dataset_description, participant_of
from regions_connectome.io import atomic_output, read_json, read_tsv, write_json
from regions_connectome.provenance import methods_text, provenance, workflow_record

inputs, output, params = snakemake.input, snakemake.output, snakemake.params
subjects, n_volumes, excluded = params.subjects, params.n_volumes, params.excluded
config = dict(params.config)
checksums = Path(params.checksums)
known = read_json(checksums, if_missing={})
reduction = read_json(inputs.reduction) if inputs.reduction else None
# the code as it is when the record is written (not a param: a new commit
# alone does not rerun the analysis)
code = workflow_record(params.code["folder"], params.code["ref"])
record = provenance(
    config, subjects, n_volumes, inputs.mask or None, inputs.regions or None, excluded, known,
    code, reduction,
)  # fmt: skip
write_json(record, output.provenance)
write_json(known, checksums)
without_confounds = [label for label, files in subjects.items() if not files["confounds"]]
with atomic_output(output.methods) as tmp:
    tmp.write_text(
        methods_text(
            config,
            len(subjects),
            n_volumes.values(),
            without_confounds,
            record["applied_regions"],
            excluded,
            n_regions=len(read_tsv(inputs.table, index_col=None)),
            resampled=params.resampled,
            n_participants=len({participant_of(label) for label in subjects}),
            software=record["software"],
            code=code,
            design=read_json(inputs.design) if inputs.design else None,
            group_reduction=reduction,
        )
    )
write_json(
    dataset_description("regions_connectome", __version__, params.code["url"], params.sources),
    output.description,
)
with atomic_output(output.bidsignore) as tmp:
    tmp.write_text("\n".join(BIDSIGNORE) + "\n")
