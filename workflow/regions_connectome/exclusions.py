"""Which subjects the group stages leave out, and why (the config's ``exclusions``).

A subject is excluded instead of stopping the run when the config asks for it:
too few volumes kept after scrubbing, too much motion, or files that cannot be
used. The inputs keep every subject with an ``excluded`` reason (None for the
included), so that the ledger, the provenance and ``exclusions.tsv`` account
for each. What only the image's data can show (damaged data, an empty EPI
mask) is found by each run's check job (:func:`unusable_data`) and added to
``exclusions.tsv`` (:func:`checked_exclusions`), from which the group stages
take their runs.
"""

from __future__ import annotations


def asks_exclusions(exclusions):
    """Whether the config's ``exclusions`` section leaves anyone out rather than stop.

    Parameters
    ----------
    exclusions : dict
        ``min_volumes``, ``max_mean_fd`` (None: no such criterion) and
        ``unusable`` (``"stop"`` or ``"exclude"``).

    Returns
    -------
    bool
    """
    return (
        exclusions.get("min_volumes") is not None
        or exclusions.get("max_mean_fd") is not None
        or exclusions.get("unusable", "stop") == "exclude"
    )


def exclusion_reason(exclusions, denoising, confounds):
    """Why a usable input is left out of the group stages, or None.

    Parameters
    ----------
    exclusions : dict
        The config's ``exclusions`` section: ``min_volumes`` (volumes kept
        after scrubbing, at least) and ``max_mean_fd`` (mean framewise
        displacement in mm, at most); None disables a criterion.
    denoising : regions_connectome.denoising.Denoising or None
        The input's confounds as configured.
    confounds : str or None
        Its confounds file, for the framewise displacement.

    Returns
    -------
    str or None
    """
    reasons = []
    minimum = exclusions.get("min_volumes")
    if minimum is not None and denoising is not None and denoising.n_kept < minimum:
        reasons.append(f"{denoising.n_kept} volumes kept, fewer than min_volumes {minimum}")
    maximum = exclusions.get("max_mean_fd")
    if maximum is not None:
        fd = mean_framewise_displacement(confounds)
        if fd is None:
            reasons.append("no motion columns to compute the framewise displacement from")
        elif fd > maximum:
            reasons.append(f"mean framewise displacement {fd:.3f} mm above max_mean_fd {maximum}")
    return "; ".join(reasons) or None


def mean_framewise_displacement(confounds):
    """Mean framewise displacement (mm) of a confounds file, or None without motion columns.

    Parameters
    ----------
    confounds : str or None
        Confounds file (see :data:`regions_connectome.quality.MOTION_CONVENTIONS`).

    Returns
    -------
    float or None
    """
    from regions_connectome.denoising import read_confounds_array
    from regions_connectome.quality import QC_SOURCE_COLUMNS, framewise_displacement_array

    if confounds is None:
        return None
    columns, values = read_confounds_array(confounds, QC_SOURCE_COLUMNS, only_present=True)
    fd = framewise_displacement_array(values, columns)
    return None if fd is None else float(fd.mean())


def split_exclusions(table):
    """The inputs the group stages use, and those excluded with the reason.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`resolve_inputs` returns it.

    Returns
    -------
    included : pandas.DataFrame
    excluded : pandas.DataFrame
        Rows of ``table``; ``excluded`` says why in its ``excluded`` column.
    """
    if "excluded" not in table:
        return table, table.iloc[:0]
    left_out = table["excluded"].notna()
    return table[~left_out], table[left_out]


def exclusions_table(excluded):
    """The subjects left out of the group stages, one row each.

    Parameters
    ----------
    excluded : dict of str to dict
        Per input label: ``func``, ``confounds`` and ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns ``input`` (the label), ``func``, ``confounds``, ``reason`` (a header
        only when nobody is excluded).
    """
    import pandas as pd

    from regions_connectome.derivatives import INPUT_COLUMN

    columns = [INPUT_COLUMN, "func", "confounds", "reason"]
    rows = [{INPUT_COLUMN: label} | record for label, record in excluded.items()]
    return pd.DataFrame(rows, columns=columns)


def unusable_reason(problem):
    """How the exclusions word an input its checks refuse, before any job or by its job.

    Parameters
    ----------
    problem : str or Exception
        What the check found, naming the subject and the file.

    Returns
    -------
    str
    """
    return f"unusable: {problem}"


def unusable_data(func, label, epi_mask=True):
    """Why a run's image data cannot be used, or None: what its jobs would stop on.

    Reads the image once, as the run's jobs do: a file that cannot be read
    whole (truncated, corrupt), not 4D, without signal or with non-finite
    values in some volumes of a voxel (:func:`regions_connectome.niimg.load_functional`),
    or, for the EPI group mask, an empty EPI mask
    (:func:`regions_connectome.decomposition.compute_subject_epi_mask`).

    Parameters
    ----------
    func : str or pathlib.Path
        The run's 4D image.
    label : str
        Its input label, for the message.
    epi_mask : bool, default=True
        Whether the group mask is made from the subjects' EPI masks.

    Returns
    -------
    str or None
        The message the run's job would stop with, naming the subject and file.
    """
    from regions_connectome.decomposition import EmptyMaskError, compute_subject_epi_mask
    from regions_connectome.derivatives import input_name
    from regions_connectome.niimg import UnreadableImageError, load_functional

    try:
        img = load_functional(func, label)
        if epi_mask:
            compute_subject_epi_mask(img, f"{input_name(label)} ({func})")
    except (UnreadableImageError, EmptyMaskError) as error:
        return str(error)
    return None


def checked_exclusions(checks, subjects):
    """The runs their check found unusable, as records of the exclusions table.

    Parameters
    ----------
    checks : iterable of dict
        Each run's check (``InputLabel``, ``Reason``: None when usable).
    subjects : dict of str to dict
        Input label -> ``func`` and ``confounds``.

    Returns
    -------
    dict of str to dict
        Input label -> ``func``, ``confounds`` and ``reason`` (``unusable: ...``,
        as the checks before any job word it), for :func:`exclusions_table`.
    """
    return {
        check["InputLabel"]: subjects[check["InputLabel"]]
        | {"reason": unusable_reason(check["Reason"])}
        for check in checks
        if check["Reason"] is not None
    }
