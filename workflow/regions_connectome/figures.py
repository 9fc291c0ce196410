"""The example's figures, each written atomically to a PNG file."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from regions_connectome.io import atomic_output  # noqa: E402

METHOD_NAMES = {"dictlearning": "Dictionary Learning", "canica": "CanICA"}


def _save(figure, path, dpi):
    with atomic_output(path, suffix=".png") as tmp:
        figure.savefig(tmp, dpi=dpi, format="png")
    plt.close(figure)


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
    from nilearn.plotting import plot_prob_atlas

    figure = plt.figure(figsize=(10, 4))
    plot_prob_atlas(
        components_img,
        view_type="filled_contours",
        title=f"{METHOD_NAMES.get(method, method)} maps",
        draw_cross=False,
        figure=figure,
    )
    _save(figure, path, dpi)


def plot_regions(regions_img, n_components, path, dpi=100):
    """Regions as an atlas: filled contours of maps, or the labels in colours.

    Parameters
    ----------
    regions_img : Niimg-like
        4D region maps, or a 3D image of labels (applied regions).
    n_components : int or None
        Number of components they were extracted from, for the title (None
        for applied regions).
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    from nilearn.image import load_img
    from nilearn.plotting import plot_prob_atlas, plot_roi

    img = load_img(regions_img)
    labels = img.ndim == 3
    n_regions = len(np.unique(np.asarray(img.dataobj))) - 1 if labels else img.shape[-1]
    title = (
        f"{n_regions} regions applied"
        if n_components is None
        else f"{n_regions} regions are extracted from {n_components} components.\n"
        "Each separate color of region indicates extracted region"
    )
    figure = plt.figure(figsize=(10, 4))
    if labels:
        plot_roi(img, title=title, cmap="tab20", draw_cross=False, figure=figure)
    else:
        plot_prob_atlas(
            img, view_type="filled_contours", title=title, draw_cross=False, figure=figure
        )
    _save(figure, path, dpi)


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
    if kind in ("correlation", "partial correlation"):
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
        Defaults to "<Kind> between N regions" ("Tangent: group reference,
        N regions" for the tangent kind).
    dpi : int, default=100
        Resolution.
    kind : str, default="correlation"
        Connectivity kind, for the colour range (see :func:`matrix_range`).
    """
    from nilearn.plotting import plot_matrix as nilearn_plot_matrix

    n = len(matrix)
    if title is None:
        title = (
            f"Tangent: group reference, {n} regions"
            if kind == "tangent"
            else f"{kind.capitalize()} between {n} regions"
        )
    vmax = matrix_range(matrix.to_numpy(), kind)
    size = max(6.0, 0.3 * n + 3)
    figure = plt.figure(figsize=(size, size * 0.85))
    nilearn_plot_matrix(
        matrix.to_numpy(),
        labels=list(matrix.index),
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
    """
    values = matrix.to_numpy(dtype=float)
    coords = np.asarray(coords, dtype=float)
    drawn = np.isfinite(coords).all(axis=1) & ~np.isnan(np.diag(values))
    return np.nan_to_num(values[np.ix_(drawn, drawn)], nan=0.0), coords[drawn]


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

    values, coords = drawable(matrix, coords)
    figure = plt.figure(figsize=(10, 4))
    nilearn_plot_connectome(
        values,
        coords,
        edge_threshold=edge_threshold,
        title=title or f"Correlation between {len(values)} regions",
        figure=figure,
    )
    _save(figure, path, dpi)


def plot_network(components_img, regions_img, index, component, path, dpi=100):
    """One component beside the regions extracted from it, in distinct colours.

    Parameters
    ----------
    components_img : Niimg-like
        4D component maps.
    regions_img : Niimg-like
        4D regions image.
    index : sequence of int
        Component of each region (``RegionExtractor.index_``).
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
    figure, (left, right) = plt.subplots(2, 1, figsize=(8, 6))
    plot_stat_map(
        component_img,
        cut_coords=coords,
        colorbar=False,
        title=f"Component {component}",
        axes=left,
        figure=figure,
    )
    regions = [r for r, c in enumerate(index) if c == component]
    display = plot_anat(
        cut_coords=coords,
        title=f"{len(regions)} regions from component {component}",
        colorbar=False,
        axes=right,
        figure=figure,
    )
    colours = plt.get_cmap("tab10").colors
    for number, region in enumerate(regions):
        display.add_overlay(
            image.index_img(regions_img, region),
            cmap=cm.alpha_cmap(colours[number % len(colours)]),
        )
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
    width = max(10.0, 0.35 * len(labels) + 6)
    figure, (values, spread) = plt.subplots(1, 2, figsize=(width, 4))
    values.boxplot(
        [off_diagonal(m) for m in matrices.values()] + [off_diagonal(group)],
        tick_labels=labels + ["mean"],
        flierprops={"markersize": 2},
    )
    values.set_ylabel("correlation (off-diagonal)")
    values.set_title("distribution of connectivity values")
    values.tick_params(axis="x", rotation=90)
    distances = distance_to_group([m.to_numpy() for m in matrices.values()], group.to_numpy())
    spread.bar(range(len(labels)), distances, color="tab:blue")
    spread.set_xticks(range(len(labels)), labels, rotation=90)
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
        significant = tested & (edges["p"] < summary["alpha"])
        distance.scatter(edges["distance"][tested], edges["qcfc"][tested], s=6, color="0.5")
        distance.scatter(
            edges["distance"][significant], edges["qcfc"][significant], s=6, color="tab:red",
            label=f"p < {summary['alpha']}",
        )  # fmt: skip
        distance.legend(loc="upper right")
    else:
        spread.text(0.5, 0.5, "not computed:\nmean FD of at least 3 subjects needed",
                    ha="center", va="center", transform=spread.transAxes)  # fmt: skip
    spread.axvline(0.0, color="k", linewidth=0.8)
    spread.set_xlabel("QC-FC (correlation of an edge with mean FD)")
    spread.set_ylabel("edges")
    spread.set_title(
        f"{summary['percent_significant']:.1f}% of edges p < {summary['alpha']} "
        f"({summary['percent_significant_fdr']:.1f}% FDR); median |r| "
        f"{summary['median_abs_qcfc']:.3f}",
        fontsize=9,
    )
    distance.axhline(0.0, color="k", linewidth=0.8)
    distance.set_xlabel("distance between region centres (mm)")
    distance.set_ylabel("QC-FC")
    distance.set_title(
        f"distance dependence: Spearman rho {summary['distance_dependence']:.3f} "
        f"({summary['n_subjects']} subjects)",
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
    from nilearn.plotting import view_connectome

    values, coords = drawable(matrix, coords)
    view = view_connectome(
        values,
        coords,
        edge_threshold=edge_threshold,
        title=f"Mean correlation between {len(values)} regions",
    )
    with atomic_output(path, suffix=".html") as tmp:
        view.save_as_html(tmp)


def view_regions_html(regions_img, path):
    """The extracted regions over the MNI template, as an interactive page.

    Parameters
    ----------
    regions_img : Niimg-like
        4D region maps (each voxel coloured by the region that weighs most
        there, numbered from 1: ``regions.tsv``'s ``region`` plus one) or a
        3D image of labels (numbered from 1 in the order of their values).
    path : str or pathlib.Path
        HTML file to write (nilearn's view_img, standalone).
    """
    import nibabel as nib
    from nilearn.image import load_img
    from nilearn.plotting import view_img

    img = load_img(regions_img)
    data = np.abs(np.asanyarray(img.dataobj))
    if data.ndim == 3:
        # labels: numbered in the order of regions.tsv, from 1
        values = np.unique(data[data != 0])
        labels = np.searchsorted(values, data).astype(np.float32) + 1
        labels[data == 0] = 0
    else:
        labels = np.where(data.max(axis=3) > 0, data.argmax(axis=3) + 1, 0).astype(np.float32)
    n_regions = int(labels.max())
    view = view_img(
        nib.Nifti1Image(labels, img.affine),
        threshold=0.5,
        cmap="tab20",
        symmetric_cmap=False,
        vmin=0,
        vmax=float(labels.max()),
        colorbar=True,
        title=f"{n_regions} regions",
        resampling_interpolation="nearest",
    )
    with atomic_output(path, suffix=".html") as tmp:
        view.save_as_html(tmp)
