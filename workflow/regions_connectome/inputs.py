"""The cohort: which subjects, which images and which confounds.

Everything here runs when Snakemake parses the workflow, before any job, so a
bad sample sheet stops the run at once with a message naming the subject and
the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from regions_connectome.derivatives import INPUT_COLUMN, LABEL, input_name
from regions_connectome.exclusions import (
    asks_exclusions,
    exclusion_reason,
    split_exclusions,
    unusable_reason,
)
from regions_connectome.niimg import same_grid

REQUIRED_COLUMNS = ("subject", "func", "confounds")
SUBJECT_LABEL = re.compile(rf"^{LABEL}$")
# An input's label: the subject, then the BIDS entities that tell its runs apart.
INPUT_LABEL = re.compile(rf"^{LABEL}(_[a-z]+-{LABEL})*$")
# BIDS entities (pybids name, file-name key) that name an input in the outputs.
LABEL_ENTITIES = (("session", "ses"), ("task", "task"), ("acquisition", "acq"), ("run", "run"))
FETCHERS = {"adhd": "fetch_adhd", "development_fmri": "fetch_development_fmri"}
# Where the demo rules write the synthetic cohort's files.
DEMO_FUNC = "results/sourcedata/demo/sub-{subject}/sub-{subject}_bold.nii.gz"
DEMO_CONFOUNDS = "results/sourcedata/demo/sub-{subject}/sub-{subject}_desc-confounds_timeseries.tsv"
DEMO_PARTICIPANTS = "results/sourcedata/demo/participants.tsv"
# Where the participants table of a nilearn dataset is kept (from its phenotypic table).
FETCHED_PARTICIPANTS = ".snakemake/regions_connectome/participants-{name}.tsv"


class InputError(ValueError):
    """A problem with the inputs that the user must fix."""


def demo_subjects(n_subjects):
    """Labels of the synthetic cohort's subjects: ``01``, ``02``, ...

    Parameters
    ----------
    n_subjects : int
        Cohort size.

    Returns
    -------
    list of str
    """
    width = max(2, len(str(n_subjects)))
    return [f"{i:0{width}d}" for i in range(1, n_subjects + 1)]


def _resolve(value, folder):
    if pd.isna(value) or str(value).strip() == "":
        return None
    path = Path(str(value).strip())
    return str(path if path.is_absolute() else folder / path)


def _optional(values, index):
    """A column of paths where None means none (pandas 3 would make None NaN in a str column)."""
    return pd.Series(list(values), index=index, dtype=object)


def read_sample_sheet(path):
    """Read and check a tab-separated sample sheet.

    Parameters
    ----------
    path : str or pathlib.Path
        TSV with columns ``subject``, ``func`` and ``confounds`` (which may be
        empty). Relative paths are relative to the sheet's folder.

    Returns
    -------
    pandas.DataFrame
        Indexed by input label (``input``: the subject's), with absolute ``func`` and ``confounds``
        paths (``None`` where no confounds).

    Raises
    ------
    InputError
        If the sheet is missing or unreadable, lacks a column, has an invalid
        or duplicate subject label, or names a file that does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"sample sheet {path} does not exist")
    try:
        sheet = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"sample sheet {path} is not a readable TSV: {error}") from error
    missing = [c for c in REQUIRED_COLUMNS if c not in sheet.columns]
    if missing:
        raise InputError(
            f"sample sheet {path} lacks column(s) {missing}; it has "
            f"{list(sheet.columns)} (columns must be tab-separated)"
        )
    if sheet.empty:
        raise InputError(f"sample sheet {path} lists no subject")
    sheet["subject"] = sheet["subject"].str.strip()
    for label in sheet["subject"]:
        if not SUBJECT_LABEL.match(label):
            raise InputError(
                f"sample sheet {path}: subject label {label!r} must be letters and "
                "digits only (it names output files)"
            )
    duplicated = sorted(set(sheet.loc[sheet["subject"].duplicated(), "subject"]))
    if duplicated:
        raise InputError(f"sample sheet {path}: duplicate subject(s) {duplicated}")

    folder = path.resolve().parent
    sheet["func"] = [_resolve(v, folder) for v in sheet["func"]]
    sheet["confounds"] = _optional((_resolve(v, folder) for v in sheet["confounds"]), sheet.index)
    for row in sheet.itertuples():
        if row.func is None:
            raise InputError(f"sample sheet {path}: subject {row.subject} has no func file")
        for column in ("func", "confounds"):
            file = getattr(row, column)
            if file is not None and not Path(file).is_file():
                raise InputError(
                    f"subject {row.subject}: {column} file {file} does not exist (listed in {path})"
                )
    return sheet.set_index("subject").rename_axis(INPUT_COLUMN)[["func", "confounds"]]


