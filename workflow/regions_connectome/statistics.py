"""Edge-wise group statistics: which connections differ between groups, or vary with a variable.

Each participant's matrix (its runs averaged) gives one value per edge, the
upper triangle (Fisher's z for correlations). A general linear model per edge
tests one variable, two groups or a number, with covariates; the family-wise
error is controlled per edge by max-T permutations (nilearn's
``permuted_ols``; Westfall & Young 1993) and per connected component of
supra-threshold edges by the network-based statistic (Zalesky et al. 2010).
The permutation scheme is ``permuted_ols``'s for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regions_connectome.derivatives import LABEL, LABEL_CHARACTERS
from regions_connectome.inputs import FETCHED_PARTICIPANTS, REQUIRED_COLUMNS
from regions_connectome.kinds import CONNECTIVITY_KINDS

# The covariate named by the QC table's measure rather than a participants column.
MEAN_FD = "mean_fd"
# Columns naming the participant: BIDS participants.tsv's, then a sample sheet's.
PARTICIPANT_COLUMNS = ("participant_id", "subject")
# A sample sheet's columns that are files, not participant variables.
FILE_COLUMNS = tuple(c for c in REQUIRED_COLUMNS if c not in PARTICIPANT_COLUMNS)
MISSING = ("", "n/a", "NA", "NaN", "nan")
# Each statistic file's ``stat-`` entity -> its column in the edge table (and
# the rule's output).
STATISTIC_COLUMNS = {"t": "t", "pfwe": "p_fwe", "pnbs": "p_nbs"}
# Permutations whose t statistics are held at once (memory: block × edges × 8 bytes).
PERMUTATION_BLOCK = 256


class ModelError(ValueError):
    """A group model that the participants table cannot give."""


# The config's keys of the model (read when the design is made) and of the
# inference (read when the edges are tested): a change reruns only what reads it.
MODEL_KEYS = ("variable", "groups", "covariates")
INFERENCE_KEYS = ("n_permutations", "random_state", "two_sided", "nbs_threshold", "alpha")


def participants_file(statistics, source, subjects, demo_file, fetched_file=None):
    """Which participants table the group model reads.

    Parameters
    ----------
    statistics : dict
        The config's ``statistics``.
    source : {"demo", "fetcher", "bids", "sheet"}
        What the config's ``subjects`` names
        (:func:`regions_connectome.inputs.source_kind`).
    subjects : str
        The config's ``subjects``.
    demo_file : str
        Where the demo's participants table is written.
    fetched_file : str or None, default=None
        Where a nilearn dataset's participants table is kept (its phenotypic
        table, written when it is fetched).

    Returns
    -------
    str
        ``statistics.participants`` if set; else the demo's table, the
        fetched dataset's, the BIDS folder's ``participants.tsv`` or the
        sample sheet.

    Raises
    ------
    ModelError
        If no table is set and the inputs have none.
    """
    from pathlib import Path

    if statistics["participants"]:
        path = statistics["participants"]
    elif source == "demo":
        return demo_file
    elif source == "sheet":
        path = subjects
    elif source == "bids":
        path = str(Path(subjects, "participants.tsv"))
    else:
        path = fetched_file
    if not Path(path).is_file():
        raise ModelError(
            f"participants table {path} does not exist: set statistics.participants to the "
            "table of the participants' variables"
        )
    return path


def check_statistics(config, source, units, demo_file):
    """Before any job: the group model's participants table and contrast.

    Parameters
    ----------
    config : dict
        The validated config.
    source : {"demo", "fetcher", "bids", "sheet"}
        What ``subjects`` names.
    units : sequence of str
        The participants of the group stages.
    demo_file : str
        Where the demo's participants table is written.

    Returns
    -------
    participants : str or list
        The participants table's file (``[]`` without a model).
    contrast : str or None
        The contrast's name in file names (None without a model).

    Raises
    ------
    ModelError
        Naming the table, the column or the key (see :func:`model_design`),
        or a tested kind that is not computed.
    """
    statistics = config["statistics"]
    if not statistics["variable"]:
        return [], None
    computed = {*config["connectivity_kinds"], "correlation"}
    untested = [kind for kind in statistics["kinds"] if kind not in computed]
    if untested:
        raise ModelError(
            f"statistics.kinds {untested} are not computed: add them to connectivity_kinds"
        )
    fetched = FETCHED_PARTICIPANTS.format(name=config["subjects"])
    path = participants_file(statistics, source, config["subjects"], demo_file, fetched)
    if path == demo_file:
        from regions_connectome.synthetic import demo_participants

        table = demo_participants(list(units), config["demo"]["seed"]).astype(str)
        participants = participants_frame(table, path)
    else:
        participants = read_participants(path)
    model = {key: statistics[key] for key in MODEL_KEYS}
    return path, model_design(participants, units, model, path).label


def read_participants(path):
    """Read a participants table.

    Parameters
    ----------
    path : str or pathlib.Path
        A tab-separated table with a column ``participant_id`` (BIDS
        ``participants.tsv``: ``sub-<label>``) or ``subject`` (a sample
        sheet, whose ``func`` and ``confounds`` columns are left out), and
        one column per variable. ``n/a`` or an empty cell is a missing value.

    Returns
    -------
    pandas.DataFrame
        Indexed by participant label (without ``sub-``), values as strings,
        NaN where missing.

    Raises
    ------
    ModelError
        If the table names no participant column, or a label is invalid or
        repeated, naming the file.
    """
    return participants_frame(pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False), path)


def participants_frame(table, source):
    """:func:`read_participants` on a table already read (strings), named ``source`` in errors."""
    column = next((c for c in PARTICIPANT_COLUMNS if c in table.columns), None)
    if column is None:
        raise ModelError(
            f"participants table {source} has none of the columns {list(PARTICIPANT_COLUMNS)}; "
            f"it has {list(table.columns)}"
        )
    labels = table.pop(column).str.strip().str.removeprefix("sub-")
    bad = [label for label in labels if not re.fullmatch(LABEL, label)]
    if bad:
        raise ModelError(f"participants table {source}: invalid participant label(s) {bad}")
    repeated = sorted(set(labels[labels.duplicated()]))
    if repeated:
        raise ModelError(f"participants table {source}: participant(s) {repeated} listed twice")
    table.index = pd.Index(labels, name="participant")
    table = table.drop(columns=[c for c in FILE_COLUMNS if c in table.columns])
    return table.apply(lambda values: values.str.strip()).replace(list(MISSING), np.nan)


def _numeric(values):
    """The values as floats, or None if some present value is not a number."""
    converted = pd.to_numeric(values.dropna(), errors="coerce")
    return None if converted.isna().any() else pd.to_numeric(values, errors="coerce")


def contrast_label(variable, groups):
    """The contrast's name in file names (its ``contrast-`` entity).

    Parameters
    ----------
    variable : str
        The tested column.
    groups : sequence of str
        The two groups compared, first minus second; empty for a number.

    Returns
    -------
    str
        ``<first>Vs<second>`` for groups, else the variable; letters and
        digits only.
    """
    name = f"{groups[0]}Vs{groups[1]}" if len(groups) == 2 else variable
    label = re.sub(f"[^{LABEL_CHARACTERS}]", "", name)
    return label or re.sub(f"[^{LABEL_CHARACTERS}]", "", variable) or "contrast"


@dataclass(frozen=True)
class Design:
    """A group model's design for the participants it can include.

    Attributes
    ----------
    label : str
        The contrast's name in file names (:func:`contrast_label`).
    description : str
        What is tested: ``"patient - control"``, ``"slope of age"``.
    participants : list of str
        The participants modelled, in the order of the rows.
    tested : numpy.ndarray, shape (n_participants, 1)
        The tested variable: 1 for the first group and 0 for the second, or
        the number.
    covariates : numpy.ndarray, shape (n_participants, n_covariates) or None
        The covariates' columns (categorical ones coded by indicators, the
        first level left out); the intercept is added by the model.
    covariate_names : list of str
        Their names (``sex[M]`` for an indicator).
    left_out : dict of str to str
        Participants of the group stages not modelled, with the reason.
    """

    label: str
    description: str
    participants: list
    tested: np.ndarray
    covariates: np.ndarray | None
    covariate_names: list = field(default_factory=list)
    left_out: dict = field(default_factory=dict)

    def table(self):
        """One row per participant: ``included``, ``reason`` and ``tested`` (n/a if left out)."""
        tested = zip(self.participants, self.tested[:, 0], strict=True)
        rows = [(p, True, None, float(v)) for p, v in tested]
        rows += [(p, False, reason, np.nan) for p, reason in self.left_out.items()]
        table = pd.DataFrame(rows, columns=["participant", "included", "reason", "tested"])
        for k, name in enumerate(self.covariate_names):
            table[name] = list(self.covariates[:, k]) + [np.nan] * len(self.left_out)
        return table.sort_values("participant", kind="stable").reset_index(drop=True)


def design(
    participants, units, variable, groups=(), covariates=(), source="the participants table"
):
    """The design of one contrast for the participants of the group stages.

    A participant without a value of the tested variable or a covariate,
    absent from the table, or (with ``groups``) in another group, is left out
    and recorded.

    Parameters
    ----------
    participants : pandas.DataFrame
        The participants table (:func:`read_participants`), with a column
        :data:`MEAN_FD` if that covariate is asked for.
    units : sequence of str
        The participants of the group stages (those with matrices).
    variable : str
        The tested column: two groups, or a number.
    groups : sequence of str, default=()
        The two values compared (first minus second); by default the
        column's two values in sorted order, or a number if it holds numbers.
    covariates : sequence of str, default=()
        Columns modelled as nuisance: numbers as they are, other values by
        indicators.
    source : str
        The table's name in errors.

    Returns
    -------
    Design

    Raises
    ------
    ModelError
        If a column is missing, ``variable`` has not two groups, a group
        asked for is absent, fewer than two participants are in a group or
        the model leaves no degree of freedom, or the design is rank
        deficient, naming the columns.
    """
    for column in [variable, *covariates]:
        if column not in participants.columns:
            raise ModelError(
                f"{column!r} is not a column of {source}: it has {list(participants.columns)}"
            )
    units = list(units)
    left_out = {}
    rows = participants.reindex(units)
    for unit in units:
        if unit not in participants.index:
            left_out[unit] = f"not in {source}"
    missing = rows[[variable, *covariates]].isna()
    for unit in rows.index[missing.any(axis=1)]:
        if unit not in left_out:
            lacking = [c for c in missing.columns if missing.loc[unit, c]]
            left_out[unit] = f"no value of {', '.join(lacking)}"

    values = rows[variable]
    number = _numeric(values) if not groups else None
    if groups or number is None:
        present = sorted(values.dropna().unique())
        groups = list(groups) or present
        if len(groups) != 2:
            raise ModelError(
                f"{variable!r} in {source} has the values {present}: name the two groups "
                "compared (statistics.groups)"
            )
        absent = [g for g in groups if g not in present]
        if absent:
            raise ModelError(f"group(s) {absent} of {variable!r} not found in {source}: {present}")
        for unit in values.index[values.notna() & ~values.isin(groups)]:
            left_out.setdefault(unit, f"{variable} is {values[unit]}, not compared")
        tested = (values == groups[0]).astype(float)
        description = f"{variable}: {groups[0]} - {groups[1]}"
    else:
        tested = number
        description = f"slope of {variable}"

    kept = [u for u in units if u not in left_out]
    names, columns = [], []
    for covariate in covariates:
        column = rows.loc[kept, covariate]
        numeric = _numeric(column)
        if numeric is not None:
            names.append(covariate)
            columns.append(numeric.to_numpy(float))
            continue
        for level in sorted(column.unique())[1:]:
            names.append(f"{covariate}[{level}]")
            columns.append((column == level).to_numpy(float))
    x = tested.loc[kept].to_numpy(float)[:, None]
    if groups and len(groups) == 2:
        sizes = [int(x.sum()), int(len(x) - x.sum())]
        if min(sizes) < 2:
            raise ModelError(
                f"{variable!r}: groups {groups} have {sizes} participants with every value "
                f"in {source}; each needs at least two"
            )
    full = np.column_stack([np.ones(len(kept)), x, *columns])
    if len(kept) <= full.shape[1]:
        raise ModelError(
            f"{len(kept)} participants with every value of {[variable, *covariates]} in "
            f"{source} leave no degree of freedom for {full.shape[1]} parameters"
        )
    if np.linalg.matrix_rank(full) < full.shape[1]:
        raise ModelError(
            f"the design of {variable!r} with covariates {list(covariates)} is rank deficient "
            f"(a covariate is constant or determined by the others among the {len(kept)} "
            "participants modelled)"
        )
    return Design(
        label=contrast_label(variable, groups),
        description=description,
        participants=kept,
        tested=x,
        covariates=np.column_stack(columns) if columns else None,
        covariate_names=names,
        left_out=left_out,
    )


def model_design(participants, units, model, source, qc=None):
    """The design of the config's model (:func:`design` with ``statistics``' keys).

    Parameters
    ----------
    participants : pandas.DataFrame
        :func:`read_participants`' table.
    units : sequence of str
        The participants of the group stages.
    model : dict
        :data:`MODEL_KEYS` of the config's ``statistics``.
    source : str
        The table's file, named in errors.
    qc : pandas.DataFrame or None, default=None
        The group QC table (indexed by input label, with ``mean_fd``), if the
        model names :data:`MEAN_FD`: each participant's mean framewise
        displacement, its runs averaged. None before any job (the checks then
        use a stand-in).

    Returns
    -------
    Design

    Raises
    ------
    ModelError
        As :func:`design`, and if the table has a column named like the
        QC measure that the model asks for.
    """
    if MEAN_FD in model["covariates"]:
        if MEAN_FD in participants.columns:
            raise ModelError(
                f"participants table {source} has a column {MEAN_FD!r}, which also names the "
                "QC table's mean framewise displacement: rename the column"
            )
        if qc is None:
            mean_fd = pd.Series(np.arange(len(participants), dtype=float), participants.index)
        else:
            from regions_connectome.connectivity import combine_runs

            values, labels = combine_runs(qc[MEAN_FD].to_numpy(), list(qc.index), "participant")
            mean_fd = pd.Series(values, index=labels, dtype=float)
        participants = participants.assign(**{MEAN_FD: mean_fd})
    return design(
        participants, units, model["variable"], model["groups"], model["covariates"], source
    )


def design_sidecar(design, model, source):
    """The JSON sidecar of a design table: the model, and what the table's columns are."""
    return {
        "Contrast": design.label,
        "Description": design.description,
        "Variable": model["variable"],
        "Groups": list(model["groups"]),
        "Covariates": list(model["covariates"]),
        "CovariateColumns": list(design.covariate_names),
        "ParticipantsTable": str(source),
        "ParticipantLabels": list(design.participants),
        "NumberOfParticipants": len(design.participants),
        "LeftOut": dict(design.left_out),
    }


