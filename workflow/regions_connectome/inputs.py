"""The cohort: which subjects, which images and which confounds.

Everything here runs when Snakemake parses the workflow, before any job, so a
bad sample sheet stops the run at once with a message naming the subject and
the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

REQUIRED_COLUMNS = ("subject", "func", "confounds")
SUBJECT_LABEL = re.compile(r"^[A-Za-z0-9]+$")


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
        Indexed by subject label, with absolute ``func`` and ``confounds``
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
    sheet["confounds"] = [_resolve(v, folder) for v in sheet["confounds"]]
    for row in sheet.itertuples():
        if row.func is None:
            raise InputError(f"sample sheet {path}: subject {row.subject} has no func file")
        for column in ("func", "confounds"):
            file = getattr(row, column)
            if file is not None and not Path(file).is_file():
                raise InputError(
                    f"subject {row.subject}: {column} file {file} does not exist (listed in {path})"
                )
    return sheet.set_index("subject")[["func", "confounds"]]
