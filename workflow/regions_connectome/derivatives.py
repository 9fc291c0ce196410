"""The outputs as a BIDS derivatives dataset (connectivity derivatives, BEP017).

Per-run files are named with their input's BIDS entities and live in
``sub-<label>/[ses-<label>/]func/``; the regions are named by the ``seg-``
entity, the derivatives entity for a segmentation or parcellation (BIDS
replaced ``atlas-`` by ``seg-`` in 2023, and XCP-D and giga_connectome
followed). Sidecars carry BEP017's keys, as those tools write them, besides
the workflow's own.
"""

from __future__ import annotations

import re
from pathlib import Path

from regions_connectome.kinds import CONNECTIVITY_KINDS

# A BIDS label: what follows an entity's key (sub-01, task-rest); the schema's
# patterns say the same (tests/test_derivatives.py checks it).
LABEL_CHARACTERS = "A-Za-z0-9"
LABEL = f"[{LABEL_CHARACTERS}]+"
# BIDS entities an input's label may carry, in BIDS file-name order (after sub).
RUN_ENTITIES = ("ses", "task", "acq", "ce", "rec", "dir", "run", "echo", "part")
# The column naming an input (one run: an image and its confounds) in every
# table, by its label; "participant" names its subject.
INPUT_COLUMN = "input"
# The task of inputs whose source names none (sample sheets, the demo, nilearn's datasets).
DEFAULT_TASK = "rest"
# What a run's path prefix looks like (the ``run`` wildcard of the rules).
RUN_PATTERN = rf"sub-{LABEL}/(ses-{LABEL}/)?func/sub-{LABEL}(_[a-z]+-{LABEL})+"
# The space of the demo cohort: nilearn's MNI152 template (ICBM 2009a symmetric).
DEMO_SPACE = "MNI152NLin2009aSym"
# What the workflow adds to a run's name in its files' names: the run's prefix
# ends where this starts.
ADDED_TO_RUN = re.compile(r"_(?:space|seg|desc|meas)-|_(?:qc|timeseries|relmat|quality)\.")
LEARNED_SEG = {"dictlearning": "DictLearning", "canica": "CanICA"}
# Files in the derivatives folder that are not BIDS (for the BIDS validator;
# sourcedata/, where the demo cohort is written, is ignored by BIDS tools).
BIDSIGNORE = (
    ".stale/",
    "checks/",
    "group/",
    "figures/",
    "logs/",
    "benchmarks/",
    "provenance.json",
    "methods.md",
    "*_desc-reduced_data.npy",
    "*_desc-smoothed_bold.npz",
)


def run_prefix(label):
    """The derivatives path prefix of one input: its folder and file-name entities.

    Parameters
    ----------
    label : str
        Input label: the subject, then ``_key-value`` BIDS entities
        (``01``, ``01_ses-A_task-rest_run-2``).

    Returns
    -------
    str
        ``sub-<s>/[ses-<t>/]func/sub-<s>[_ses-<t>]_task-<t>[_acq-…][_run-…]``,
        the entities in BIDS order, ``task-rest`` when the label has no task.

    Raises
    ------
    ValueError
        If the label carries a key that is not a BIDS entity of a BOLD run,
        or the same key twice.
    """
    subject, *pairs = label.split("_")
    entities = {}
    for pair in pairs:
        key, _, value = pair.partition("-")
        if key not in RUN_ENTITIES or key in entities:
            raise ValueError(
                f"input {label}: {pair!r} is not a BIDS entity of a BOLD run (one of "
                f"{', '.join(RUN_ENTITIES)}, each once)"
            )
        entities[key] = value
    entities.setdefault("task", DEFAULT_TASK)
    name = f"sub-{subject}" + "".join(
        f"_{key}-{entities[key]}" for key in RUN_ENTITIES if key in entities
    )
    folder = f"sub-{subject}/" + (f"ses-{entities['ses']}/" if "ses" in entities else "")
    return f"{folder}func/{name}"


