"""regions_connectome.figures: the figures."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from browser import DRAWN_EDGES, browser_page, needs_chromium
from regions_connectome.figures import (
    edge_cutoff,
    matrix_range,
    plot_connectome,
    plot_network,
    view_connectome_html,
)
from regions_connectome.regions import extract_regions


def test_a_component_without_region_still_gets_its_figure(planted, tmp_path):
    """Documented: a component with no region left is drawn with "0 regions"."""
    mask, networks, _ = planted
    data = np.asarray(networks.dataobj).copy()
    data[..., 3] = 0
    data[tuple(np.argwhere(mask.get_fdata() > 0)[0]) + (3,)] = 1.0  # one lone voxel
    components = nib.Nifti1Image(data, networks.affine)
    regions_img, index = extract_regions(
        components, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    assert 3 not in index and {0, 1, 2} <= set(index)
    path = tmp_path / "network-3.png"
    labels = [f"r{k}" for k in range(len(index))]
    plot_network(components, regions_img, index, labels, 3, path, dpi=50)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_matrix_range_per_kind():
    matrix = np.array([[5.0, -0.2], [-0.2, 3.0]])
    assert matrix_range(matrix, "correlation") == 1.0
    assert matrix_range(matrix, "covariance") == pytest.approx(0.2)


def static_edges(matrix, coords, edge_threshold):
    """Edges nilearn's plot_connectome draws, given what the workflow gives it."""
    from nilearn.plotting import plot_connectome

    values = matrix.to_numpy()
    display = plot_connectome(
        values, coords, edge_threshold=edge_cutoff(values, edge_threshold), colorbar=False
    )
    drawn = len(display.axes["x"].ax.lines)
    display.close()
    return drawn


@needs_chromium
@pytest.mark.parametrize("edge_threshold", ["90%", "50%", "0%", 0.3, 0.99])
def test_interactive_connectome_draws_the_edges_of_the_figure(tmp_path, edge_threshold):
    """The page, opened in Chromium, shows the PNG's edges: never a self-edge, none missing."""
    rng = np.random.default_rng(0)
    n = 12
    signals = rng.standard_normal((200, n)) + rng.standard_normal((200, 1))
    matrix = pd.DataFrame(np.corrcoef(signals.T), index=[f"r{k}" for k in range(n)])
    matrix.columns = matrix.index
    coords = rng.uniform(-60, 60, size=(n, 3))
    page = tmp_path / "connectome.html"
    view_connectome_html(matrix, coords, page, edge_threshold=edge_threshold)
    with browser_page() as (tab, errors):
        tab.goto(page.as_uri(), wait_until="load")
        tab.wait_for_timeout(1000)
        drawn = tab.evaluate(DRAWN_EDGES)
    off_diagonal = np.abs(matrix.to_numpy()[np.tril_indices(n, k=-1)])
    expected = int((off_diagonal >= edge_cutoff(matrix.to_numpy(), edge_threshold)).sum())
    assert errors == []
    assert drawn == static_edges(matrix, coords, edge_threshold) == expected
    if edge_threshold == "90%":
        assert expected == int(np.ceil(0.1 * off_diagonal.size))
    # the workflow's figure, also when no edge reaches the threshold
    plot_connectome(matrix, coords, tmp_path / "connectome.png", edge_threshold, dpi=40)
    assert (tmp_path / "connectome.png").read_bytes().startswith(b"\x89PNG")


