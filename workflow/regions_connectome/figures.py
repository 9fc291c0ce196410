"""The example's figures, each written atomically to a PNG file."""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from regions_connectome.io import atomic_output  # noqa: E402

METHOD_NAMES = {"dictlearning": "Dictionary Learning", "canica": "CanICA"}


@contextlib.contextmanager
def or_why_not(path):
    """Draw a figure; if it cannot be drawn, leave one that says why.

    The numbers are written by then (figures come last): a figure that fails
    must not end the run or hide them. The error goes to the job's log and
    into the file (a PNG with the message, or a page for ``.html``).

    Parameters
    ----------
    path : str or pathlib.Path
        The figure the block draws.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - whatever the plotting library raises
        import html
        import logging

        logging.getLogger("regions_connectome").exception("%s could not be drawn", path)
        reason = f"{Path(path).name} could not be drawn: {type(error).__name__}: {error}"
        if str(path).endswith(".html"):
            with atomic_output(path, suffix=".html") as tmp:
                tmp.write_text(f"<!doctype html><p>{html.escape(reason)}</p>", encoding="utf-8")
        else:
            figure = plt.figure(figsize=(8, 2))
            figure.text(0.5, 0.5, textwrap.fill(reason, 90), ha="center", va="center")
            _save(figure, path, 100)


def _save(figure, path, dpi):
    with atomic_output(path, suffix=".png") as tmp:
        figure.savefig(tmp, dpi=dpi, format="png")
    plt.close(figure)


# A legend names each colour up to this many regions; beyond, regions.tsv does.
MAX_LEGEND = 40
# Matrix figures name their rows and columns up to this many regions.
MAX_LABELS = 60
# Connectome figures draw at most this many edges, the strongest.
MAX_EDGES = 500


def region_colours(n):
    """Distinct colours for ``n`` maps or regions, in their order.

    Parameters
    ----------
    n : int
        How many.

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        RGB colours: tab10 up to 10, tab20 up to 20, else samples of a rainbow.
    """
    if n <= 10:
        return np.asarray(plt.get_cmap("tab10").colors[:n])
    if n <= 20:
        return np.asarray(plt.get_cmap("tab20").colors[:n])
    return plt.get_cmap("gist_rainbow")(np.linspace(0, 1, n))[:, :3]


def _legend(figure, labels, colours, title):
    """A legend of coloured patches on the figure's right, or a note if too many."""
    from matplotlib.patches import Patch

    if len(labels) > MAX_LEGEND:
        figure.text(0.99, 0.5, f"{len(labels)} {title}:\nsee regions.tsv", ha="right", va="center")
        return
    handles = [Patch(facecolor=c, edgecolor="0.3", label=str(name)) for name, c in zip(
        labels, colours, strict=True)]  # fmt: skip
    figure.legend(
        handles=handles, title=title, loc="center right", fontsize=8, title_fontsize=9,
        ncol=1 + len(labels) // 20, frameon=False,
    )  # fmt: skip


def _figure_with_legend(n_labels, height=4.0):
    """A 10-inch-wide drawing area and room on its right for a legend of ``n_labels``.

    Returns
    -------
    figure : matplotlib.figure.Figure
    rect : tuple of float
        Where to draw, in figure coordinates (nilearn's ``axes``).
    """
    columns = 1 + n_labels // 20 if n_labels <= MAX_LEGEND else 1
    width = 10 + 1.6 * columns
    return plt.figure(figsize=(width, height)), (0, 0, 10 / width, 1)


def _atlas(img, title, labels, path, dpi, legend_title):
    """Maps as filled contours (4D) or labels (3D), each colour named in a legend."""
    from matplotlib.colors import ListedColormap
    from nilearn.plotting import plot_prob_atlas, plot_roi

    colours = region_colours(len(labels))
    figure, rect = _figure_with_legend(len(labels))
    if img.ndim == 3:
        data = np.asarray(img.dataobj)
        values = np.unique(data[data != 0])
        ranks = np.where(data != 0, np.searchsorted(values, data) + 1, 0)
        plot_roi(img.__class__(ranks.astype(np.int16), img.affine), title=title,
                 cmap=ListedColormap(colours), vmin=0.5, vmax=len(labels) + 0.5,
                 colorbar=False, draw_cross=False, figure=figure, axes=rect)  # fmt: skip
    else:
        display = plot_prob_atlas(img, view_type="filled_contours", title=title,
                                  draw_cross=False, cmap=ListedColormap(colours),
                                  colorbar=False, figure=figure, axes=rect)  # fmt: skip
        # nilearn 0.13 still draws the background's colour bar (plot_anat's
        # default) there: the legend says what the colours are.
        if getattr(display, "_colorbar_ax", None) is not None:
            display._colorbar_ax.remove()
    _legend(figure, labels, colours, legend_title)
    _save(figure, path, dpi)