def input_name(label):
    """How messages name an input: its subject, then what tells its runs apart.

    Parameters
    ----------
    label : str
        ``01``, ``01_ses-A_task-rest_run-2``...

    Returns
    -------
    str
        ``subject 01``, ``subject 01 (ses-A_task-rest_run-2)``.
    """
    participant, _, entities = label.partition("_")
    return f"subject {participant}" + (f" ({entities})" if entities else "")


def participant_of(label):
    """The participant an input label belongs to: its subject entity.

    Parameters
    ----------
    label : str
        ``01``, ``01_ses-A_task-rest_run-2``...

    Returns
    -------
    str
    """
    return label.split("_", 1)[0]


def run_prefixes(labels):
    """Each input label's derivatives path prefix (:func:`run_prefix`).

    Parameters
    ----------
    labels : sequence of str
        Input labels.

    Returns
    -------
    dict of str to str
        Label -> prefix.

    Raises
    ------
    ValueError
        If a label is not made of BIDS entities, or two labels name one run
        (``01`` and ``01_task-rest``).
    """
    prefixes, labels_of = {}, {}
    for label in labels:
        prefix = run_prefix(label)
        if prefix in labels_of:
            raise ValueError(f"inputs {labels_of[prefix]} and {label} both name the run {prefix}")
        prefixes[label], labels_of[prefix] = prefix, label
    return prefixes


def outputs_table(files, prefixes):
    """The files a configuration produces, each with the input it belongs to.

    Parameters
    ----------
    files : iterable of str
        Paths of the outputs (``results/sub-01/func/sub-01_task-rest_...``).
    prefixes : dict of str to str
        Input label -> its path prefix (:func:`run_prefixes`).

    Returns
    -------
    pandas.DataFrame
        Columns ``file`` (sorted) and ``input`` (None for group files).
    """
    import pandas as pd

    # a run's name is unique (it holds the subject, session, task, run...)
    label_of = {prefix.rsplit("/", 1)[-1]: label for label, prefix in prefixes.items()}
    rows = []
    for path in sorted(set(map(str, files))):
        name = path.rsplit("/", 1)[-1]
        added = ADDED_TO_RUN.search(name)
        label = label_of.get(name[: added.start()]) if added else None
        rows.append({"file": path, INPUT_COLUMN: label})
    return pd.DataFrame(rows, columns=["file", INPUT_COLUMN])


def output_entities(space, seg=None):
    """The entities a per-run output adds after the input's: space, then seg.

    Parameters
    ----------
    space : str or None
        The template space of the images, or None where unknown (no entity).
    seg : str or None, default=None
        The regions' label, for the outputs that depend on the regions.

    Returns
    -------
    str
        ``_space-<space>_seg-<seg>``, without the entities that are None.
    """
    return (f"_space-{space}" if space else "") + (f"_seg-{seg}" if seg else "")