def test_every_colour_is_named_with_the_tables_labels(planted, tmp_path, monkeypatch):
    """One numbering: legends list regions.tsv's labels, each in its region's colour."""
    from matplotlib.colors import to_rgb

    from regions_connectome import figures

    drawn = {}

    def keep(figure, path, dpi):
        drawn[path.name] = figure

    monkeypatch.setattr(figures, "_save", keep)
    mask, networks, _ = planted
    regions_img, index = extract_regions(
        networks, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    labels = [f"r{k:02d}_c{c}" for k, c in enumerate(index)]
    figures.plot_components(networks, tmp_path / "components.png")
    figures.plot_regions(regions_img, labels, 4, tmp_path / "regions.png")
    figures.plot_network(networks, regions_img, index, labels, 1, tmp_path / "network-1.png")
    matrix = pd.DataFrame(np.eye(len(labels)), index=labels, columns=labels)
    centres = np.random.default_rng(0).uniform(-50, 50, (len(labels), 3))
    figures.plot_connectome(matrix, centres, tmp_path / "connectome.png", 0.5)

    def legend(name):
        (box,) = drawn[name].legends
        return [t.get_text() for t in box.get_texts()], [
            to_rgb(patch.get_facecolor()) for patch in box.get_patches()
        ]

    colours = [tuple(c) for c in figures.region_colours(len(labels))]
    assert legend("regions.png") == (labels, colours)
    assert legend("connectome.png") == (labels, colours)
    assert legend("components.png")[0] == [f"component {k}" for k in range(4)]
    of_component_1 = [k for k, c in enumerate(index) if c == 1]
    assert legend("network-1.png") == (
        [labels[k] for k in of_component_1],
        [colours[k] for k in of_component_1],
    )


def test_figures_of_many_regions_stay_bounded(tmp_path):
    """1000 regions: at most MAX_EDGES edges, a matrix figure of bounded size without labels."""
    import struct

    from regions_connectome import figures

    n = 1000
    rng = np.random.default_rng(0)
    matrix = np.corrcoef(rng.standard_normal((300, n)).T)
    cutoff = edge_cutoff(matrix, "90%")
    edges = np.abs(matrix[np.tril_indices(n, k=-1)])
    assert (edges >= cutoff).sum() == figures.MAX_EDGES < (edges >= np.percentile(edges, 90)).sum()
    labels = [f"region{k:04d}" for k in range(n)]
    path = tmp_path / "matrix.png"
    figures.plot_matrix(pd.DataFrame(matrix, index=labels, columns=labels), path, dpi=50)
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the PNG header
    assert width <= 0.3 * figures.MAX_LABELS * 50 + 3 * 50 and height <= width


def test_one_component_and_one_region_are_drawn(planted, tmp_path):
    """n_components: 1, or an atlas of one region: every figure still drawn."""
    from regions_connectome import figures

    _, networks, _ = planted
    one = nib.Nifti1Image(np.asarray(networks.dataobj)[..., :1], networks.affine)
    figures.plot_components(one, tmp_path / "components.png", dpi=40)
    figures.plot_regions(one, ["r00_c0"], 1, tmp_path / "regions.png", dpi=40)
    figures.plot_network(one, one, [0], ["r00_c0"], 0, tmp_path / "network-0.png", dpi=40)
    figures.view_regions_html(one, ["r00_c0"], tmp_path / "regions.html")
    matrix = pd.DataFrame([[1.0]], index=["r00_c0"], columns=["r00_c0"])
    figures.plot_connectome(matrix, [[0.0, 0.0, 0.0]], tmp_path / "connectome.png", dpi=40)
    figures.view_connectome_html(matrix, [[0.0, 0.0, 0.0]], tmp_path / "connectome.html")
    figures.plot_matrix(matrix, tmp_path / "matrix.png", dpi=40)
    assert len(list(tmp_path.iterdir())) == 7


def test_a_figure_that_cannot_be_drawn_says_why_and_the_run_goes_on(tmp_path, caplog):
    from regions_connectome.figures import or_why_not

    png, page = tmp_path / "matrix.png", tmp_path / "regions.html"
    with or_why_not(png):
        plot_network(None, None, [0], ["r0"], 3, png)  # no image to draw from
    with or_why_not(page):
        raise ValueError("a region without voxels")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "a region without voxels" in page.read_text()
    assert "matrix.png could not be drawn" in caplog.text


@pytest.mark.parametrize("n_significant", [0, 3])
def test_edge_statistics_are_drawn_with_or_without_a_significant_edge(tmp_path, n_significant):
    """Drawn without a significant edge too (nilearn's colour bar needs an edge)."""
    import struct

    from regions_connectome.figures import plot_edge_statistics

    n = 8
    rng = np.random.default_rng(0)
    labels = [f"r{k}" for k in range(n)]
    t = rng.normal(size=(n, n))
    t = (t + t.T) / 2
    np.fill_diagonal(t, np.nan)
    p = np.ones((n, n))
    for k in range(n_significant):
        p[k, k + 1] = p[k + 1, k] = 0.01
    frame = lambda values: pd.DataFrame(values, index=labels, columns=labels)  # noqa: E731
    path = tmp_path / "statistics.png"
    coords = rng.uniform(-60, 60, size=(n, 3))
    plot_edge_statistics(frame(t), frame(p), frame(np.full((n, n), np.nan)), coords, path, dpi=40)
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    assert width > 2 * height > 0