def bids_inputs(
    root,
    space="MNI152NLin2009cAsym",
    task=(),
    session=(),
    run=(),
    participant_label=(),
    exclude_participant_label=(),
):
    """Find the preprocessed BOLD images and confounds in fMRIPrep derivatives.

    The folder is indexed with pybids; each ``*_space-<space>_desc-preproc_bold``
    image is an input, with the ``desc-confounds`` table of the same subject,
    session, task, acquisition and run, and ``RepetitionTime`` from its JSON
    sidecar.

    Parameters
    ----------
    root : str or pathlib.Path
        fMRIPrep derivatives folder (with ``dataset_description.json``).
    space : str, default="MNI152NLin2009cAsym"
        Output space of the images.
    task, session, run : sequence of str or int, default=()
        Keep only these labels (all if empty).
    participant_label, exclude_participant_label : sequence of str, default=()
        Subjects to keep (all if empty) and to leave out; a leading ``sub-``
        is ignored.

    Returns
    -------
    pandas.DataFrame
        Indexed by input label (the subject, then ``_ses-``, ``_task-``,
        ``_acq-``, ``_run-`` where the file name has them), with columns
        ``func``, ``confounds`` and ``t_r``.

    Raises
    ------
    InputError
        If the folder is not a derivatives dataset, no image matches, or an
        image has no confounds table.
    """
    from bids import BIDSLayout
    from bids.layout import Query

    from regions_connectome.derivatives import run_prefix

    root = Path(root).resolve()
    if not (root / "dataset_description.json").is_file():
        raise InputError(
            f"{root} is not a BIDS derivatives folder: it has no dataset_description.json"
        )
    try:
        layout = BIDSLayout(root, validate=False, config=["bids", "derivatives"])
    except Exception as error:  # pybids raises many kinds on a broken dataset
        raise InputError(f"cannot index the BIDS folder {root}: {error}") from error

    def strip(labels):
        return [str(label).removeprefix("sub-") for label in labels]

    # A label the dataset does not have selects or excludes nobody: stop
    # instead (a typo, or YAML's reading of an unquoted 04 as 4).
    for key, entity, values in (
        ("participant_label", "subject", strip(participant_label)),
        ("exclude_participant_label", "subject", strip(exclude_participant_label)),
        ("task", "task", [str(v) for v in task]),
        ("session", "session", [str(v) for v in session]),
    ):
        known = {str(v) for v in layout.get(return_type="id", target=entity)}
        unknown = [v for v in values if v not in known]
        if unknown:
            lists = (participant_label, exclude_participant_label, task, session)
            read_as_numbers = any(isinstance(v, int) for labels in lists for v in labels)
            raise InputError(
                f"bids.{key} names {unknown}, which {root} does not have (its {entity} labels: "
                f"{sorted(known)})"
                + (
                    ": YAML reads an unquoted 04 as the number 4 and 010 as 8; write labels "
                    "in quotes ('04')"
                    if read_as_numbers
                    else ""
                )
            )

    filters = {
        "space": space,
        "desc": "preproc",
        "suffix": "bold",
        "extension": [".nii.gz", ".nii"],
    }
    for entity, values in (("task", task), ("session", session), ("run", run)):
        if values:
            filters[entity] = [str(v) for v in values]
    if participant_label:
        filters["subject"] = strip(participant_label)
    excluded = set(strip(exclude_participant_label))
    images = [f for f in layout.get(**filters) if f.entities["subject"] not in excluded]
    if not images:
        shown = {k: v for k, v in filters.items() if k not in ("suffix", "extension")}
        raise InputError(
            f"no preprocessed BOLD image (*_space-{space}_desc-preproc_bold.nii.gz) in "
            f"{root} matches {shown}"
            + (f" once subjects {sorted(excluded)} are left out" if excluded else "")
        )
    # A participant with preprocessed runs, but none in the space asked for,
    # would be left out without a word.
    in_any_space = {k: v for k, v in filters.items() if k != "space"}
    other_spaces = (
        {f.entities["subject"] for f in layout.get(**in_any_space)}
        - {f.entities["subject"] for f in images}
        - excluded
    )
    if other_spaces:
        raise InputError(
            f"subject(s) {sorted(other_spaces)} of {root} have preprocessed BOLD runs but none "
            f"in space {space} (bids.space): add them in that space, or leave them out "
            "(bids.exclude_participant_label)"
        )
    rows = {}
    for image in images:
        entities = image.get_entities()
        label = entities["subject"] + "".join(
            f"_{key}-{entities[name]}" for name, key in LABEL_ENTITIES if name in entities
        )
        if not INPUT_LABEL.match(label):
            raise InputError(f"{image.path}: its BIDS entities give the label {label!r}")
        # pybids reads an entity's value up to the first character outside its
        # alphabet: a name that does not begin with the label's entities was cut
        named = Path(image.path).name
        if not named.startswith(run_prefix(label).rsplit("/", 1)[-1] + "_"):
            raise InputError(
                f"{image.path}: pybids reads its entities as {label!r}, which its name does "
                "not begin with: BIDS labels are letters and digits only; rename the file"
            )
        if label in rows:
            raise InputError(
                f"{image.path} and {rows[label]['func']} are both input {label}: "
                "narrow the selection (bids: task, session, run)"
            )
        match = {
            name: entities.get(name, Query.NONE)
            for name in ("subject", "session", "task", "acquisition", "run")
        }
        confounds = layout.get(
            **match,
            desc="confounds",
            suffix=["timeseries", "regressors"],
            extension=".tsv",
        )
        if len(confounds) != 1:
            found = [c.path for c in confounds] or "none"
            raise InputError(
                f"subject {entities['subject']}: image {image.path} needs exactly one "
                f"desc-confounds_timeseries.tsv beside it; found {found}"
            )
        t_r = layout.get_metadata(image.path).get("RepetitionTime")
        rows[label] = {
            "func": image.path,
            "confounds": confounds[0].path,
            "t_r": None if t_r is None else float(t_r),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = INPUT_COLUMN
    return table.sort_index()


def fetcher_inputs(bunch):
    """The inputs of a nilearn fetcher's result.

    Parameters
    ----------
    bunch : sklearn.utils.Bunch
        What ``nilearn.datasets.fetch_adhd`` or ``fetch_development_fmri``
        return: ``func`` and ``confounds``, lists of paths in the same order.

    Returns
    -------
    pandas.DataFrame
        Indexed by input label (the subject's: ``sub-<label>`` in the file name, else the
        ADHD-200 ID folder), columns ``func`` and ``confounds``.

    Raises
    ------
    InputError
        If the lists differ in length or a label cannot be found.
    """
    funcs, confounds = list(bunch.func), list(bunch.confounds or [])
    if confounds and len(confounds) != len(funcs):
        raise InputError(
            f"the fetcher returned {len(funcs)} images but {len(confounds)} confounds files"
        )
    rows = {}
    for k, func in enumerate(funcs):
        path = Path(func)
        found = re.search(rf"sub-({LABEL})", path.name)
        label = found.group(1) if found else path.parent.name
        if not SUBJECT_LABEL.match(label) or label in rows:
            raise InputError(f"cannot name the subject of {func} (label {label!r})")
        rows[label] = {
            "func": str(path),
            "confounds": str(confounds[k]) if confounds else None,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = INPUT_COLUMN
    return table


def fetcher_participants(phenotypic, labels):
    """The participants table of a nilearn dataset, from its phenotypic table.

    Parameters
    ----------
    phenotypic : pandas.DataFrame or numpy.recarray
        The fetcher's ``phenotypic``: one row per subject, identified by
        ``participant_id`` (``sub-pixar001``) or ``Subject`` (ADHD-200's
        number, ``10042`` for the folder ``0010042``).
    labels : sequence of str
        The inputs' labels (:func:`fetcher_inputs`).

    Returns
    -------
    pandas.DataFrame
        ``participant_id`` (``sub-<label>``), then the phenotypic columns, one
        row per label (n/a where the table lacks the subject).
    """
    table = pd.DataFrame(phenotypic).reset_index(drop=True)
    # an R export's row numbers ("Unnamed: 0") are not a variable
    table = table.loc[:, ~table.columns.astype(str).str.startswith("Unnamed")]
    column = next((c for c in ("participant_id", "Subject") if c in table.columns), None)
    if column is None:
        return pd.DataFrame({"participant_id": [f"sub-{label}" for label in labels]})

    def key(value):
        return str(value).removeprefix("sub-").lstrip("0")

    rows = {key(value): k for k, value in enumerate(table.pop(column))}
    picked = table.reindex([rows.get(key(label), -1) for label in labels]).reset_index(drop=True)
    picked.insert(0, "participant_id", [f"sub-{label}" for label in labels])
    return picked


def fetch_dataset(name, data_dir, n_subjects):
    """Fetch one of nilearn's datasets (once: nilearn reuses what it finds).

    Parameters
    ----------
    name : {"adhd", "development_fmri"}
        Dataset.
    data_dir : str or pathlib.Path
        Where nilearn stores it.
    n_subjects : int
        Subjects to fetch.

    Returns
    -------
    inputs : pandas.DataFrame
        As :func:`fetcher_inputs`.
    participants : pandas.DataFrame
        As :func:`fetcher_participants`.

    Raises
    ------
    InputError
        If the download fails, saying how to use local files instead.
    """
    from nilearn import datasets

    fetcher = getattr(datasets, FETCHERS[name])
    try:
        bunch = fetcher(n_subjects=n_subjects, data_dir=str(data_dir), verbose=0)
    except OSError as error:  # requests' ConnectionError and HTTPError are OSErrors
        raise InputError(
            f"downloading nilearn's {name!r} dataset ({n_subjects} subjects) into "
            f"{data_dir} failed: {type(error).__name__}: {error}. Is this machine "
            f"offline? Either fetch it once on a machine with internet access "
            f"(nilearn.datasets.{FETCHERS[name]}(n_subjects={n_subjects}, "
            f"data_dir='{data_dir}')) and copy that folder here, or point the "
            "workflow at local files: subjects: path/to/samples.tsv (a sample sheet "
            "with columns subject, func, confounds) or the folder of fMRIPrep "
            "derivatives."
        ) from error
    table = fetcher_inputs(bunch)
    phenotypic = bunch.get("phenotypic", [])
    whole = Path(data_dir, "adhd", "ADHD200_40subs_motion_parameters_and_phenotypics.csv")
    if name == "adhd" and whole.is_file():
        # nilearn 0.13's phenotypic drops the subjects whose IDs start with
        # zeros (nilearn#6190, fixed in 0.14): the table whole, matched here
        phenotypic = pd.read_csv(whole)
    return table, fetcher_participants(phenotypic, list(table.index))


def check_inputs(
    table, confounds_settings, on_grid_mismatch="stop", exclusions=None, header_cache=None
):
    """Check every input from headers and confounds, before any job runs.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by label, with ``func`` and ``confounds`` paths.
    confounds_settings : dict or None
        The config's ``confounds`` section, applied to each input as the
        timeseries job will (see :func:`regions_connectome.denoising.select_confounds`);
        None checks the images only.
    on_grid_mismatch : {"stop", "resample"}, default="stop"
        What to do with an image whose shape or affine differs from the grid
        most inputs share (the reference: the first label, in sorted order,
        on that grid, whatever the order of the table; one partial field of
        view does not become everyone's grid): stop, or mark it to be
        resampled to that grid.
    exclusions : dict or None, default=None
        The config's ``exclusions`` section (:func:`exclusion_reason`):
        subjects that fail a criterion, or whose inputs cannot be used when
        ``unusable`` is ``"exclude"``, are marked instead of stopping the run.
    header_cache : str or pathlib.Path or None, default=None
        A JSON file of the images' grids (:func:`read_grids`), so that a later
        check reads no unchanged header again; None reads every header.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``n_volumes``, ``resample`` (bool), ``grid_reference``
        (bool: the input whose grid is the common grid) and ``excluded`` (why
        the subject is left out, or None) columns added.

    Raises
    ------
    InputError
        Naming the subject and the file: an image that cannot be read or is
        not 4D, a grid that differs (with ``stop``), a confounds file whose
        rows differ from the volumes, a missing column, too few volumes left
        after scrubbing (unless ``exclusions`` says to exclude such inputs).
    """
    exclusions = exclusions or {}
    for label, func in _same_images(table):
        raise InputError(
            f"{input_name(label)} and {input_name(func[0])} name the same image {func[1]}: "
            "each input must be its own scan"
        )
    checked = {}
    # itertuples keeps each column's values (iterrows would turn a missing
    # confounds file into NaN under pandas 3's string columns).
    rows = sorted(zip(table.index, table.itertuples(index=False), strict=True), key=lambda r: r[0])
    images = read_grids({label: row.func for label, row in rows}, header_cache)
    reference = _majority_grid(rows, images)
    for label, row in rows:
        try:
            n_volumes, differs, denoising = _check_input(
                label, row, images[label], reference, confounds_settings, on_grid_mismatch
            )
        except InputError as error:
            if exclusions.get("unusable", "stop") != "exclude":
                raise
            checked[label] = (0, False, unusable_reason(error))
            continue
        reason = exclusion_reason(exclusions, denoising, row.confounds)
        checked[label] = (n_volumes, differs, reason)
    if checked and all(reason for _, _, reason in checked.values()):
        raise InputError(
            "every subject is excluded: "
            + "; ".join(f"{label}: {reason}" for label, (_, _, reason) in checked.items())
        )
    return table.assign(
        n_volumes=[checked[label][0] for label in table.index],
        resample=[checked[label][1] for label in table.index],
        grid_reference=[reference is not None and label == reference[0] for label in table.index],
        excluded=_optional((checked[label][2] for label in table.index), table.index),
    )


class ImageGrid(NamedTuple):
    """What the checks read of an image's header."""

    shape: tuple
    affine: np.ndarray
    zooms: tuple


def read_grids(images, cache=None):
    """Each image's grid from its header, or the error that names it.

    Parameters
    ----------
    images : dict of str to str
        Input label -> its image.
    cache : str or pathlib.Path or None, default=None
        JSON file of the grids read before, by path and file status (size,
        times, inode: :func:`regions_connectome.provenance.file_stamp`): an
        unchanged image's header is not read again (0.6 ms each, 3 s for 5000
        images). Rewritten when it changes; None reads every header.

    Returns
    -------
    dict of str to ImageGrid or InputError
    """
    import nibabel as nib

    from regions_connectome.io import read_json, write_json
    from regions_connectome.provenance import file_stamp

    known = read_json(cache, if_missing={}) if cache else {}
    kept, grids = {}, {}
    for label, func in images.items():
        key = str(Path(func).resolve())
        entry = known.get(key)
        try:
            stamp = file_stamp(func)
            header = None if entry and entry["stamp"] == stamp else nib.load(func).header
        except Exception as error:  # no file, or one of nibabel's kinds of bad header
            grids[label] = InputError(f"{input_name(label)}: cannot read the image {func}: {error}")
            continue
        if header is not None:
            entry = {
                "stamp": stamp,
                "shape": [int(n) for n in header.get_data_shape()],
                "affine": header.get_best_affine().tolist(),
                "zooms": [float(z) for z in header.get_zooms()],
            }
        kept[key] = entry
        grids[label] = ImageGrid(
            tuple(entry["shape"]), np.array(entry["affine"]), tuple(entry["zooms"])
        )
    if cache and kept != known:
        write_json(kept, cache)
    return grids


def _majority_grid(rows, images):
    """(label, path, grid) of the first input, in label order, on the grid most share.

    None if no image can be read (each is then reported by its own check).
    """
    grids = {
        label: (row.func, images[label])
        for label, row in rows
        if not isinstance(images[label], InputError) and len(images[label].shape) == 4
    }
    if not grids:
        return None
    groups = []  # [first label, count], in label order
    for label, (_, img) in grids.items():
        for group in groups:
            if same_grid(img, grids[group[0]][1]):
                group[1] += 1
                break
        else:
            groups.append([label, 1])
    label = max(groups, key=lambda group: group[1])[0]  # the first of the largest
    return (label, *grids[label])


def _same_images(table):
    """(label, (first label, path)) of every input naming an image seen before."""
    seen = {}
    for label, func in zip(table.index, table["func"], strict=True):
        key = Path(func).resolve()
        if key in seen:
            yield seen[key], (label, func)
        seen.setdefault(key, label)


def _check_input(label, row, img, reference, confounds_settings, on_grid_mismatch):
    """One input's checks (see :func:`check_inputs`).

    ``img`` is its grid (:func:`read_grids`).

    Returns
    -------
    n_volumes : int
    differs : bool
        Whether its grid differs from the reference's.
    denoising : regions_connectome.denoising.Denoising or None
        Its confounds as configured (None when they are not checked).
    """
    from regions_connectome.denoising import ConfoundsError, select_confounds

    if isinstance(img, InputError):
        raise img
    shape = img.shape
    if len(shape) != 4 or shape[3] < 2:
        raise InputError(
            f"{input_name(label)}: image {row.func} has shape {shape}: a 4D image "
            "(one 3D volume per time point, at least two) is needed"
        )
    if reference is None:
        reference = (label, row.func, img)
    differs = not same_grid(img, reference[2])
    if differs and on_grid_mismatch == "stop":
        zooms = np.round(img.zooms[:3], 3).tolist()
        raise InputError(
            f"{input_name(label)}: image {row.func} is not on the grid of "
            f"{input_name(reference[0])} ({reference[1]}): shape {shape[:3]} and voxel size "
            f"{zooms} mm, affine\n{np.round(img.affine, 3)}\nvs shape "
            f"{reference[2].shape[:3]}, affine\n{np.round(reference[2].affine, 3)}\n"
            "Set inputs: {grid_mismatch: resample} to resample every image to the "
            f"grid of {input_name(reference[0])}, or give images on one grid"
        )
    denoising = None
    try:
        if confounds_settings is not None:
            denoising = select_confounds(
                row.func, row.confounds, confounds_settings, n_volumes=shape[3], lean=True
            )
    except (ConfoundsError, OSError) as error:
        raise InputError(f"{input_name(label)}: {error}") from error
    return shape[3], bool(differs), denoising


def check_decomposition(n_components, n_volumes):
    """Stop before any job if a subject has fewer volumes than components.

    Each subject's reduction keeps at most one sample per volume; asked for
    more components than that, the decomposition comes out with empty maps.

    Parameters
    ----------
    n_components : int
        ``decomposition.n_components``.
    n_volumes : pandas.Series of int
        Volumes of each input, by label.

    Raises
    ------
    InputError
        Naming the subjects and their volumes.
    """
    short = n_volumes[n_volumes < n_components]
    if len(short):
        listed = ", ".join(f"{input_name(label)} ({n})" for label, n in short.head(5).items())
        raise InputError(
            f"decomposition.n_components is {n_components} but {listed} have "
            "fewer volumes: each subject's reduction keeps at most one sample per volume. "
            "Lower decomposition.n_components or leave those subjects out"
        )


def write_if_changed(table, path):
    """Write a table (no index) unless the file holds it already.

    Written before every run: a file rewritten unchanged would make every job
    that reads it run again.
    """
    from regions_connectome.io import write_tsv

    text = table.to_csv(sep="\t", index=False, float_format="%.9g", na_rep="n/a")
    if not Path(path).is_file() or Path(path).read_text() != text:
        write_tsv(table, path, index=False)


def write_inputs_table(table, path):
    """Save the resolved inputs, for the jobs that parse the workflow again.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`check_inputs` returns it.
    path : str or pathlib.Path
        TSV to write (atomically).
    """
    from regions_connectome.io import write_tsv

    write_tsv(table, path)


def read_inputs_table(path):
    """Read what :func:`write_inputs_table` saved, with its types.

    Parameters
    ----------
    path : str or pathlib.Path
        The saved TSV.

    Returns
    -------
    pandas.DataFrame
        Indexed by label: ``func``, ``confounds`` (None where none), and
        ``t_r`` (float or None), ``n_volumes`` and ``resample`` (bool) where
        saved.
    """
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False).set_index(INPUT_COLUMN)
    table["confounds"] = _optional(
        (None if v in ("", "n/a") else v for v in table["confounds"]), table.index
    )
    if "t_r" in table:
        table["t_r"] = [None if v in ("", "n/a") else float(v) for v in table["t_r"]]
    if "n_volumes" in table:
        table["n_volumes"] = table["n_volumes"].astype(int)
    for flag in ("resample", "grid_reference"):
        if flag in table:
            table[flag] = table[flag] == "True"
    if "excluded" in table:
        table["excluded"] = _optional(
            (None if v in ("", "n/a") else v for v in table["excluded"]), table.index
        )
    return table


def source_kind(subjects):
    """What the config's ``subjects`` names, decided once for every part of the workflow.

    Parameters
    ----------
    subjects : str
        The config's ``subjects``.

    Returns
    -------
    {"demo", "fetcher", "bids", "sheet"}
        The synthetic cohort, one of nilearn's datasets (:data:`FETCHERS`), a
        folder of fMRIPrep derivatives, or a sample sheet.
    """
    if subjects == "demo":
        return "demo"
    if subjects in FETCHERS:
        return "fetcher"
    return "bids" if Path(subjects).is_dir() else "sheet"


def demo_inputs(demo):
    """The synthetic cohort's inputs (files the demo rules write).

    Parameters
    ----------
    demo : dict
        The config's ``demo`` section (``n_subjects``, ``n_volumes``).

    Returns
    -------
    pandas.DataFrame
        Indexed by label: ``func``, ``confounds``, ``n_volumes``.
    """
    labels = demo_subjects(demo["n_subjects"])
    return pd.DataFrame(
        {
            "func": [DEMO_FUNC.format(subject=s) for s in labels],
            "confounds": [DEMO_CONFOUNDS.format(subject=s) for s in labels],
            "n_volumes": demo["n_volumes"],
        },
        index=pd.Index(labels, name=INPUT_COLUMN),
    )


def resolve_inputs(config, main_process=True, folder=".snakemake/regions_connectome"):
    """Input label -> func and confounds paths, from what ``subjects`` names.

    The demo cohort, one of nilearn's datasets (fetched once), a folder of
    fMRIPrep derivatives or a sample sheet. Everything but the demo (whose
    files jobs write) is checked from headers and confounds, before any job.
    The main process saves what it resolved; other processes that parse the
    workflow (cluster jobs) read it back instead of indexing, fetching and
    checking again.

    Parameters
    ----------
    config : dict
        The validated config.
    main_process : bool, default=True
        Whether this is Snakemake's main process.
    folder : str or pathlib.Path, default=".snakemake/regions_connectome"
        Where the resolved inputs are saved, one file per config.

    Returns
    -------
    pandas.DataFrame
        Indexed by label: ``func``, ``confounds`` (None where none),
        ``n_volumes``, and for checked inputs ``resample`` and ``excluded``
        (see :func:`split_exclusions`; and ``t_r`` for BIDS inputs).

    Raises
    ------
    InputError
        Naming the subject and the file (see :func:`check_inputs`), or a
        decomposition that the subjects' volumes cannot give
        (:func:`check_decomposition`).
    """
    import hashlib
    import json

    if main_process and config["regions"]["apply"]:
        check_applied_regions(config["regions"]["apply"], config["regions"]["apply_labels"])
    source = config["subjects"]
    kind = source_kind(source)
    exclusions = config["exclusions"]
    if kind == "demo":
        if asks_exclusions(exclusions):
            raise InputError(
                "exclusions need the inputs before the run, and the demo cohort's files "
                "are written by it: set exclusions only for other inputs"
            )
        if config["confounds"]["strategy"] is not None:
            raise InputError(
                "confounds.strategy needs fMRIPrep confounds; the demo cohort's "
                "files hold motion only: use confounds.columns"
            )
        table = demo_inputs(config["demo"])
    else:
        digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
        saved = Path(folder, f"inputs-{digest.hexdigest()[:16]}.tsv")
        if not main_process and saved.is_file():
            return read_inputs_table(saved)
        if kind == "fetcher":
            fetch = config["fetch"]
            table, participants = fetch_dataset(source, fetch["data_dir"], fetch["n_subjects"])
            if main_process:
                write_if_changed(participants, FETCHED_PARTICIPANTS.format(name=source))
        elif kind == "bids":
            table = bids_inputs(source, **config["bids"])
        else:
            table = read_sample_sheet(source)
        # The main process checks the confounds; a cluster job that cannot read
        # the saved table checks the headers (which say what is resampled), and
        # the confounds too when it must find whom to exclude.
        excluding = asks_exclusions(exclusions)
        confounds = config["confounds"] if main_process or excluding else None
        table = check_inputs(
            table,
            confounds,
            config["inputs"]["grid_mismatch"],
            exclusions,
            Path(folder, "headers.json") if main_process else None,
        )
        if main_process:
            write_inputs_table(table, saved)
    included, _ = split_exclusions(table)
    if not config["regions"]["apply"]:
        check_decomposition(config["decomposition"]["n_components"], included["n_volumes"])
    check_settings_for_inputs(config, included)
    return table


def check_settings_for_inputs(config, included):
    """Stop before any job on settings these inputs cannot run with.

    What would otherwise fail in a job, after the expensive stages: temporal
    filters without a repetition time or with the high-pass above the
    low-pass, DictLearning on a single row of reduced data, and the tangent
    kind with fewer than two subjects.

    Parameters
    ----------
    config : dict
        The validated config.
    included : pandas.DataFrame
        The inputs of the group stages (``t_r`` where their sidecars give it).

    Raises
    ------
    InputError
        Naming the key and what to change.
    """
    t_rs = sorted({float(t) for t in included.get("t_r", []) if t is not None and t == t})
    for section in ("decomposition", "regions"):
        params = config[section]
        low, high = params.get("low_pass"), params.get("high_pass")
        if low is None and high is None:
            continue
        # the timeseries take the sidecars' RepetitionTime; the decomposition does not
        from_sidecars = section == "regions" and len(t_rs) > 0 and "t_r" in included and (
            included["t_r"].notna().all())  # fmt: skip
        if params.get("t_r") is None and not from_sidecars:
            hint = f" (the BIDS sidecars say {t_rs} s)" if t_rs else ""
            raise InputError(
                f"{section}.low_pass/high_pass filter in Hz and need {section}.t_r, the "
                f"repetition time in seconds{hint}: set {section}.t_r"
            )
        if low is not None and high is not None and high >= low:
            raise InputError(
                f"{section}.high_pass ({high} Hz) must be below {section}.low_pass ({low} Hz): "
                "the band kept lies between them"
            )
    decomposition = config["decomposition"]
    learned = not config["regions"].get("apply") and decomposition["method"] == "dictlearning"
    if learned and decomposition["n_components"] * len(included) < 2:
        raise InputError(
            "decomposition.n_components: 1 component of 1 subject leaves one row of reduced "
            "data, from which nilearn's DictLearning cannot learn (its initial loadings fail); "
            "set 2 or more, add subjects, or use decomposition.method: canica"
        )
    if "tangent" in config["connectivity_kinds"] and len(included) < 2:
        raise InputError(
            f"connectivity_kinds: tangent needs at least 2 subjects (the group's geometric "
            f"mean is its reference); {len(included)} left after exclusions. Remove tangent "
            "or add subjects"
        )
    if "tangent" in config["connectivity_kinds"] and config["exclusions"]["unusable"] == "exclude":
        # the tangent job writes every run's matrix, so its files are fixed
        # before any job, while the runs' checks decide who is in the group
        raise InputError(
            "connectivity_kinds: tangent cannot be computed with exclusions.unusable: exclude "
            "(the runs its job writes must be known before the runs' checks). Remove tangent, "
            "or set unusable: stop and leave unusable inputs out of the sample sheet"
        )


def check_applied_regions(path, names_path=None):
    """Stop before any job if the regions image to apply, or its names, cannot be used.

    Parameters
    ----------
    path : str
        ``regions.apply``: 4D region maps or a 3D image of integer labels.
    names_path : str or None, default=None
        ``regions.apply_labels`` (see
        :func:`regions_connectome.regions.read_region_names`).

    Raises
    ------
    InputError
        Naming the file and the problem: missing, unreadable, neither maps
        nor labels, no region; names that cannot be read or that name two
        regions alike.
    """
    from regions_connectome.regions import load_regions_image, region_indices, region_names

    for option, file in (("regions.apply", path), ("regions.apply_labels", names_path)):
        if file is not None and not Path(file).is_file():
            raise InputError(f"{option}: no such file {file}")
    try:
        img = load_regions_image(path)
    except Exception as error:  # nibabel raises several kinds on a bad header
        raise InputError(f"regions.apply: cannot read the image {path}: {error}") from error
    try:
        indices = region_indices(img, path)
        names = region_names(names_path, indices, img.ndim == 4)
    except (ValueError, OSError) as error:
        raise InputError(f"regions.apply: {error}") from error
    used = [names[i] for i in indices if i in names]
    twice = sorted({name for name in used if used.count(name) > 1})
    if twice:
        raise InputError(
            f"regions.apply_labels: {names_path} gives several regions the name(s) "
            f"{twice}: each region needs its own name"
        )


def ledger(table, grid_reference=None):
    """What became of every input the sources hold, one record each.

    Parameters
    ----------
    table : pandas.DataFrame
        The resolved inputs, included and excluded (:func:`resolve_inputs`).
    grid_reference : str or None, default=None
        The input whose grid is the common grid.

    Returns
    -------
    list of dict
        Per input, in label order: ``input`` (its label), ``participant``,
        ``func``, ``confounds`` (None if none), ``n_volumes``, ``status``
        (``included`` or ``excluded``), ``reason`` (why excluded, else None)
        and ``grid`` (``reference``, ``resampled to <label>``, or None).
    """
    from regions_connectome.derivatives import participant_of

    records = []
    for label in sorted(table.index):
        row = table.loc[label]
        reason = row.get("excluded") if "excluded" in table else None
        reason = reason if isinstance(reason, str) else None
        grid = None
        if "resample" in table and label == grid_reference:
            grid = "reference"
        elif "resample" in table and bool(row["resample"]):
            grid = f"resampled to {grid_reference}"
        records.append(
            {
                INPUT_COLUMN: label,
                "participant": participant_of(label),
                "func": str(row["func"]),
                "confounds": row["confounds"] if isinstance(row["confounds"], str) else None,
                "n_volumes": int(row["n_volumes"]) if "n_volumes" in table else None,
                "status": "excluded" if reason else "included",
                "reason": reason,
                "grid": grid,
            }
        )
    return records


def ledger_summary(records):
    """One line for the log: runs, participants, exclusions, resampling.

    Parameters
    ----------
    records : list of dict
        From :func:`ledger`.

    Returns
    -------
    str
    """
    included = [r for r in records if r["status"] == "included"]
    participants = {r["participant"] for r in included}
    text = f"inputs: {len(included)} run(s) of {len(participants)} participant(s)"
    excluded = [r[INPUT_COLUMN] for r in records if r["status"] == "excluded"]
    if excluded:
        text += f"; {len(excluded)} excluded ({', '.join(excluded)})"
    resampled = [r[INPUT_COLUMN] for r in records if (r["grid"] or "").startswith("resampled")]
    if resampled:
        text += f"; {len(resampled)} resampled to the common grid ({', '.join(resampled)})"
    return text + " (results/group/inputs.tsv)"
