"""Quality measures: head motion from confounds, subjects around the group, QC-FC.

numpy and SciPy only at import (the per-subject jobs use :func:`run_qc`).
"""

from __future__ import annotations

import numpy as np

# Motion columns by naming convention: (translations in mm, rotations, unit).
MOTION_CONVENTIONS = {
    "fmriprep": (("trans_x", "trans_y", "trans_z"), ("rot_x", "rot_y", "rot_z"), "radians"),
    "adhd200": (
        ("motion-x", "motion-y", "motion-z"),
        ("motion-pitch", "motion-roll", "motion-yaw"),
        "degrees",
    ),
}
HEAD_RADIUS_MM = 50.0
# fMRIPrep's DVARS columns: raw, and standardized (1 where the data are noise only).
DVARS_COLUMNS = ("dvars", "std_dvars")
# The confounds columns the QC reads (the others, used or not by the
# denoising, are not its business: a gap there must not stop the QC).
QC_SOURCE_COLUMNS = (
    tuple(column for motion in MOTION_CONVENTIONS.values() for column in motion[0] + motion[1])
    + DVARS_COLUMNS
)
# The columns of a run's QC row, in order.
QC_COLUMNS = ("n_volumes", "n_volumes_kept", "mean_fd", "max_fd", "mean_dvars", "mean_std_dvars")


def framewise_displacement_array(values, columns):
    """Power et al. (2012) framewise displacement from six motion columns.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_volumes, n_columns)
        Confounds of one run.
    columns : sequence of str
        Their names; the motion columns of one of :data:`MOTION_CONVENTIONS`
        (fMRIPrep's ``trans_*``/``rot_*`` in mm and radians, or ADHD-200's
        ``motion-*`` in mm and degrees).

    Returns
    -------
    numpy.ndarray, shape (n_volumes,), or None
        FD in mm (0 for the first volume), or None if the confounds hold no
        known set of motion columns.
    """
    columns = list(columns)
    for translations, rotations, unit in MOTION_CONVENTIONS.values():
        if set(translations + rotations) <= set(columns):
            values = np.asarray(values, dtype=float)
            shifts = values[:, [columns.index(c) for c in translations]]
            angles = values[:, [columns.index(c) for c in rotations]]
            if unit == "degrees":
                angles = np.deg2rad(angles)
            motion = np.column_stack([shifts, angles * HEAD_RADIUS_MM])
            return np.concatenate([[0.0], np.abs(np.diff(motion, axis=0)).sum(axis=1)])
    return None


def run_qc(confounds, n_volumes, n_volumes_kept):
    """One run's QC row: volumes, volumes kept, framewise displacement, DVARS.

    Parameters
    ----------
    confounds : str, pathlib.Path or None
        The run's confounds file (its :data:`QC_SOURCE_COLUMNS` are read), or None.
    n_volumes, n_volumes_kept : int
        Volumes of the image, and kept after scrubbing.

    Returns
    -------
    dict
        :data:`QC_COLUMNS`: FD (mm, :func:`framewise_displacement_array`) mean
        over every volume and maximum; DVARS means over the volumes fMRIPrep
        gives it for (all but the first). None where the confounds lack the
        columns.
    """
    row = dict.fromkeys(QC_COLUMNS)
    row |= {"n_volumes": int(n_volumes), "n_volumes_kept": int(n_volumes_kept)}
    if confounds is None:
        return row
    from regions_connectome.denoising import read_confounds_array

    columns, values = read_confounds_array(confounds, QC_SOURCE_COLUMNS, only_present=True)
    fd = framewise_displacement_array(values, columns)
    if fd is not None:
        row |= {"mean_fd": float(fd.mean()), "max_fd": float(fd.max())}
    for name in DVARS_COLUMNS:
        if name in columns:
            row[f"mean_{name}"] = float(np.mean(values[1:, columns.index(name)]))
    return row