def stale_outputs(results, runs, space, seg, kinds, components, dropped=()):
    """Files under ``results/`` that the current configuration does not produce.

    Per-run files, group matrices, figures, and the logs and benchmarks of
    the jobs that made them. Left there, a removed subject's or an earlier configuration's files sit
    beside the current ones, and BIDS tools (pybids) return them as results.

    Parameters
    ----------
    results : str or pathlib.Path
        The derivatives folder.
    runs : collection of str
        The current runs' prefixes (``sub-01/func/sub-01_task-rest``).
    space, seg : str or None
        The current ``space-`` and ``seg-`` labels (see :func:`output_entities`).
    kinds : collection of str
        The connectivity kinds in file names (``partialcorrelation``).
    components : collection of int
        The learned components (none for applied regions).
    dropped : collection of str, default=()
        Other files (relative to ``results``) the configuration does not
        produce (``group/exclusions.tsv`` when nobody is excluded).

    Returns
    -------
    list of pathlib.Path
    """
    results = Path(results)
    stale = [results / name for name in dropped if (results / name).is_file()]
    for path in sorted(results.glob("sub-*/**/*")):
        if not path.is_file():
            continue
        folder, name = path.relative_to(results).as_posix().rsplit("/", 1)
        cut = ADDED_TO_RUN.search(name)
        run = f"{folder}/{name[: cut.start()]}" if cut else None
        entities = dict(re.findall(rf"_(space|seg|meas|desc)-({LABEL})", name))
        # the QC row alone is named without the space
        if (
            run not in runs
            or (entities.keys() & {"seg", "desc"} and entities.get("space") != space)
            or entities.get("seg", seg) != seg
            or entities.get("meas", next(iter(kinds))) not in kinds
        ):
            stale.append(path)
    for path in sorted((results / "group").glob("meas-*_relmat.*")):
        if path.name.split("_")[0].removeprefix("meas-") not in kinds:
            stale.append(path)
    for path in sorted((results / "figures").glob("matrix_meas-*.png")):
        if path.stem.removeprefix("matrix_meas-") not in kinds:
            stale.append(path)
    for path in sorted((results / "figures").glob("network-*.png")):
        if int(path.stem.removeprefix("network-")) not in set(components):
            stale.append(path)
    # jobs' logs and benchmarks: <rule>/<run>.log, <rule>/meas-<kind>.log, ...
    for folder in ("logs", "benchmarks"):
        for path in sorted((results / folder).glob("*/**/*")):
            if not path.is_file():
                continue
            job = path.relative_to(results / folder).with_suffix("").as_posix().split("/", 1)[1]
            kind = re.search(rf"meas-({LABEL})", job)
            of_a_run = job.startswith("sub-") and "/" in job  # not the demo's sub-<n>
            if (of_a_run and job not in runs) or (kind and kind[1] not in kinds):
                stale.append(path)
    # the runs' checks (exclusions: unusable: exclude): checks/<run>.json
    for path in sorted((results / "checks").glob("sub-*/**/*.json")):
        if path.relative_to(results / "checks").with_suffix("").as_posix() not in runs:
            stale.append(path)
    return stale


def set_aside(results, paths, when):
    """Move files into ``results/.stale/<when>/``, keeping their place below it.

    BIDS tools skip folders whose name starts with a dot; nothing is deleted.

    Parameters
    ----------
    results : str or pathlib.Path
        The derivatives folder.
    paths : list of pathlib.Path
        Files under ``results``.
    when : str
        The folder's name, e.g. the run's start time.

    Returns
    -------
    pathlib.Path
        The folder they went to.
    """
    results = Path(results)
    folder = results / ".stale" / when
    for path in paths:
        target = folder / path.relative_to(results)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    return folder


def seg_label(regions, method):
    """The ``seg-`` label naming the regions.

    Parameters
    ----------
    regions : dict
        The config's ``regions`` section: ``name`` if set, else ``apply``.
    method : str
        The decomposition method (for learned regions).

    Returns
    -------
    str
        ``regions.name``; else the applied file's name without extension and
        anything but letters and digits (``aal.nii.gz`` -> ``aal``); else
        ``DictLearning`` or ``CanICA``.

    Raises
    ------
    ValueError
        If the label would be empty or ``regions.name`` is not alphanumeric.
    """
    if regions.get("name"):
        if not re.fullmatch(LABEL, regions["name"]):
            raise ValueError(
                f"regions.name {regions['name']!r} must be letters and digits only "
                "(it is a BIDS label)"
            )
        return regions["name"]
    if not regions.get("apply"):
        return LEARNED_SEG[method]
    stem = re.sub(r"(\.nii)?(\.gz)?$", "", regions["apply"].replace("\\", "/").rsplit("/", 1)[-1])
    label = re.sub(f"[^{LABEL_CHARACTERS}]", "", stem)
    if not label:
        raise ValueError(
            f"regions.apply {regions['apply']}: its name gives no BIDS label; set regions.name"
        )
    return label


