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
    """Extracted regions as a probabilistic atlas (filled contours).

    Parameters
    ----------
    regions_img : Niimg-like
        4D regions image.
    n_components : int
        Number of components they were extracted from, for the title.
    path : str or pathlib.Path
        PNG to write.
    dpi : int, default=100
        Resolution.
    """
    from nilearn.image import load_img
    from nilearn.plotting import plot_prob_atlas

    n_regions = load_img(regions_img).shape[-1]
    figure = plt.figure(figsize=(10, 4))
    plot_prob_atlas(
        regions_img,
        view_type="filled_contours",
        title=(
            f"{n_regions} regions are extracted from {n_components} components.\n"
            "Each separate color of region indicates extracted region"
        ),
        draw_cross=False,
        figure=figure,
    )
    _save(figure, path, dpi)


def plot_matrix(matrix, path, title=None, dpi=100):
    """A labelled connectivity matrix with a colour bar, values in [-1, 1].

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square matrix with region labels as index and columns.
    path : str or pathlib.Path
        PNG to write.
    title : str or None, default=None
        Defaults to "Correlation between N regions".
    dpi : int, default=100
        Resolution.
    """
    from nilearn.plotting import plot_matrix as nilearn_plot_matrix

    n = len(matrix)
    size = max(6.0, 0.3 * n + 3)
    figure = plt.figure(figsize=(size, size * 0.85))
    nilearn_plot_matrix(
        matrix.to_numpy(),
        labels=list(matrix.index),
        vmin=-1,
        vmax=1,
        colorbar=True,
        title=title or f"Correlation between {n} regions",
        figure=figure,
    )
    _save(figure, path, dpi)


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

    figure = plt.figure(figsize=(10, 4))
    nilearn_plot_connectome(
        matrix.to_numpy(),
        np.asarray(coords, dtype=float),
        edge_threshold=edge_threshold,
        title=title or f"Correlation between {len(matrix)} regions",
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
