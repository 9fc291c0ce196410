# Regions extraction using Dictionary Learning and functional connectomes:
# nilearn's gallery example as a Snakemake workflow. See README.md.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/decomposition.smk"
include: "workflow/rules/regions.smk"
include: "workflow/rules/connectivity.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/provenance.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