def space_label(source, bids_space):
    """The ``space-`` label of the outputs, where the inputs say it.

    Parameters
    ----------
    source : {"demo", "fetcher", "bids", "sheet"}
        What the config's ``subjects`` names
        (:func:`regions_connectome.inputs.source_kind`).
    bids_space : str
        The config's ``bids.space``.

    Returns
    -------
    str or None
        The demo's template space, the BIDS inputs' space, else None (a
        sample sheet or a fetcher does not say which template).
    """
    return {"demo": DEMO_SPACE, "bids": bids_space}.get(source)


def dataset_description(name, version, code_url=None, source_datasets=()):
    """``dataset_description.json`` of the derivatives dataset.

    Parameters
    ----------
    name, version : str
        The workflow's name and version.
    code_url : str or None, default=None
        The code's web address; None leaves ``CodeURL`` out (a checkout's
        local path would make the results depend on where the code is).
    source_datasets : sequence of str
        Where the inputs came from (URL or local path), where known.

    Returns
    -------
    dict
    """
    description = {
        "Name": "Regions and functional connectomes",
        "BIDSVersion": "1.10.0",
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": name, "Version": version}],
    }
    if code_url:
        description["GeneratedBy"][0]["CodeURL"] = code_url
    if source_datasets:
        description["SourceDatasets"] = [{"URL": source} for source in source_datasets]
    return description


def timeseries_metadata(denoising, t_r, mean_fd):
    """BEP017's keys of a timeseries sidecar, as XCP-D and giga_connectome write them.

    Parameters
    ----------
    denoising : regions_connectome.denoising.Denoising
        What was regressed out and which volumes were kept.
    t_r : float or None
        Repetition time (s).
    mean_fd : float or None
        Mean framewise displacement (mm), where the confounds give it.

    Returns
    -------
    dict
        ``ConfoundRegressors``, ``NumberOfVolumesDiscardedByMotionScrubbing``,
        ``MeanFramewiseDisplacement``, ``SamplingFrequency`` (Hz).
    """
    return {
        "ConfoundRegressors": list(denoising.record["columns"]),
        "NumberOfVolumesDiscardedByMotionScrubbing": denoising.n_volumes - denoising.n_kept,
        "MeanFramewiseDisplacement": None if mean_fd is None else float(mean_fd),
        "SamplingFrequency": None if not t_r else 1.0 / float(t_r),
    }


def relmat_metadata(kind, sources):
    """BEP017's keys of a relmat sidecar.

    Parameters
    ----------
    kind : str
        nilearn's connectivity kind.
    sources : sequence of str
        The files the matrix was computed from (the timeseries).

    Returns
    -------
    dict
        ``Measure``, ``MeasureDescription``, ``Weighted``, ``Directed``,
        ``ValidDiagonal``, ``StorageFormat``, ``Sources``.
    """
    return {
        "Measure": CONNECTIVITY_KINDS[kind].measure,
        "MeasureDescription": f"nilearn ConnectivityMeasure(kind={kind!r})",
        "Weighted": True,
        "Directed": False,
        "ValidDiagonal": True,
        "StorageFormat": "Full",
        "Sources": list(sources),
    }


