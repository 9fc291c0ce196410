# Input lookup: which subjects, where their files are, what each rule reads.
# The inputs are resolved and checked at parse time, so bad inputs stop the run
# before any job starts.

import shutil
from pathlib import Path

import pandas as pd
from snakemake.logging import logger

from regions_connectome.decomposition import (
    REDUCTION_KEYS,
    decomposition_request_mb,
    estimator_keys,
)
from regions_connectome.derivatives import (
    INPUT_COLUMN,
    RUN_PATTERN,
    output_entities,
    participant_of,
    run_prefixes,
    seg_label,
    set_aside,
    space_label,
    stale_outputs,
)
from regions_connectome.exclusions import asks_exclusions, split_exclusions
from regions_connectome.kinds import CONNECTIVITY_KINDS
from regions_connectome.niimg import DECOMPRESSED_FOLDER
from regions_connectome.inputs import (
    DEMO_CONFOUNDS,
    DEMO_FUNC,
    DEMO_PARTICIPANTS,
    INPUT_LABEL,
    ledger,
    ledger_summary,
    resolve_inputs,
    source_kind,
)
from regions_connectome.provenance import write_input_stamps
from regions_connectome.regions import EXTRACTION_KEYS, TIMESERIES_KEYS
from regions_connectome.statistics import (
    INFERENCE_KEYS,
    MEAN_FD,
    MODEL_KEYS,
    check_statistics,
)
from regions_connectome.synthetic import demo_group

ENV = "../../envs/nilearn.yaml"
KINDS = {CONNECTIVITY_KINDS[kind].label: kind for kind in config["connectivity_kinds"]}
KINDS.setdefault(CONNECTIVITY_KINDS["correlation"].label, "correlation")
# Kinds computed in each subject's own job; the others are fitted on the group.
SUBJECT_KINDS = [
    label
    for label, kind in KINDS.items()
    if not CONNECTIVITY_KINDS[kind].fitted_on_group
]
# What `subjects` names: demo, fetcher, bids or sheet.
INPUT_SOURCE = source_kind(config["subjects"])
# Whether the config asks to exclude subjects rather than stop.
EXCLUDING = asks_exclusions(config["exclusions"])
# Whether a run whose image data its jobs could not use is left out rather
# than stopping the run: each run's data are then checked by a job first.
CHECKING = config["exclusions"]["unusable"] == "exclude"
# A regions image to apply, or None: the regions are learned from the cohort.
APPLIED = config["regions"]["apply"]
COMPONENTS = [] if APPLIED else range(config["decomposition"]["n_components"])
# Learned regions on the demo cohort: how well they recover what it plants.
DEMO_RECOVERY = INPUT_SOURCE == "demo" and not APPLIED


# The inputs of the group stages, and those excluded (exclusions: in the config).
INPUTS = resolve_inputs(config, workflow.is_main_process)
INCLUDED, EXCLUDED = split_exclusions(INPUTS)
# The provenance job's checksums of the inputs, kept across runs.
CHECKSUMS = ".snakemake/regions_connectome/checksums.json"
# Per input, a stamp rewritten when its files changed, even to an older time
# (the demo's files are the workflow's own outputs: Snakemake tracks them).
STAMPS = ".snakemake/regions_connectome/stamps"
STAMPED = INPUT_SOURCE != "demo"
if STAMPED and workflow.is_main_process:
    write_input_stamps(INCLUDED, STAMPS, CHECKSUMS)
# The input whose grid is the common grid (its image serves for its grid even
# if it is excluded), and those resampled to it.
GRID_REFERENCE = (
    INPUTS.index[INPUTS["grid_reference"]][0]
    if INPUTS.get("grid_reference", pd.Series(dtype=bool)).any()
    else min(INPUTS.index)
)
RESAMPLED = list(INCLUDED.index[INCLUDED["resample"]]) if "resample" in INCLUDED else []
# What became of every input, written to results/group/inputs.tsv and summed up here.
LEDGER = ledger(INPUTS, GRID_REFERENCE)
if workflow.is_main_process:
    logger.info(ledger_summary(LEDGER))