def read_design(table, sidecar):
    """The :class:`Design` a design table and its sidecar hold."""
    included = table[table["included"].astype(str) == "True"]
    left_out = table[table["included"].astype(str) != "True"]
    order = {label: k for k, label in enumerate(sidecar["ParticipantLabels"])}
    included = included.sort_values("participant", key=lambda labels: labels.map(order))
    names = sidecar["CovariateColumns"]
    return Design(
        label=sidecar["Contrast"],
        description=sidecar["Description"],
        participants=list(included["participant"]),
        tested=included[["tested"]].to_numpy(float),
        covariates=included[names].to_numpy(float) if names else None,
        covariate_names=list(names),
        left_out=dict(zip(left_out["participant"], left_out["reason"], strict=True)),
    )


def edge_values(matrices, kind):
    """The edges of each participant's matrix, as the model tests them.

    Parameters
    ----------
    matrices : sequence of numpy.ndarray, shape (n_regions, n_regions)
        One symmetric matrix per participant.
    kind : str
        Connectivity kind (nilearn's name): correlations (bounded kinds) are
        Fisher z-transformed, the others kept as they are.

    Returns
    -------
    values : numpy.ndarray, shape (n_participants, n_edges)
        Upper triangle (region ``i < j``), row by row; NaN where a
        participant lacks the pair.
    pairs : tuple of numpy.ndarray
        The regions ``(i, j)`` of each edge.
    """
    matrices = np.stack([np.asarray(m, dtype=float) for m in matrices])
    pairs = np.triu_indices(matrices.shape[1], 1)
    values = matrices[:, pairs[0], pairs[1]]
    if CONNECTIVITY_KINDS[kind].bounded:
        values = np.arctanh(values)
    return values, pairs