def timeseries_sidecar(
    subject, inputs, denoising, params, timeseries, coverage, labels, masker, t_r, mean_fd
):
    """The JSON sidecar of a subject's timeseries: BEP017's keys, then the workflow's.

    Parameters
    ----------
    subject : str
        Input label.
    inputs : mapping
        The job's named inputs (``func``, ``confounds``, ``regions``,
        ``smoothed``).
    denoising : regions_connectome.denoising.Denoising
        What was regressed out and which volumes were kept.
    params : dict
        The timeseries masker's parameters.
    timeseries : numpy.ndarray, shape (n_volumes_kept, n_regions)
        The subject's timeseries (NaN columns for regions without signal).
    coverage : numpy.ndarray, shape (n_regions,)
        Fraction of each region's voxels with signal
        (:func:`regions_connectome.connectivity.region_coverage`).
    labels : sequence of str
        Region labels.
    masker : str
        The nilearn masker whose numbers the timeseries reproduce.
    t_r : float or None
        Repetition time (s).
    mean_fd : float or None
        Mean framewise displacement (mm), where the confounds give it.

    Returns
    -------
    dict
        :func:`timeseries_metadata`'s keys, the input's files, denoising,
        masker and its parameters, each region's coverage and the regions
        without signal.
    """
    import numpy as np

    missing = np.isnan(timeseries).all(axis=0)
    return timeseries_metadata(denoising, t_r, mean_fd) | {
        "InputLabel": subject,
        "InputImage": inputs["func"],
        "ConfoundsFile": inputs["confounds"] or None,
        "Denoising": denoising.record,
        "NumberOfVolumesKept": len(timeseries),
        "RegionsImage": inputs["regions"],
        "Masker": masker,
        "MaskerParameters": dict(params),
        "ComputedWith": (
            f"regions_connectome.signals (numpy, SciPy): {masker}'s signal extraction "
            "in float64 on the voxels with signal, and nilearn.signal.clean"
        ),
        "SmoothedOnce": bool(inputs["smoothed"]),
        "RegionCoverage": {
            label: round(float(c), 4) for label, c in zip(labels, coverage, strict=True)
        },
        "RegionsWithoutSignal": [
            label for label, gone in zip(labels, missing, strict=True) if gone
        ],
    }


def _estimator(kind):
    """What computed a matrix of this kind, for its sidecar."""
    return {
        "name": "nilearn.connectome.ConnectivityMeasure",
        "kind": kind,
        "cov_estimator": "sklearn.covariance.LedoitWolf(store_precision=False)",
        "fitted_on": (
            "the whole group" if CONNECTIVITY_KINDS[kind].fitted_on_group else "each subject alone"
        ),
    }


def subject_relmat_sidecar(kind, subject, timeseries_sidecar, timeseries_file, regions_img):
    """The JSON sidecar of one subject's matrix.

    Parameters
    ----------
    kind : str
        Connectivity kind (nilearn's name).
    subject : str
        Input label.
    timeseries_sidecar : dict
        The subject's timeseries sidecar (confounds used, volumes).
    timeseries_file : str
        The subject's timeseries file.
    regions_img : str
        The regions image the timeseries came from.

    Returns
    -------
    dict
        BEP017's keys (:func:`regions_connectome.derivatives.relmat_metadata`),
        then kind, estimator, regions image, timeseries file, confounds file
        and columns regressed out, volumes used, regions without signal (NaN).
    """
    return relmat_metadata(kind, [timeseries_file]) | {
        "InputLabel": subject,
        "ConnectivityKind": kind,
        "Estimator": _estimator(kind),
        "RegionsImage": regions_img,
        "TimeseriesFile": timeseries_file,
        "ConfoundsFile": timeseries_sidecar["ConfoundsFile"],
        "ConfoundRegressors": timeseries_sidecar["ConfoundRegressors"],
        "NumberOfVolumesKept": timeseries_sidecar["NumberOfVolumesKept"],
        "RegionsWithoutSignal": timeseries_sidecar["RegionsWithoutSignal"],
    }