def plot_components(components_img, path, method="dictlearning", dpi=100):
    """Component maps as a probabilistic atlas (filled contours).

    Parameters
    ----------
    components_img : Niimg-like
        4D component maps.
    path : str or pathlib.Path
        PNG to write.
    method : str, default="dictlearning"
        Decomposition method, for the title.
    dpi : int, default=100
        Resolution.
    """
    from nilearn.image import load_img

    img = load_img(components_img)
    name = METHOD_NAMES.get(method, method)
    labels = [f"component {k}" for k in range(img.shape[-1])]
    _atlas(img, f"{name}: {len(labels)} component maps", labels, path, dpi, "components")


def plot_regions(regions_img, labels, n_components, path, dpi=100):
    """Regions as an atlas: filled contours of maps, or the labels in colours.

    Parameters
    ----------
    regions_img : Niimg-like
        4D region maps, or a 3D image of labels (applied regions), in the
        order of ``regions.tsv``.
    labels : sequence of str
        Each region's label (``regions.tsv``'s ``label``), for the legend.
    n_components : int or None
        Number of components they were extracted from, for the title (None
        for applied regions).
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    from nilearn.image import load_img

    img = load_img(regions_img)
    n_regions = len(labels)
    title = (
        f"{n_regions} regions applied"
        if n_components is None
        else f"{n_regions} regions extracted from {n_components} components"
    )
    _atlas(img, title, list(labels), path, dpi, "regions")


def matrix_range(matrix, kind="correlation"):
    """Colour range of a matrix figure, symmetric around 0.

    Parameters
    ----------
    matrix : array-like, shape (n, n)
        Connectivity matrix.
    kind : str, default="correlation"
        Its kind: correlations are shown on [-1, 1], other kinds up to their
        largest off-diagonal magnitude (the diagonal would swamp them).

    Returns
    -------
    float
        ``vmax``; ``vmin`` is ``-vmax``.
    """
    from regions_connectome.kinds import CONNECTIVITY_KINDS

    if CONNECTIVITY_KINDS[kind].bounded:
        return 1.0
    values = np.asarray(matrix, dtype=float)
    off_diagonal = values[~np.eye(len(values), dtype=bool)]
    finite = np.abs(off_diagonal[np.isfinite(off_diagonal)])
    largest = float(finite.max()) if finite.size else 0.0
    return largest or 1.0


def plot_matrix(matrix, path, title=None, dpi=100, kind="correlation"):
    """A labelled connectivity matrix with a colour bar.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square matrix with region labels as index and columns.
    path : str or pathlib.Path
        PNG to write.
    title : str or None, default=None
        Defaults to "<Kind> between N regions" ("<Kind>: group reference,
        N regions" for a kind fitted on the group, tangent).
    dpi : int, default=100
        Resolution.
    kind : str, default="correlation"
        Connectivity kind, for the colour range (see :func:`matrix_range`).
    """
    from nilearn.plotting import plot_matrix as nilearn_plot_matrix

    from regions_connectome.kinds import CONNECTIVITY_KINDS

    n = len(matrix)
    if title is None:
        title = (
            f"{kind.capitalize()}: group reference, {n} regions"
            if CONNECTIVITY_KINDS[kind].fitted_on_group
            else f"{kind.capitalize()} between {n} regions"
        )
    vmax = matrix_range(matrix.to_numpy(), kind)
    # Sized and labelled for up to MAX_LABELS regions; beyond, a fixed size
    # without labels (1000 regions would need a 30,000-pixel figure).
    size = min(max(6.0, 0.3 * n + 3), 0.3 * MAX_LABELS + 3)
    figure = plt.figure(figsize=(size, size * 0.85))
    nilearn_plot_matrix(
        matrix.to_numpy(),
        labels=list(matrix.index) if n <= MAX_LABELS else None,
        vmin=-vmax,
        vmax=vmax,
        colorbar=True,
        title=title,
        figure=figure,
    )
    _save(figure, path, dpi)


def drawable(matrix, coords):
    """The regions a connectome can be drawn with, and its edges there.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square connectivity matrix; NaN where no subject had both regions.
    coords : array-like, shape (n_regions, 3)
        Node positions, NaN for a region with no voxel on the data's grid.

    Returns
    -------
    values : numpy.ndarray, shape (n_drawn, n_drawn)
        The matrix between the regions with a position and a value, NaN
        edges as 0 (not drawn).
    coords : numpy.ndarray, shape (n_drawn, 3)
    drawn : numpy.ndarray of bool, shape (n_regions,)
        Which regions these are.
    """
    values = matrix.to_numpy(dtype=float)
    coords = np.asarray(coords, dtype=float)
    drawn = np.isfinite(coords).all(axis=1) & ~np.isnan(np.diag(values))
    return np.nan_to_num(values[np.ix_(drawn, drawn)], nan=0.0), coords[drawn], drawn


def edge_cutoff(values, edge_threshold):
    """The smallest absolute value of an edge that a connectome figure draws.

    A percentile is taken over the edges (the matrix's lower triangle without
    its diagonal), as nilearn's ``plot_connectome`` does; the static and the
    interactive connectome are both given this number, so they show the
    same edges: at most :data:`MAX_EDGES`, the strongest.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, n)
        Symmetric connectivity matrix.
    edge_threshold : str or float
        A percentile such as ``"90%"``, or an absolute value.

    Returns
    -------
    float
    """
    from scipy.stats import scoreatpercentile

    edges = np.abs(values[np.tril_indices_from(values, k=-1)])
    if isinstance(edge_threshold, str):
        percentile = float(edge_threshold.rstrip("%"))
        cutoff = float(scoreatpercentile(edges, percentile)) if edges.size else 0.0
    else:
        cutoff = float(edge_threshold)
    if (edges >= cutoff).sum() > MAX_EDGES:
        # a drawing of 50,000 edges (1000 regions at 90%) says nothing and
        # takes minutes and gigabytes: the strongest MAX_EDGES only
        cutoff = float(np.sort(edges)[-MAX_EDGES])
    return cutoff


def plot_connectome(matrix, coords, path, edge_threshold="90%", title=None, dpi=100):
    """The connectome on a glass brain.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square connectivity matrix.
    coords : array-like, shape (n_regions, 3)
        Node positions (MNI mm), in the matrix's order.
    path : str or pathlib.Path
        PNG to write.
    edge_threshold : str or float, default="90%"
        Edges below this (absolute value, or percentile) are hidden.
    title : str or None, default=None
        Defaults to "Correlation between N regions".
    dpi : int, default=100
        Resolution.
    """
    from nilearn.plotting import plot_connectome as nilearn_plot_connectome

    values, coords, drawn = drawable(matrix, coords)
    # each region in its colour of the regions' figures, named in the legend
    colours = region_colours(len(matrix))[drawn]
    labels = list(matrix.index[drawn])
    cutoff = edge_cutoff(values, edge_threshold)
    n_edges = int((np.abs(values[np.tril_indices_from(values, k=-1)]) >= cutoff).sum())
    title = title or f"Correlation between {len(values)} regions"
    figure, rect = _figure_with_legend(len(labels))
    nilearn_plot_connectome(
        values,
        coords,
        node_color=colours,
        axes=rect,
        # one region has no edge to take a threshold over
        edge_threshold=cutoff if len(values) > 1 else None,
        title=f"{title}: {n_edges} edges, |r| >= {cutoff:.2f}" if n_edges else
        f"{title}: no edge reaches {cutoff:.2f} (figures.edge_threshold)",
        # nilearn's colour bar needs at least one edge
        colorbar=n_edges > 0,
        figure=figure,
    )  # fmt: skip
    _legend(figure, labels, colours, "regions")
    _save(figure, path, dpi)


def plot_network(components_img, regions_img, index, labels, component, path, dpi=100):
    """One component beside the regions extracted from it, each named in a legend.

    Parameters
    ----------
    components_img : Niimg-like
        4D component maps.
    regions_img : Niimg-like
        4D regions image.
    index : sequence of int
        Component of each region (``RegionExtractor.index_``).
    labels : sequence of str
        Each region's label (``regions.tsv``'s ``label``).
    component : int
        Which component to show (volume index).
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    from nilearn import image
    from nilearn.plotting import cm, find_xyz_cut_coords, plot_anat, plot_stat_map

    component_img = image.index_img(components_img, component)
    coords = find_xyz_cut_coords(component_img)
    regions = [r for r, c in enumerate(index) if c == component]
    # each region in its colour of the regions' figure
    colours = region_colours(len(index))[regions]
    figure = plt.figure(figsize=(10, 6.4))
    # Titles above the slices rather than nilearn's boxes, which hide the
    # orientation marks; the right column holds the colour bar and the legend.
    figure.text(0.02, 0.97, f"Component {component}", fontsize=12, va="top")
    plot_stat_map(
        component_img, cut_coords=coords, colorbar=True, symmetric_cbar=True, figure=figure,
        axes=(0.0, 0.5, 0.86, 0.44),
    )  # fmt: skip
    figure.text(
        0.02, 0.49, f"{len(regions)} region{'s' * (len(regions) != 1)} from component {component}",
        fontsize=12, va="top",
    )  # fmt: skip
    display = plot_anat(
        cut_coords=coords, colorbar=False, figure=figure, axes=(0.0, 0.02, 0.8, 0.44)
    )
    for region, colour in zip(regions, colours, strict=True):
        display.add_overlay(image.index_img(regions_img, region), cmap=cm.alpha_cmap(colour))
    if regions:
        from matplotlib.patches import Patch

        figure.legend(
            handles=[Patch(facecolor=c, edgecolor="0.3", label=labels[r])
                     for r, c in zip(regions, colours, strict=True)],
            title="regions", loc="lower right", fontsize=8, title_fontsize=9, frameon=False,
        )  # fmt: skip
    _save(figure, path, dpi)