def _residualized(design, values):
    """The tested variable's and the edges' residuals after the confounds.

    As ``permuted_ols`` makes them: normalized, after the intercept and the
    covariates; with the confounds' orthonormal basis.
    """
    from scipy.linalg import orth

    confounds = np.ones((len(values), 1))
    if design.covariates is not None:
        confounds = np.column_stack([design.covariates, confounds])
    basis = orth(confounds)

    def residual(array):
        array = array / np.linalg.norm(array, axis=0)
        array = array - basis @ (basis.T @ array)
        return array / np.linalg.norm(array, axis=0)

    return residual(design.tested)[:, 0], residual(values), basis


def permuted_t(design, values, permutations):
    """The tested variable's t statistics, with the rows permuted as ``permuted_ols`` does.

    nilearn's ``permuted_ols`` permutes the residualized tested variable and
    the confounds together; so does this, for many permutations at once.

    Parameters
    ----------
    design : Design
        The model.
    values : numpy.ndarray, shape (n_participants, n_edges)
        Edge values without NaN.
    permutations : numpy.ndarray of int, shape (n_permutations, n_participants)
        Row orders; the identity gives the observed t.

    Returns
    -------
    numpy.ndarray, shape (n_permutations, n_edges)
    """
    tested, residuals, basis = _residualized(design, values)
    dof = len(values) - basis.shape[1] - 1
    permutations = np.asarray(permutations)
    beta = tested[permutations] @ residuals
    if basis.shape[1] == 1:
        # The intercept's basis is constant, so a permutation leaves it orthogonal.
        explained = 0.0
    else:
        explained = sum((column[permutations] @ residuals) ** 2 for column in basis.T)
    return beta * np.sqrt(dof / (1 - explained - beta**2))