def group_relmat_sidecar(kind, subject_sidecars, regions_img, unit="run"):
    """The JSON sidecar of the group matrix of one kind.

    Parameters
    ----------
    kind : str
        Connectivity kind (nilearn's name).
    subject_sidecars : sequence of dict
        The subjects' matrix sidecars (:func:`subject_relmat_sidecar`).
    regions_img : str
        The regions image.
    unit : {"run", "participant"}, default="run"
        What the group statistic counts once (see :func:`combine_runs`).

    Returns
    -------
    dict
        Kind, estimator, what the group matrix is, and the inputs and
        participants it is made of with their volumes and the regions each
        lacks.
    """
    statistic = (
        "group reference of the tangent space (ConnectivityMeasure.mean_, the geometric "
        "mean of the subjects' covariances), on the regions every subject has signal in"
        if CONNECTIVITY_KINDS[kind].fitted_on_group
        else "mean of the subjects' matrices, each region pair over the subjects that "
        "have signal in both regions"
    )
    if unit == "participant":
        statistic += "; each participant counted once (its runs' matrices averaged first" + (
            "; for the reference, its runs' timeseries joined)"
            if CONNECTIVITY_KINDS[kind].fitted_on_group
            else ")"
        )
    subjects = [sidecar["InputLabel"] for sidecar in subject_sidecars]
    sources = [sidecar["TimeseriesFile"] for sidecar in subject_sidecars]
    participants = list(dict.fromkeys(participant_of(s) for s in subjects))
    return relmat_metadata(kind, sources) | {
        "ConnectivityKind": kind,
        "Estimator": _estimator(kind),
        "Statistic": statistic,
        "RegionsImage": regions_img,
        "GroupUnit": unit,
        "InputLabels": subjects,
        "NumberOfInputs": len(subjects),
        "ParticipantLabels": participants,
        "NumberOfParticipants": len(participants),
        "NumberOfVolumesKept": {
            s["InputLabel"]: s["NumberOfVolumesKept"] for s in subject_sidecars
        },
        "RegionsWithoutSignal": {
            s["InputLabel"]: s["RegionsWithoutSignal"]
            for s in subject_sidecars
            if s.get("RegionsWithoutSignal")
        },
    }


# What each statistic file of the group model holds (its ``stat-`` entity).
EDGE_STATISTICS = {
    "t": "t statistic of the contrast (ordinary least squares, per edge)",
    "pfwe": "family-wise error corrected p of each edge (max-T permutation test)",
    "pnbs": "family-wise error corrected p of the edge's connected component of supra-threshold "
    "edges (network-based statistic); n/a for edges below the primary threshold",
}


def statistic_relmat_sidecar(statistic, kind, design, inference, sources, regions_img):
    """The JSON sidecar of a group statistic's matrix.

    Parameters
    ----------
    statistic : str
        A key of :data:`EDGE_STATISTICS`.
    kind : str
        Connectivity kind (nilearn's name).
    design : dict
        The design's sidecar (:func:`regions_connectome.statistics.design_sidecar`).
    inference : dict
        The config's inference keys (permutations, seed, sides, NBS threshold).
    sources : sequence of str
        The participants' matrices.
    regions_img : str
        The regions table the matrix's rows are.

    Returns
    -------
    dict
        BEP017's keys, then statistic, model, contrast, covariates,
        participants and inference.
    """
    edge = (
        "Fisher z (arctanh) of each participant's matrix"
        if CONNECTIVITY_KINDS[kind].bounded
        else "each participant's matrix as it is"
    )
    return relmat_metadata(kind, sources) | {
        "ValidDiagonal": False,
        "ConnectivityKind": kind,
        "Statistic": statistic,
        "StatisticDescription": EDGE_STATISTICS[statistic],
        "Model": "ordinary least squares per edge: intercept, tested variable, covariates",
        "EdgeValues": edge + ", runs averaged per participant",
        "Contrast": design["Contrast"],
        "ContrastDescription": design["Description"],
        "Covariates": design["Covariates"],
        "ParticipantLabels": design["ParticipantLabels"],
        "NumberOfParticipants": design["NumberOfParticipants"],
        "LeftOut": design["LeftOut"],
        "Inference": {
            "MaxT": "nilearn.mass_univariate.permuted_ols",
            "NetworkBasedStatistic": "regions_connectome.statistics.network_based_statistic",
            "NumberOfPermutations": inference["n_permutations"],
            "RandomState": inference["random_state"],
            "TwoSided": inference["two_sided"],
            "NBSThreshold": inference["nbs_threshold"],
        },
        "RegionsTable": regions_img,
    }