def plot_subject_quality(label, confounds, matrix, path, dpi=100):
    """One subject's head motion (framewise displacement) and correlation matrix.

    Parameters
    ----------
    label : str
        Subject label, for the title.
    confounds : pandas.DataFrame or None
        The subject's confounds file; FD is drawn when it has motion columns
        (see :data:`regions_connectome.quality.MOTION_CONVENTIONS`).
    matrix : pandas.DataFrame
        The subject's correlation matrix.
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    from regions_connectome.quality import framewise_displacement

    figure, (motion, connectome) = plt.subplots(
        1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.6, 1]}
    )
    fd = None if confounds is None else framewise_displacement(confounds)
    if fd is None:
        motion.text(0.5, 0.5, "no motion columns in the confounds", ha="center", va="center")
        motion.set_axis_off()
    else:
        motion.plot(fd.to_numpy(), color="tab:red", linewidth=1)
        motion.axhline(0.5, color="grey", linestyle="--", linewidth=0.8)
        motion.set_xlabel("volume")
        motion.set_ylabel("framewise displacement (mm)")
        motion.set_title(f"mean FD {fd.mean():.3f} mm, {int((fd > 0.5).sum())} volumes > 0.5 mm")
    image = connectome.imshow(matrix.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    connectome.set_title(f"correlation, {len(matrix)} regions")
    connectome.set_xticks([])
    connectome.set_yticks([])
    figure.colorbar(image, ax=connectome, fraction=0.046)
    figure.suptitle(f"sub-{label}")
    figure.tight_layout()
    _save(figure, path, dpi)


def plot_group_quality(matrices, group, path, dpi=100):
    """Distribution of connectivity values and the spread of subjects around the mean.

    Parameters
    ----------
    matrices : dict of str to pandas.DataFrame
        Each subject's correlation matrix, by label.
    group : pandas.DataFrame
        The group mean matrix.
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    from regions_connectome.quality import distance_to_group, off_diagonal

    labels = list(matrices)
    named = len(labels) <= MAX_LABELS
    width = max(10.0, 0.35 * min(len(labels), MAX_LABELS) + 6)
    figure, (values, spread) = plt.subplots(1, 2, figsize=(width, 4))
    values.boxplot(
        [off_diagonal(m) for m in matrices.values()] + [off_diagonal(group)],
        tick_labels=(labels if named else [""] * len(labels)) + ["mean"],
        flierprops={"markersize": 2},
    )
    values.set_ylabel("correlation (off-diagonal)")
    values.set_title("distribution of connectivity values")
    values.tick_params(axis="x", rotation=90)
    distances = distance_to_group([m.to_numpy() for m in matrices.values()], group.to_numpy())
    spread.bar(range(len(labels)), distances, color="tab:blue")
    if named:
        spread.set_xticks(range(len(labels)), labels, rotation=90)
    else:
        spread.set_xlabel(f"{len(labels)} subjects (group/qc.tsv names them)")
    spread.set_ylabel("RMS difference to the group mean")
    spread.set_title("subjects around the group mean")
    figure.tight_layout()
    _save(figure, path, dpi)