# Input label -> its path prefix in the derivatives dataset (the run wildcard), and back.
RUN_PREFIX = run_prefixes(INCLUDED.index)
RUN_INPUT = {prefix: label for label, prefix in RUN_PREFIX.items()}
# Where each run's files go: its prefix, then the space (where the inputs say
# it) and, for what depends on the regions, their name.
SPACE = space_label(INPUT_SOURCE, config["bids"]["space"])
SEG = seg_label(config["regions"], config["decomposition"]["method"])
RUN_FILES = "results/{run}"
RUN = f"{RUN_FILES}{output_entities(SPACE)}"
RUN_REGIONS = f"{RUN_FILES}{output_entities(SPACE, SEG)}"
# Whether a run's image data can be used (exclusions: unusable: exclude).
CHECK = "results/checks/{run}.json"
# A run's smoothed data in the mask, kept by its reduction (keep_smoothed_data)
# for its timeseries.
SMOOTHED = f"{RUN}_desc-smoothed_bold.npz"
KEEP_SMOOTHED = config["keep_smoothed_data"] and not APPLIED
# Group statistics (statistics: variable): the participants of the group
# stages, their table and the contrast's name, checked before any job.
PARTICIPANT_UNITS = list(dict.fromkeys(map(participant_of, INCLUDED.index)))
PARTICIPANTS_FILE, CONTRAST = check_statistics(
    config, INPUT_SOURCE, PARTICIPANT_UNITS, DEMO_PARTICIPANTS
)
STATISTIC = f"results/group/contrast-{CONTRAST}"
EDGE_STATISTIC = f"{STATISTIC}_meas-{{kind}}"
STATISTICS_FIGURE = f"results/figures/contrast-{CONTRAST}_meas-{{kind}}_statistics.png"
STATISTICS_KINDS = (
    [CONNECTIVITY_KINDS[k].label for k in config["statistics"]["kinds"]]
    if CONTRAST
    else []
)


# Quick jobs that run in the head process rather than as cluster jobs.
localrules:
    all,
    group_mask,
    group_connectivity,
    connectivity_table,
    coverage_table,
    qc_table,
    plot_matrix,
    plot_connectome,


wildcard_constraints:
    subject=INPUT_LABEL.pattern.removeprefix("^").removesuffix("$"),
    run=RUN_PATTERN,
    kind="[a-z]+",
    component="[0-9]+",


def input_of(wildcards):
    """The input label of a run's files."""
    return RUN_INPUT[wildcards.run]


def source_func_of(wildcards):
    """The run's 4D functional image, as the inputs name it."""
    return INCLUDED.loc[input_of(wildcards), "func"]


def needs_resampling(label):
    """Whether the input's image is off the common grid (see ``reference_func``)."""
    return bool(INCLUDED.get("resample", {}).get(label, False))


def func_of(wildcards):
    """The run's 4D image on the common grid (resampled if it was not)."""
    if needs_resampling(input_of(wildcards)):
        return rules.resample_func.output.func.format(run=wildcards.run)
    return source_func_of(wildcards)


def reference_func():
    """The image whose grid is the common grid: the first input (in label order,
    so that reordering the sample sheet does not change it) on the grid most
    inputs share."""
    return INPUTS.loc[GRID_REFERENCE, "func"]


def func_stamp_of(wildcards):
    """The stamp of the run's image (see ``write_input_stamps``), or nothing."""
    return f"{STAMPS}/{input_of(wildcards)}_func.txt" if STAMPED else []


def confounds_stamp_of(wildcards):
    """The stamp of the run's confounds file, or nothing."""
    return f"{STAMPS}/{input_of(wildcards)}_confounds.txt" if STAMPED else []


def confounds_of(wildcards):
    """The run's confounds file, or nothing."""
    confounds = INCLUDED.loc[input_of(wildcards), "confounds"]
    return [] if confounds is None else confounds


def group_mask_inputs(wildcards):
    """What the group mask is made from, per the ``mask`` option."""
    if config["mask"] == "epi":
        return {
            "subject_masks": every_run(rules.subject_epi_mask.output.mask)(wildcards)
        }
    reference = {"reference": reference_func()}
    if config["mask"] == "template":
        return reference
    return reference | {"mask_file": config["mask"]}


def applied_region_names(wildcards):
    """The names of the applied regions' file, or nothing."""
    return config["regions"]["apply_labels"] or []


def learned_regions_mask(wildcards):
    """The group mask the learned regions lie in; nothing for applied regions
    (their own extent is the mask, as for nilearn's maskers without one)."""
    return [] if APPLIED else rules.group_mask.output.mask


def components_sidecar(wildcards):
    """How the decomposition learned its components; nothing for applied regions."""
    return [] if APPLIED else rules.decompose.output.sidecar