def components(t, pairs, n_regions, threshold, two_sided=True):
    """The connected components of the edges past a threshold.

    Parameters
    ----------
    t : numpy.ndarray, shape (n_edges,) or (n_maps, n_edges)
        Edge statistics.
    pairs : tuple of numpy.ndarray
        Regions ``(i, j)`` of each edge.
    n_regions : int
        Number of regions (the graph's nodes).
    threshold : float
        Primary threshold: ``|t| > threshold`` (``t > threshold`` one-sided).
    two_sided : bool, default=True
        Whether edges past the threshold in either direction count.

    Returns
    -------
    labels : numpy.ndarray of int, shape of ``t``
        Each edge's component (0, 1, ... by decreasing size; -1 below the
        threshold).
    sizes : list of numpy.ndarray
        Per map, the components' sizes in edges, decreasing.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    t = np.atleast_2d(t)
    above = (np.abs(t) if two_sided else t) > threshold
    labels = np.full(t.shape, -1)
    sizes = []
    for row, edges in enumerate(above):
        i, j = pairs[0][edges], pairs[1][edges]
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n_regions, n_regions))
        _, node_component = connected_components(graph, directed=False)
        edge_component = node_component[i]
        counts = np.bincount(edge_component, minlength=n_regions)
        order = np.argsort(-counts, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        labels[row, edges] = rank[edge_component]
        sizes.append(counts[order][counts[order] > 0])
    return labels, sizes


def network_based_statistic(
    design, values, pairs, n_regions, threshold, permutations, two_sided=True
):
    """The network-based statistic (Zalesky et al. 2010) under ``permuted_ols``'s scheme.

    Parameters
    ----------
    design : Design
        The model.
    values : numpy.ndarray, shape (n_participants, n_edges)
        Edge values without NaN.
    pairs : tuple of numpy.ndarray
        Regions ``(i, j)`` of each edge.
    n_regions : int
        Number of regions.
    threshold : float
        Primary threshold on ``|t|`` (on ``t`` one-sided).
    permutations : numpy.ndarray of int, shape (n_permutations, n_participants)
        Row orders drawn at random.
    two_sided : bool, default=True
        Whether both directions of the effect are tested.

    Returns
    -------
    component : numpy.ndarray of int, shape (n_edges,)
        Each edge's observed component (-1 below the threshold).
    p_fwe : numpy.ndarray, shape (n_edges,)
        The family-wise p of the edge's component, ``(1 + #{null >= size}) /
        (1 + n_permutations)`` (NaN below the threshold).
    null : numpy.ndarray, shape (n_permutations,)
        The largest component's size (edges) in each permutation.
    """
    observed = permuted_t(design, values, np.arange(len(values))[None])
    component, (sizes,) = components(observed, pairs, n_regions, threshold, two_sided)
    null = []
    for start in range(0, len(permutations), PERMUTATION_BLOCK):
        t = permuted_t(design, values, permutations[start : start + PERMUTATION_BLOCK])
        _, block = components(t, pairs, n_regions, threshold, two_sided)
        null.extend(s[0] if len(s) else 0 for s in block)
    null = np.asarray(null)
    size_p = (1 + np.sum(null[None] >= sizes[:, None], axis=1)) / (1 + len(null))
    p_fwe = np.full(observed.shape[1], np.nan)
    p_fwe[component[0] >= 0] = size_p[component[0][component[0] >= 0]]
    return component[0], p_fwe, null


def edge_statistics(
    design, values, pairs, n_regions, n_permutations, random_state, nbs_threshold, two_sided=True
):
    """Per edge: effect, t, max-T family-wise p, and the network-based statistic.

    Edges that a modelled participant lacks (NaN) are not tested.

    Parameters
    ----------
    design : Design
        The model.
    values : numpy.ndarray, shape (n_participants, n_edges)
        :func:`edge_values`, rows in ``design.participants``' order.
    pairs : tuple of numpy.ndarray
        Regions ``(i, j)`` of each edge.
    n_regions : int
        Number of regions.
    n_permutations : int
        Permutations of both tests.
    random_state : int
        Seeds nilearn's permutations (max-T) and the network-based statistic's.
    nbs_threshold : float
        The network-based statistic's primary threshold on ``|t|``.
    two_sided : bool, default=True
        Whether both directions of the effect are tested.

    Returns
    -------
    pandas.DataFrame
        One row per edge: ``i``, ``j``, ``tested``, ``effect`` (the tested
        variable's coefficient, in edge units), ``t``, ``p_fwe`` (max-T),
        ``component`` and ``p_nbs`` (its component's family-wise p).
    """
    from nilearn.mass_univariate import permuted_ols

    tested = ~np.isnan(values).any(axis=0)
    if np.isinf(values).any():
        raise ValueError("edge values are infinite (a correlation of exactly 1)")
    y = values[:, tested]
    full = np.column_stack(
        [np.ones(len(y)), design.tested]
        + ([design.covariates] if design.covariates is not None else [])
    )
    effect = np.linalg.lstsq(full, y, rcond=None)[0][1]
    result = permuted_ols(
        design.tested, y, design.covariates, model_intercept=True, n_perm=n_permutations,
        two_sided_test=two_sided, random_state=random_state, n_jobs=1, output_type="dict",
        verbose=0,
    )  # fmt: skip
    rng = np.random.default_rng(random_state)
    permutations = rng.permuted(np.tile(np.arange(len(y)), (n_permutations, 1)), axis=1)
    tested_pairs = (pairs[0][tested], pairs[1][tested])
    component, p_nbs, _ = network_based_statistic(
        design, y, tested_pairs, n_regions, nbs_threshold, permutations, two_sided
    )
    table = pd.DataFrame({"i": pairs[0], "j": pairs[1], "tested": tested})
    for name, column in (
        ("effect", effect),
        ("t", result["t"][0]),
        ("p_fwe", 10.0 ** -result["logp_max_t"][0]),
        ("component", component),
        ("p_nbs", p_nbs),
    ):
        table[name] = np.nan
        table.loc[tested, name] = column
    table["component"] = table["component"].astype("Int64").where(table["component"] >= 0)
    return table


def participant_edge_statistics(design, matrices, labels, kind, inference):
    """:func:`edge_statistics` of the runs' matrices, each participant's runs averaged.

    Parameters
    ----------
    design : Design
        The model (:func:`read_design`).
    matrices : sequence of array-like, shape (n_regions, n_regions)
        One per run of the group stages.
    labels : sequence of str
        The runs' input labels, in the same order.
    kind : str
        Connectivity kind (nilearn's name).
    inference : dict
        :data:`INFERENCE_KEYS` of the config's ``statistics``.

    Returns
    -------
    pandas.DataFrame
        :func:`edge_statistics`' table.
    """
    from regions_connectome.connectivity import combine_runs

    units, names = combine_runs(matrices, labels, "participant")
    lacking = sorted(set(design.participants) - set(names))
    if lacking:
        raise ValueError(f"participant(s) {lacking} of the design have no {kind} matrix")
    by_name = dict(zip(names, units, strict=True))
    values, pairs = edge_values([by_name[p] for p in design.participants], kind)
    return edge_statistics(
        design, values, pairs, len(units[0]), inference["n_permutations"],
        inference["random_state"], inference["nbs_threshold"], inference["two_sided"],
    )  # fmt: skip


def edge_matrix(table, column, n_regions):
    """One column of :func:`edge_statistics` as a symmetric matrix (NaN diagonal)."""
    matrix = np.full((n_regions, n_regions), np.nan)
    values = table[column].to_numpy(dtype=float, na_value=np.nan)
    matrix[table["i"], table["j"]] = values
    matrix[table["j"], table["i"]] = values
    return matrix


def significant_edges(table, regions, alpha):
    """The edges significant by max-T or the network-based statistic, with their regions.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`edge_statistics`' table.
    regions : pandas.DataFrame
        The regions table, in matrix order: ``label``, centres ``x``, ``y``, ``z``.
    alpha : float
        Family-wise error rate.

    Returns
    -------
    pandas.DataFrame
        ``region_a``, ``region_b`` (labels), their centres, ``effect``, ``t``,
        ``p_fwe``, ``component``, ``p_nbs``, by increasing ``p_fwe``.
    """
    keep = (table["p_fwe"] < alpha) | (table["p_nbs"] < alpha)
    edges = table[keep.fillna(False)]
    out = pd.DataFrame(
        {
            "region_a": regions["label"].to_numpy()[edges["i"]],
            "region_b": regions["label"].to_numpy()[edges["j"]],
        }
    )
    for end, index in (("a", edges["i"]), ("b", edges["j"])):
        for axis in "xyz":
            out[f"{axis}_{end}"] = regions[axis].to_numpy()[index]
    for column in ("effect", "t", "p_fwe", "component", "p_nbs"):
        out[column] = edges[column].to_numpy()
    return out.sort_values(["p_fwe", "p_nbs"], kind="stable").reset_index(drop=True)