def qc_confounds(path):
    """The columns of a confounds file that the QC reads, as a table.

    Parameters
    ----------
    path : str or pathlib.Path
        The run's confounds file.

    Returns
    -------
    pandas.DataFrame
        Its :data:`QC_SOURCE_COLUMNS` (those it has).
    """
    import pandas as pd

    from regions_connectome.denoising import read_confounds_array

    columns, values = read_confounds_array(path, QC_SOURCE_COLUMNS, only_present=True)
    return pd.DataFrame(values, columns=columns)


def framewise_displacement(confounds):
    """Power et al. (2012) framewise displacement from six motion columns.

    Parameters
    ----------
    confounds : pandas.DataFrame
        Confounds of one subject, with the motion columns of one of
        :data:`MOTION_CONVENTIONS` (fMRIPrep's ``trans_*``/``rot_*`` in mm and
        radians, or ADHD-200's ``motion-*`` in mm and degrees).

    Returns
    -------
    pandas.Series or None
        FD in mm, one value per volume (0 for the first), or ``None`` if the
        confounds hold no known set of motion columns
        (:func:`framewise_displacement_array`).
    """
    import pandas as pd

    fd = framewise_displacement_array(confounds.to_numpy(dtype=float), confounds.columns)
    return None if fd is None else pd.Series(fd, name="framewise_displacement")


def off_diagonal(matrix):
    """The values above the diagonal of a square matrix.

    Parameters
    ----------
    matrix : array-like, shape (n, n)
        The matrix.

    Returns
    -------
    numpy.ndarray, shape (n * (n - 1) / 2,)
    """
    values = np.asarray(matrix, dtype=float)
    return values[np.triu_indices(len(values), k=1)]


def distance_to_group(matrices, group):
    """How far each subject's matrix lies from the group matrix.

    Parameters
    ----------
    matrices : sequence of array-like, shape (n, n)
        Subjects' matrices.
    group : array-like, shape (n, n)
        The group matrix.

    Returns
    -------
    numpy.ndarray, shape (n_subjects,)
        Root-mean-square difference of the off-diagonal values a subject has
        (pairs of regions without signal, NaN, are left out).
    """
    reference = off_diagonal(group)
    return np.array([np.sqrt(np.nanmean((off_diagonal(m) - reference) ** 2)) for m in matrices])