def smoothed_data(wildcards):
    """The run's smoothed data kept by the reduction, or nothing.

    Used when it is kept (``keep_smoothed_data``) and the timeseries masker
    smooths by the same amount (the seed's case); else the timeseries job
    reads the image.
    """
    smoothing = config["regions"]["smoothing_fwhm"]
    if not KEEP_SMOOTHED or smoothing != config["decomposition"]["smoothing_fwhm"]:
        return []
    return SMOOTHED.format(run=wildcards.run)


# A run's matrix of one connectivity kind (.tsv), and its sidecar (.json).
RELMAT = f"{RUN_REGIONS}_meas-{{kind}}_relmat"
# The folder of the runs' quality figures, <run's name>_quality.png each.
QUALITY_FIGURES = "results/figures/quality"


def quality_figures(wildcards=None):
    """Input label -> its run's quality figure, for the runs of the group stages."""
    return {
        label: f"{QUALITY_FIGURES}/{Path(prefix).name}_quality.png"
        for label, prefix in group_runs().items()
    }


def requested_files(wildcards):
    """Every file rule all asks for, the runs' quality figures one by one."""
    files = []
    for item in rules.all.input:
        files.extend(item(wildcards) if callable(item) else [item])
    figures = list(quality_figures().values())
    return sorted(
        {str(path) for path in files if path != QUALITY_FIGURES} | set(figures)
    )


def checked_out():
    """Input label -> why its run was left out by its check (``CHECKING``).

    Known once the ``exclusions`` checkpoint has read every run's check; the
    input functions that ask wait for it.
    """
    if not CHECKING:
        return {}
    table = pd.read_csv(checkpoints.exclusions.get().output.table, sep="\t", dtype=str)
    reasons = dict(zip(table[INPUT_COLUMN], table["reason"]))
    return {label: reasons[label] for label in RUN_PREFIX if label in reasons}


def group_runs():
    """Input label -> run prefix of the runs the group stages use."""
    left_out = checked_out()
    return {
        label: prefix for label, prefix in RUN_PREFIX.items() if label not in left_out
    }


def exclusions_if_checking(wildcards):
    """The exclusions table, for rules whose params depend on it (``CHECKING``)."""
    return rules.exclusions.output.table if CHECKING else []


def every_run(patterns, **wildcards):
    """An input function: ``patterns`` for every run of the group stages.

    ``wildcards`` fill other wildcards (e.g. ``kind``); those left are the
    job's. A function, not a list: Snakemake hashes a rule's list input once
    per file it holds when the rule also reads another rule's output, which
    made planning quadratic in the runs.
    """

    def files(job_wildcards):
        return expand(
            patterns, run=group_runs().values(), **wildcards, allow_missing=True
        )

    return files


def every_check(wildcards):
    """Every included run's check, when the config asks for checks."""
    return expand(CHECK, run=RUN_PREFIX.values()) if CHECKING else []


def group_confounds(wildcards):
    """The confounds files of the runs of the group stages (runs without one skipped)."""
    confounds = INCLUDED["confounds"]
    return [confounds[label] for label in group_runs() if confounds[label] is not None]


def all_inputs(wildcards):
    """Every included subject's image and confounds file."""
    return list(INCLUDED["func"]) + [c for c in INCLUDED["confounds"] if c is not None]


def subject_files(labels=None):
    """Subject label -> its func and confounds paths, of ``labels`` (default: every
    included subject)."""
    rows = INCLUDED if labels is None else INCLUDED.loc[list(labels)]
    return {
        label: {"func": row.func, "confounds": row.confounds}
        for label, row in zip(rows.index, rows.itertuples(index=False))
    }


def group_subjects(wildcards):
    """Subject label -> its files, for the runs of the group stages."""
    return subject_files(group_runs())


def group_labels(wildcards):
    """The input labels of the runs of the group stages, in the inputs' order."""
    return list(group_runs())


def group_participants(wildcards):
    """The participants of the runs of the group stages, in the inputs' order."""
    return list(dict.fromkeys(map(participant_of, group_runs())))


def group_volumes(wildcards):
    """Input label -> its volumes, for the runs of the group stages."""
    return {label: int(INCLUDED.loc[label, "n_volumes"]) for label in group_runs()}


def all_excluded(wildcards):
    """Subject label -> its files and why it was excluded: before any job, and by
    its check."""
    checked = {
        label: subject_files([label])[label] | {"reason": reason}
        for label, reason in checked_out().items()
    }
    return excluded_subjects() | checked


def ledger_records(wildcards):
    """What became of every input, with the runs left out by their check."""
    left_out = checked_out()
    return [
        record
        | (
            {"status": "excluded", "reason": left_out[record[INPUT_COLUMN]]}
            if record[INPUT_COLUMN] in left_out
            else {}
        )
        for record in LEDGER
    ]


