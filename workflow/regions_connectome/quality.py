"""Quality measures: head motion from confounds, subjects around the group."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
        confounds hold no known set of motion columns.
    """
    for translations, rotations, unit in MOTION_CONVENTIONS.values():
        if set(translations + rotations) <= set(confounds.columns):
            angles = confounds[list(rotations)].to_numpy(dtype=float)
            if unit == "degrees":
                angles = np.deg2rad(angles)
            motion = np.column_stack(
                [confounds[list(translations)].to_numpy(dtype=float), angles * HEAD_RADIUS_MM]
            )
            steps = np.abs(np.diff(motion, axis=0)).sum(axis=1)
            return pd.Series(np.concatenate([[0.0], steps]), name="framewise_displacement")
    return None


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
