# Regions extraction using Dictionary Learning and functional connectomes:
# nilearn's gallery example as a Snakemake workflow. See README.md.

import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from regions_connectome.configuration import type_nested_overrides


# The workflow's defaults, wherever it runs (--directory); --configfile adds to them.
configfile: Path(workflow.basedir) / "config.yaml"


type_nested_overrides(config, workflow.config_settings.overwrite_config)
validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/decomposition.smk"
include: "workflow/rules/regions.smk"
include: "workflow/rules/connectivity.smk"
include: "workflow/rules/quality.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/provenance.smk"


onstart:
    set_aside_stale_outputs()


# Every output of the contract: the rules' own outputs, for every subject and kind.
rule all:
    default_target: True
    input:
        [] if APPLIED else rules.decompose.output,
        rules.demo_recovery.output if DEMO_RECOVERY else [],
        REGIONS,
        expand(rules.subject_timeseries.output, scan=SCAN.values()),
        expand("results/group/meas-{kind}_relmat.tsv", kind=KINDS),
        rules.connectivity_table.output,
        rules.coverage_table.output,
        rules.qc_table.output,
        [] if APPLIED else rules.plot_components.output,
        rules.plot_regions.output,
        rules.plot_connectome.output,
        expand(rules.plot_matrix.output, kind=[k for k in KINDS if k != "correlation"]),
        rules.plot_quality.output,
        rules.provenance.output,
        rules.exclusions.output if EXCLUDING else [],
        rules.inputs_ledger.output,
