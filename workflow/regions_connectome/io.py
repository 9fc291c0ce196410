"""Atomic writers and readers for the files the workflow passes between rules.

Every writer goes through :func:`atomic_output`: the data are written to a
temporary name in the destination folder and renamed to the final name only
once complete, so an interrupted job never leaves a half-written file under the
name Snakemake (or a user) would trust.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def atomic_output(path, suffix=None):
    """Yield a temporary path that is renamed to ``path`` on success.

    Parameters
    ----------
    path : str or pathlib.Path
        Final destination. Its folder is created if needed.
    suffix : str or None, default=None
        Suffix of the temporary file; defaults to the full suffix of ``path``
        (``.nii.gz`` stays ``.nii.gz``) so that libraries choosing a format by
        extension behave the same.

    Yields
    ------
    pathlib.Path
        Where to write. It is removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix is None:
        suffix = "".join(path.suffixes)
    # Leftovers of a job killed before its rename (SIGKILL, node failure):
    # Snakemake's lock guarantees that no other job writes this output now.
    for stale in path.parent.glob(f".{path.name}.*.tmp{suffix}"):
        stale.unlink(missing_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent
    )
    os.close(fd)
    # mkstemp creates the file 0600: give it what the user's umask gives any
    # new file, so that colleagues sharing the project folder can read it.
    os.chmod(tmp_name, 0o666 & ~_umask())
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        raise OSError(
            errno.ENOSPC,
            f"could not write {path}: no space left on the device "
            f"({shutil.disk_usage(path.parent).free} bytes free); nothing partial was kept",
        ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask():
    """The process's umask (reading it means setting it, then restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_nifti(img, path):
    """Write a NIfTI image atomically.

    Parameters
    ----------
    img : nibabel.nifti1.Nifti1Image
        Image to save.
    path : str or pathlib.Path
        Destination, ``.nii`` or ``.nii.gz``.

    Notes
    -----
    The file is stored in the dtype of the data in memory. nilearn's
    ``inverse_transform`` copies the mask's header, so a float image made with
    a uint8 mask would otherwise be scaled into uint8 on save.
    """
    import nibabel as nib

    data = np.asanyarray(img.dataobj)
    out = nib.Nifti1Image(data, img.affine, img.header)
    out.set_data_dtype(data.dtype)
    out.header.set_slope_inter(None, None)
    with atomic_output(path) as tmp:
        out.to_filename(tmp)


def write_tsv(frame, path, index=True):
    """Write a data frame as a tab-separated file atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to save; floats are written with full precision (``%.9g``).
    path : str or pathlib.Path
        Destination.
    index : bool, default=True
        Whether to write the row labels as the first column.
    """
    with atomic_output(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=index, float_format="%.9g", na_rep="n/a")


def write_array_tsv(array, path, columns, index, index_name):
    """Write a 2D array as :func:`write_tsv` writes its frame, without pandas.

    Parameters
    ----------
    array : array-like, shape (n_rows, n_columns)
        Numbers; NaN and None are written ``n/a``.
    path : str or pathlib.Path
        Destination.
    columns : sequence of str
        Column names.
    index : sequence
        Row labels, written as the first column.
    index_name : str
        Header of the first column.
    """
    lines = ["\t".join([index_name, *columns])]
    for label, row in zip(index, np.asarray(array, dtype=float).tolist(), strict=True):
        cells = ("n/a" if value != value else f"{value:.9g}" for value in row)
        lines.append("\t".join([str(label), *cells]))
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def concat_tsv(paths, path):
    """Write the rows of tab-separated tables with one header as one table, without pandas.

    Parameters
    ----------
    paths : sequence of str or pathlib.Path
        Tables with the same header row.
    path : str or pathlib.Path
        Destination.

    Raises
    ------
    ValueError
        If a table's header differs from the first one's, naming it.
    """
    header, rows = None, []
    for source in paths:
        first, *lines = Path(source).read_text().splitlines()
        if header is not None and first != header:
            raise ValueError(f"{source}: its header differs from that of {paths[0]}")
        header = first
        rows.extend(line for line in lines if line)
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join([header, *rows]) + "\n")


def read_tsv_column(path, column):
    """One column of a tab-separated table, as strings, without pandas.

    Parameters
    ----------
    path : str or pathlib.Path
        File with a header row.
    column : str
        Column name.

    Returns
    -------
    list of str
    """
    import csv

    with open(path, newline="") as handle:
        return [row[column] for row in csv.DictReader(handle, delimiter="\t")]


def read_tsv(path, index_col=0, labels=None):
    """Read a tab-separated table written by :func:`write_tsv`.

    Parameters
    ----------
    path : str or pathlib.Path
        File to read.
    index_col : int or None, default=0
        Column holding row labels, ``None`` for none.
    labels : str or None, default=None
        A column of labels read as text (subject ``01`` stays ``01``).

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    dtype = None if labels is None else {labels: str}
    return pd.read_csv(path, sep="\t", index_col=index_col, na_values="n/a", dtype=dtype)


def write_array(array, path):
    """Write a numpy array (``.npy``) atomically.

    Parameters
    ----------
    array : numpy.ndarray
        Array to save, dtype kept.
    path : str or pathlib.Path
        Destination ending in ``.npy``.
    """
    with atomic_output(path, suffix=".npy") as tmp:
        np.save(tmp, array, allow_pickle=False)


def write_arrays(path, **arrays):
    """Write named numpy arrays to one uncompressed ``.npz`` file, atomically.

    Parameters
    ----------
    path : str or pathlib.Path
        Destination ending in ``.npz``.
    **arrays : numpy.ndarray
        Arrays to save by name, dtypes kept.
    """
    import zipfile

    # as numpy.savez, with a fixed timestamp so that equal arrays give equal files
    with atomic_output(path, suffix=".npz") as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def write_json(data, path):
    """Write a JSON document atomically, keys sorted, indented.

    Parameters
    ----------
    data : dict
        JSON-serialisable content.
    path : str or pathlib.Path
        Destination.
    """
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path, if_missing=None):
    """Read a JSON document (a sidecar, a summary, a cache) written by :func:`write_json`.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    if_missing : dict or None, default=None
        What a file that does not exist yet reads as (a cache's first run);
        None: the file must exist.

    Returns
    -------
    dict
    """
    path = Path(path)
    if if_missing is not None and not path.is_file():
        return if_missing
    return json.loads(path.read_text())