def plot_qcfc(edges, summary, path, dpi=100):
    """QC-FC: its distribution across edges and its dependence on distance.

    Parameters
    ----------
    edges : dict of numpy.ndarray
        ``qcfc``, ``p`` and ``distance`` per edge
        (:func:`regions_connectome.quality.qc_fc`).
    summary : dict
        Its summary: the numbers printed on the figure.
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    figure, (spread, distance) = plt.subplots(1, 2, figsize=(10, 4))
    tested = np.isfinite(edges["qcfc"])
    if tested.any():
        spread.hist(edges["qcfc"][tested], bins=30, range=(-1, 1), color="tab:blue")
        significant = tested & (edges["p"] < summary["Alpha"])
        distance.scatter(edges["distance"][tested], edges["qcfc"][tested], s=6, color="0.5")
        distance.scatter(
            edges["distance"][significant], edges["qcfc"][significant], s=6, color="tab:red",
            label=f"p < {summary['Alpha']}",
        )  # fmt: skip
        distance.legend(loc="upper right")
    else:
        spread.text(0.5, 0.5, "not computed:\nmean FD of at least 3 subjects needed",
                    ha="center", va="center", transform=spread.transAxes)  # fmt: skip
    spread.axvline(0.0, color="k", linewidth=0.8)
    spread.set_xlabel("QC-FC (correlation of an edge with mean FD)")
    spread.set_ylabel("edges")
    spread.set_title(
        f"{summary['PercentSignificant']:.1f}% of edges p < {summary['Alpha']} "
        f"({summary['PercentSignificantFDR']:.1f}% FDR); median |r| "
        f"{summary['MedianAbsQCFC']:.3f}",
        fontsize=9,
    )
    distance.axhline(0.0, color="k", linewidth=0.8)
    distance.set_xlabel("distance between region centres (mm)")
    distance.set_ylabel("QC-FC")
    distance.set_title(
        f"distance dependence: Spearman rho {summary['DistanceDependence']:.3f} "
        f"({summary['NumberOfUnits']} subjects)",
        fontsize=9,
    )
    figure.tight_layout()
    _save(figure, path, dpi)


def view_connectome_html(matrix, coords, path, edge_threshold="90%"):
    """The connectome as a standalone interactive 3D page (nilearn's view_connectome).

    Parameters
    ----------
    matrix : pandas.DataFrame
        Group matrix with region labels.
    coords : array-like, shape (n_regions, 3)
        MNI coordinates of the regions.
    path : str or pathlib.Path
        HTML file to write; it carries its scripts and opens offline.
    edge_threshold : str or float, default="90%"
        Edges shown, as for :func:`plot_connectome`.
    """
    from matplotlib.colors import to_hex
    from nilearn.plotting import view_connectome

    values, coords, drawn = drawable(matrix, coords)
    cutoff = edge_cutoff(values, edge_threshold)
    # nilearn's page hides |value| <= threshold (the figure: < threshold) and
    # draws both triangles: give it each edge once and the next float below.
    view = view_connectome(
        np.tril(values, k=-1),
        coords,
        edge_threshold=float(np.nextafter(cutoff, -np.inf)) if cutoff > 0 else 0.0,
        node_color=[to_hex(c) for c in region_colours(len(matrix))[drawn]],
        title=f"Mean correlation between {len(values)} regions",
    )
    with atomic_output(path, suffix=".html") as tmp:
        view.save_as_html(tmp)


def view_regions_html(regions_img, labels, path):
    """The regions over the MNI template, as an interactive page with a legend.

    Parameters
    ----------
    regions_img : Niimg-like
        4D region maps (each voxel coloured by the region that weighs most
        there) or a 3D image of labels, in the order of ``regions.tsv``.
    labels : sequence of str
        Each region's label (``regions.tsv``'s ``label``), named under the
        view in its colour.
    path : str or pathlib.Path
        HTML file to write (nilearn's view_img, standalone).
    """
    import html

    import nibabel as nib
    from matplotlib.colors import ListedColormap, to_hex
    from nilearn.image import load_img
    from nilearn.plotting import view_img

    img = load_img(regions_img)
    data = np.abs(np.asanyarray(img.dataobj))
    if data.ndim == 3:
        values = np.unique(data[data != 0])
        ranks = np.where(data != 0, np.searchsorted(values, data) + 1, 0)
    else:
        ranks = np.where(data.max(axis=3) > 0, data.argmax(axis=3) + 1, 0)
    # voxel value k + 1 is region k; colour k is its colour in every figure
    colours = region_colours(len(labels))
    view = view_img(
        nib.Nifti1Image(ranks.astype(np.float32), img.affine),
        threshold=0.5,
        # nilearn's colour scale needs two colours at least (one region)
        cmap=ListedColormap(np.vstack([colours] * (2 if len(colours) == 1 else 1))),
        symmetric_cmap=False,
        vmin=0.5,
        vmax=len(labels) + 0.5,
        colorbar=False,
        title=f"{len(labels)} regions",
        resampling_interpolation="nearest",
    )
    items = "".join(
        f'<li><span style="background:{to_hex(c)}"></span>{html.escape(str(name))}</li>'
        for name, c in zip(labels, colours, strict=True)
    )
    legend = (
        "<style>.regions-legend{columns:12em;list-style:none;font:13px sans-serif;padding:0 1em}"
        ".regions-legend span{display:inline-block;width:1em;height:1em;margin-right:.4em;"
        "vertical-align:middle;border:1px solid #555}</style>"
        f'<ul class="regions-legend" id="regions-legend">{items}</ul>'
    )
    page = view.get_standalone().replace("</body>", f"{legend}</body>", 1)
    with atomic_output(path, suffix=".html") as tmp:
        Path(tmp).write_text(page, encoding="utf-8")


def plot_edge_statistics(t, p_fwe, p_nbs, coords, path, alpha=0.05, title=None, dpi=100):
    """The contrast's t matrix with its significant edges, and those edges on a glass brain.

    Parameters
    ----------
    t, p_fwe, p_nbs : pandas.DataFrame
        Square matrices of the t statistic, the max-T family-wise p and the
        network-based statistic's component p (NaN where not tested).
    coords : array-like, shape (n_regions, 3)
        Node positions (MNI mm), in the matrices' order.
    path : str or pathlib.Path
        PNG to write.
    alpha : float, default=0.05
        Family-wise error rate of the marked edges.
    title : str or None, default=None
        Above both panels.
    dpi : int, default=100
        Resolution.
    """
    from nilearn.plotting import plot_connectome as nilearn_plot_connectome
    from nilearn.plotting import plot_matrix as nilearn_plot_matrix

    values = t.to_numpy(dtype=float)
    by_max_t = p_fwe.to_numpy(dtype=float) < alpha
    by_nbs = p_nbs.to_numpy(dtype=float) < alpha
    n = len(values)
    vmax = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    size = min(max(5.0, 0.25 * n + 3), 0.25 * MAX_LABELS + 3)
    figure = plt.figure(figsize=(2.2 * size, size))
    matrix_axes = figure.add_axes([0.06, 0.08, 0.42, 0.8])
    nilearn_plot_matrix(
        np.nan_to_num(values), labels=list(t.index) if n <= MAX_LABELS else None,
        vmin=-vmax, vmax=vmax, colorbar=True, axes=matrix_axes,
    )  # fmt: skip
    matrix_axes.set_title("t; x: max-T FWE, o: NBS FWE only", fontsize=9)
    rows, columns = np.nonzero(by_nbs & ~by_max_t)
    matrix_axes.scatter(columns, rows, s=12, facecolors="none", edgecolors="k", label="NBS")
    rows, columns = np.nonzero(by_max_t)
    matrix_axes.scatter(columns, rows, s=12, marker="x", c="k", label="max-T")
    significant = by_max_t | by_nbs
    n_edges = int(np.triu(significant, 1).sum())
    shown = np.where(significant, np.nan_to_num(values), 0.0)
    drawn = np.isfinite(np.asarray(coords, dtype=float)).all(axis=1)
    brain_axes = figure.add_axes([0.52, 0.08, 0.46, 0.8])
    nilearn_plot_connectome(
        shown[np.ix_(drawn, drawn)], np.asarray(coords, dtype=float)[drawn],
        node_size=10, axes=brain_axes, edge_vmin=-vmax, edge_vmax=vmax,
        edge_cmap="RdBu_r", colorbar=n_edges > 0, figure=figure,
        title=f"{n_edges} edge(s) at FWE < {alpha}" if n_edges
        else f"no edge at FWE < {alpha}",
    )  # fmt: skip
    if title:
        figure.suptitle(title)
    _save(figure, path, dpi)