def qc_fc(matrices, mean_fd, coords, alpha=0.05):
    """QC-FC and its distance dependence (Power 2012; Ciric 2017; Parkes 2018).

    For each edge (pair of regions), the Pearson correlation across subjects
    between the edge's connectivity and the subjects' mean framewise
    displacement; its two-sided p value; the distance between the regions'
    centres. A subject lacking an edge (NaN, a region below the coverage
    asked for) is left out of that edge.

    Parameters
    ----------
    matrices : sequence of array-like, shape (n_regions, n_regions)
        One connectivity matrix per subject.
    mean_fd : array-like, shape (n_subjects,)
        The subjects' mean framewise displacement.
    coords : array-like, shape (n_regions, 3)
        Region centres (mm).
    alpha : float, default=0.05
        Significance level.

    Returns
    -------
    edges : dict of numpy.ndarray
        ``region_a``, ``region_b`` (indices, ``a < b``), ``qcfc`` (r),
        ``p``, ``n_subjects``, ``distance`` (mm), one value per edge.
    summary : dict
        ``NumberOfUnits``, ``NumberOfEdges``, ``Alpha``, ``PercentSignificant``
        (p < alpha), ``PercentSignificantFDR`` (Benjamini-Hochberg),
        ``MedianAbsQCFC``, ``DistanceDependence`` (Spearman's rho between
        QC-FC and distance) and its p value ``DistanceDependenceP``: the keys
        of ``qcfc.json``. NaN where fewer than three subjects have an edge.
    """
    from scipy import stats

    fd = np.asarray(mean_fd, dtype=float)
    stacked = np.stack([np.asarray(m, dtype=float) for m in matrices])
    rows, columns = np.triu_indices(stacked.shape[1], k=1)
    values = stacked[:, rows, columns]
    valid = np.isfinite(values) & np.isfinite(fd)[:, None]
    n = valid.sum(axis=0)
    x = np.where(valid, values, 0.0)
    y = np.where(valid, fd[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(valid, x - x.sum(axis=0) / n, 0.0)
        y = np.where(valid, y - y.sum(axis=0) / n, 0.0)
        r = (x * y).sum(axis=0) / np.sqrt((x**2).sum(axis=0) * (y**2).sum(axis=0))
        r = np.where(n >= 3, np.clip(r, -1.0, 1.0), np.nan)
        t = r * np.sqrt((n - 2) / (1.0 - r**2))
    p = 2.0 * stats.t.sf(np.abs(t), np.maximum(n - 2, 1))
    p = np.where(np.isfinite(r), p, np.nan)
    centres = np.asarray(coords, dtype=float)
    distance = np.linalg.norm(centres[rows] - centres[columns], axis=1)
    tested = np.isfinite(p)
    summary = {
        "NumberOfUnits": int(len(fd)),
        "NumberOfEdges": int(len(r)),
        "Alpha": alpha,
        "PercentSignificant": float("nan"),
        "PercentSignificantFDR": float("nan"),
        "MedianAbsQCFC": float("nan"),
        "DistanceDependence": float("nan"),
        "DistanceDependenceP": float("nan"),
    }
    if tested.any():
        summary |= {
            "PercentSignificant": float(100 * np.mean(p[tested] < alpha)),
            "PercentSignificantFDR": float(
                100 * np.mean(stats.false_discovery_control(p[tested]) < alpha)
            ),
            "MedianAbsQCFC": float(np.median(np.abs(r[tested]))),
        }
        near = tested & np.isfinite(distance)
        if near.sum() >= 3:
            rho, rho_p = stats.spearmanr(r[near], distance[near])
            summary |= {"DistanceDependence": float(rho), "DistanceDependenceP": float(rho_p)}
    edges = {"region_a": rows, "region_b": columns, "qcfc": r, "p": p, "n_subjects": n,
             "distance": distance}  # fmt: skip
    return edges, summary


def qcfc_table(matrices, qc, regions, unit="run"):
    """QC-FC of labelled matrices (:func:`qc_fc`), with its table of edges.

    Parameters
    ----------
    matrices : dict of str to pandas.DataFrame
        Each subject's correlation matrix, by input label.
    qc : pandas.DataFrame
        The group QC table, indexed by input label, with ``mean_fd``.
    regions : pandas.DataFrame
        The regions table: ``label`` and centres ``x``, ``y``, ``z``.
    unit : {"run", "participant"}, default="run"
        With ``"participant"``, each participant's runs are averaged first
        (matrices and mean FD), so that a participant counts once.

    Returns
    -------
    edges : dict of numpy.ndarray
    summary : dict
        As :func:`qc_fc` returns them (``NumberOfUnits`` counts the units).
    table : pandas.DataFrame
        One row per edge: ``region_a``, ``region_b`` (labels), ``distance``,
        ``qcfc``, ``p``, ``n_subjects``.
    """
    import pandas as pd

    from regions_connectome.connectivity import combine_runs

    subjects = list(matrices)
    labels = list(next(iter(matrices.values())).columns)
    centres = regions.set_index("label").loc[labels, ["x", "y", "z"]]
    units, _ = combine_runs([matrices[s].loc[labels, labels] for s in subjects], subjects, unit)
    fd, _ = combine_runs(qc.loc[subjects, "mean_fd"].to_numpy(dtype=float), subjects, unit)
    edges, summary = qc_fc(units, np.asarray(fd), centres.to_numpy(dtype=float))
    names = np.asarray(labels)
    table = pd.DataFrame(
        {
            "region_a": names[edges["region_a"]],
            "region_b": names[edges["region_b"]],
            "distance": edges["distance"],
            "qcfc": edges["qcfc"],
            "p": edges["p"],
            "n_subjects": edges["n_subjects"],
        }
    )
    return edges, summary, table