def excluded_subjects():
    """Subject label -> its files and why it was excluded (for the record)."""
    return {
        label: {"func": row.func, "confounds": row.confounds, "reason": row.excluded}
        for label, row in zip(EXCLUDED.index, EXCLUDED.itertuples(index=False))
    }


def source_datasets():
    """Where the inputs come from, for dataset_description.json, where known."""
    return (
        [Path(config["subjects"]).resolve().as_uri()] if INPUT_SOURCE == "bids" else []
    )


def qc_table_if_modelled(wildcards):
    """The QC table, if the group model has mean framewise displacement as a covariate."""
    return (
        rules.qc_table.output.table
        if MEAN_FD in config["statistics"]["covariates"]
        else []
    )


def statistics_outputs():
    """The group statistics' files, or none (no ``statistics.variable``)."""
    if not CONTRAST:
        return []
    return [
        rules.statistics_design.output,
        expand(rules.edge_statistics.output, kind=STATISTICS_KINDS),
        expand(rules.plot_statistics.output, kind=STATISTICS_KINDS),
    ]


def kind_of(wildcards):
    """nilearn's name of the connectivity kind in a file name."""
    return KINDS[wildcards.kind]


def timeseries_params(wildcards):
    """The timeseries masker's parameters; ``t_r`` from the image's BIDS sidecar
    when the config leaves it unset."""
    params = pick("regions", TIMESERIES_KEYS)
    t_r = INCLUDED.get("t_r", {}).get(input_of(wildcards))
    if params["t_r"] is None and t_r is not None and t_r == t_r:  # not NaN
        params["t_r"] = float(t_r)
    return params


def set_aside_stale_outputs():
    """Move what this configuration does not produce out of results/, before any job.

    A removed or excluded subject's files, other kinds, regions or components
    would otherwise stay beside the current results, and BIDS tools would
    return them. They go to results/.stale/<time>/, which BIDS tools skip.
    """
    import time

    learned = ["_desc-reduced_data.npy", "_desc-smoothed_bold.npz"]
    unused = (
        (learned if APPLIED else [])
        + ([] if KEEP_SMOOTHED or APPLIED else ["_desc-smoothed_bold.npz"])
        + ([] if config["mask"] == "epi" and not APPLIED else ["_desc-epi_mask.nii.gz"])
    )
    dropped = [
        f"{RUN.format(run=prefix).removeprefix('results/')}{suffix}"
        for prefix in RUN_PREFIX.values()
        for suffix in unused
    ]
    dropped += [] if EXCLUDING else ["group/exclusions.tsv"]
    dropped += (
        []
        if CHECKING
        else [
            str(p.relative_to("results"))
            for p in Path("results/checks").rglob("*.json")
        ]
    )
    dropped += [] if DEMO_RECOVERY else ["group/demo_recovery.tsv"]
    if APPLIED:
        dropped += [
            "group/components.nii.gz",
            "group/mask.nii.gz",
            "figures/components.png",
        ]
    # group statistics of another contrast (or none)
    current = {str(path) for files in statistics_outputs() for path in files}
    dropped += [
        str(path.relative_to("results"))
        for folder in ("group", "figures")
        for path in Path("results", folder).glob("contrast-*")
        if str(path) not in current
    ]
    stale = stale_outputs(
        "results", set(RUN_PREFIX.values()), SPACE, SEG, set(KINDS), COMPONENTS, dropped
    )
    if stale:
        folder = set_aside("results", stale, time.strftime("%Y%m%dT%H%M%S"))
        logger.warning(
            f"{len(stale)} file(s) in results/ that this configuration does not produce "
            f"(inputs, kinds, regions or components of an earlier run) moved to {folder}"
        )


def pick(section, keys):
    """The ``keys`` of a config section, so that params hold only what a rule uses."""
    return {key: config[section][key] for key in keys}


def memory(base_mb):
    """Memory that grows with each attempt, for retries after an OOM kill."""

    def mem_mb(wildcards, attempt):
        return base_mb * attempt

    return mem_mb


def decomposition_memory(budget_mb):
    """The decomposition's memory request, from its inputs' size (more with each attempt)."""

    def mem_mb(wildcards, input, attempt):
        data_mb = sum(Path(path).stat().st_size for path in input.reduced) / 2**20
        return int(decomposition_request_mb(data_mb, budget_mb)) * attempt

    return mem_mb
