"""Which confounds are regressed out of a subject's signals, and which volumes kept.

Two routes, chosen by the ``confounds`` section of the config:

- ``strategy: null`` (the seed): the listed ``columns`` of the subject's
  confounds file, whatever its format (the ADHD-200 files are tab-separated
  despite their ``.csv`` ending), or all of them;
- ``strategy: simple | scrubbing | compcor``: nilearn's
  :func:`~nilearn.interfaces.fmriprep.load_confounds_strategy` preset on
  fMRIPrep outputs, with ``options``; ``strategy: custom``: nilearn's
  :func:`~nilearn.interfaces.fmriprep.load_confounds` with ``options``. Both
  may return a ``sample_mask`` (volumes kept after scrubbing), passed on to the
  timeseries extraction.

The same function serves the check before any job runs and the job itself, so
what is checked is what is used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class ConfoundsError(ValueError):
    """Confounds that cannot be used as configured."""


@dataclass
class Denoising:
    """What is regressed out of one subject's signals and which volumes are kept.

    Attributes
    ----------
    confounds : pandas.DataFrame, numpy.ndarray or None
        One row per volume of the image (all volumes, also scrubbed ones);
        an array when read without pandas (``select_confounds(lean=True)``).
    sample_mask : numpy.ndarray or None
        Indices of the volumes kept, or None for all.
    n_volumes : int
        Volumes in the confounds file.
    record : dict
        How the confounds were chosen, for the timeseries sidecar.
    columns : list of str
        Names of the confound columns.
    """

    confounds: pd.DataFrame | np.ndarray | None
    sample_mask: np.ndarray | None
    n_volumes: int
    record: dict = field(default_factory=dict)
    columns: list = field(default_factory=list)

    @property
    def values(self):
        """The confounds as a float array, or None."""
        return None if self.confounds is None else np.asarray(self.confounds, dtype=float)

    @property
    def n_kept(self):
        """Volumes left for the timeseries."""
        return self.n_volumes if self.sample_mask is None else len(self.sample_mask)

    @property
    def n_regressors(self):
        """Confound columns regressed out."""
        return 0 if self.confounds is None else self.confounds.shape[1]


# What a confounds file may write for a missing value (fMRIPrep writes n/a).
MISSING = ("n/a", "NA", "NaN")


def _separator(header):
    """Tab if the header row has one, else comma."""
    return "\t" if "\t" in header else ","


def read_confounds_array(path, columns="all", only_present=False):
    """The numbers :func:`read_confounds` reads, without pandas.

    What the per-subject jobs and the check before any job read: the same
    values as :func:`read_confounds` (a test compares them on the real
    ADHD-200 files), leading gaps filled the same way, and a clear error for
    anything that is not a table of finite numbers with a header row.

    Parameters
    ----------
    path : str or pathlib.Path
        Tab- or comma-separated file with a header row.
    columns : "all" or list of str, default="all"
        Columns to keep, in this order.
    only_present : bool, default=False
        Keep those of ``columns`` the file has instead of stopping on the
        others (only the columns kept are checked).

    Returns
    -------
    names : list of str
        The columns kept.
    values : numpy.ndarray of float64, shape (n_volumes, n_columns)

    Raises
    ------
    ConfoundsError
        Naming the file: empty, not text, no rows, a missing column, a cell
        that is not a number, an infinite value, a gap other than in the
        leading rows, a column without any value.
    """
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as handle:
            header = handle.readline()
            handle.seek(0)
            rows = list(csv.reader(handle, delimiter=_separator(header)))
    except UnicodeDecodeError as error:
        raise ConfoundsError(
            f"confounds file {path} is not UTF-8 text ({error.reason} at byte "
            f"{error.start}): is it compressed or in another encoding?"
        ) from error
    if not rows:
        raise ConfoundsError(f"confounds file {path} is empty")
    header, rows = [name.strip() for name in rows[0]], [row for row in rows[1:] if row]
    if not rows:
        raise ConfoundsError(f"confounds file {path} has a header row but no values")
    names = header if columns == "all" else list(columns)
    if only_present:
        names = [c for c in names if c in header]
    missing = [c for c in names if c not in header]
    if missing:
        raise ConfoundsError(f"confounds file {path} has no column(s) {missing}; it has {header}")
    where = [header.index(c) for c in names]
    values = np.empty((len(rows), len(names)))
    for i, row in enumerate(rows):
        for j, k in enumerate(where):
            cell = row[k].strip() if k < len(row) else ""
            try:
                values[i, j] = np.nan if cell in MISSING or not cell else float(cell)
            except ValueError as error:
                raise ConfoundsError(
                    f"confounds file {path}: column {names[j]!r} is not numeric "
                    f"(row {i + 1}: {cell!r})"
                ) from error
    infinite = np.isinf(values)
    if infinite.any():
        column = int(np.flatnonzero(infinite.any(axis=0))[0])
        raise ConfoundsError(
            f"confounds file {path}: column {names[column]!r} has infinite values "
            f"(rows {np.flatnonzero(infinite[:, column])[:5].tolist()})"
        )
    gaps = np.isnan(values)
    leading = np.logical_and.accumulate(gaps, axis=0)
    inner = gaps & ~leading
    if inner.any():
        column = int(np.flatnonzero(inner.any(axis=0))[0])
        raise ConfoundsError(
            f"confounds file {path}: column {names[column]!r} has missing values in rows "
            f"{np.flatnonzero(inner[:, column])[:5].tolist()} (only the first rows of "
            "derivative columns may be n/a)"
        )
    empty = [name for name, all_gaps in zip(names, gaps.all(axis=0), strict=True) if all_gaps]
    if empty:
        raise ConfoundsError(f"confounds file {path}: column(s) {empty} hold no value")
    for j in np.flatnonzero(leading.any(axis=0)):
        first = np.argmin(leading[:, j])
        values[:first, j] = values[first, j]
    return names, values


def read_confounds(path, columns="all"):
    """Read a confounds table, whatever its separator.

    fMRIPrep writes ``n/a`` in the first row(s) of derivative columns
    (``framewise_displacement``, ``*_derivative1``): such leading gaps take the
    first value that follows, as nilearn's ``load_confounds`` does. A gap
    anywhere else is an error.

    Parameters
    ----------
    path : str or pathlib.Path
        Tab- or comma-separated file with a header row (ADHD-200 files are
        tab-separated despite their ``.csv`` ending; fMRIPrep files are TSV).
    columns : "all" or list of str, default="all"
        Columns to keep.

    Returns
    -------
    pandas.DataFrame
        One row per volume.

    Raises
    ------
    ConfoundsError
        If a requested column is missing (naming the file and the columns it
        has), a value is missing other than in leading rows, or a column is
        not numeric.
    """
    import pandas as pd

    with open(path) as handle:
        header = handle.readline()
    frame = pd.read_csv(path, sep=_separator(header), na_values=list(MISSING))
    if columns != "all":
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ConfoundsError(
                f"confounds file {path} has no column(s) {missing}; it has {list(frame.columns)}"
            )
        frame = frame[list(columns)]
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise ConfoundsError(f"confounds file {path}: column(s) {text} are not numeric")
    leading = frame.isna() & frame.isna().cummin()
    inner = frame.isna() & ~leading
    if inner.any().any():
        column = inner.any().idxmax()
        rows = np.flatnonzero(inner[column])[:5].tolist()
        raise ConfoundsError(
            f"confounds file {path}: column {column!r} has missing values in rows {rows} "
            "(only the first rows of derivative columns may be n/a)"
        )
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise ConfoundsError(f"confounds file {path}: column(s) {empty} hold no value")
    return frame.bfill()


def select_confounds(func, confounds_path, settings, n_volumes=None, lean=False):
    """Choose the confounds and volumes of one subject, as configured.

    Parameters
    ----------
    func : str or pathlib.Path
        The subject's image (fMRIPrep strategies find its confounds file from
        its name, as nilearn does).
    confounds_path : str, pathlib.Path or None
        The subject's confounds file as the inputs name it.
    settings : dict
        The config's ``confounds`` section: ``columns``, ``strategy``,
        ``options``.
    n_volumes : int or None, default=None
        Volumes of the image, checked against the confounds' rows if given.
    lean : bool, default=False
        Read listed columns (``strategy: null``) with
        :func:`read_confounds_array`, without pandas, as the per-subject jobs
        do; the confounds are then an array.

    Returns
    -------
    Denoising

    Raises
    ------
    ConfoundsError
        If the confounds cannot be read as configured, do not match the image
        or leave too few volumes; the message names the file.
    """
    strategy = settings.get("strategy")
    options = dict(settings.get("options") or {})
    if strategy is None:
        if confounds_path is None:
            return Denoising(None, None, n_volumes or 0, {"strategy": None, "columns": []})
        columns = settings.get("columns", "all")
        if lean:
            names, values = read_confounds_array(confounds_path, columns)
        else:
            values = read_confounds(confounds_path, columns)
            names = list(values.columns)
        denoising = Denoising(
            values,
            None,
            len(values),
            {"strategy": None, "confounds_file": str(confounds_path)},
            names,
        )
    else:
        denoising = _fmriprep_confounds(func, confounds_path, strategy, options)
    if n_volumes is not None and denoising.n_volumes != n_volumes:
        raise ConfoundsError(
            f"confounds file {confounds_path} has {denoising.n_volumes} rows but the "
            f"image {func} has {n_volumes} volumes: one row per volume is needed"
        )
    minimum = int(settings.get("min_degrees_of_freedom", 10))
    if denoising.n_kept - denoising.n_regressors < minimum:
        scrubbed = denoising.n_kept < denoising.n_volumes
        remedy = (
            "relax the scrubbing thresholds, use fewer confounds or leave the subject out"
            if scrubbed
            else "the scan is too short for these confounds: use fewer confounds columns "
            "or leave the subject out"
        )
        raise ConfoundsError(
            f"confounds of {func}: {denoising.n_kept} volume(s) kept "
            f"(of {denoising.n_volumes}) for {denoising.n_regressors} regressors leaves "
            f"fewer than {minimum} degrees of freedom (confounds.min_degrees_of_freedom); "
            f"{remedy}"
        )
    denoising.record |= {
        "columns": denoising.columns,
        "n_volumes": denoising.n_volumes,
        "n_volumes_kept": denoising.n_kept,
        "volumes_removed": (
            []
            if denoising.sample_mask is None
            else sorted(set(range(denoising.n_volumes)) - set(denoising.sample_mask.tolist()))
        ),
    }
    return denoising


def _fmriprep_confounds(func, confounds_path, strategy, options):
    """Confounds by nilearn's fMRIPrep interface (preset or custom)."""
    from nilearn.interfaces.fmriprep import load_confounds, load_confounds_strategy
    from nilearn.interfaces.fmriprep.load_confounds_utils import get_confounds_file

    func = str(func)
    try:
        found = get_confounds_file(func, flag_full_aroma=False, flag_tedana=False)
        if confounds_path is not None and Path(found).resolve() != Path(confounds_path).resolve():
            raise ConfoundsError(
                f"nilearn finds the confounds of {func} in {found}, not in the file "
                f"the inputs name ({confounds_path})"
            )
        with warnings.catch_warnings():
            # scikit-learn's note on centering squared confounds (large values)
            warnings.filterwarnings("ignore", "Numerical issues were encountered")
            if strategy == "custom":
                frame, sample_mask = load_confounds(func, **options)
            else:
                frame, sample_mask = load_confounds_strategy(
                    func, denoise_strategy=strategy, **options
                )
    except ConfoundsError:
        raise
    except (ValueError, KeyError, TypeError, FileNotFoundError) as error:
        raise ConfoundsError(
            f"confounds strategy {strategy!r} with options {options} on {func}: {error} "
            "(fMRIPrep strategies need the image's fMRIPrep name, e.g. "
            "sub-01_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz, "
            "with its desc-confounds_timeseries.tsv and .json beside it)"
        ) from error
    n_volumes = len(frame)
    if frame.shape[1] == 0:
        frame = None
    sample_mask = None if sample_mask is None else np.asarray(sample_mask, dtype=int)
    record = {
        "strategy": strategy,
        "options": options,
        "confounds_file": str(found),
        "nilearn_function": "load_confounds" if strategy == "custom" else "load_confounds_strategy",
    }
    columns = [] if frame is None else list(frame.columns)
    return Denoising(frame, sample_mask, n_volumes, record, columns)
