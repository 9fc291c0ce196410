"""regions_connectome.figures: the figures."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from regions_connectome.figures import matrix_range, plot_network
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
    plot_network(components, regions_img, index, 3, path, dpi=50)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_matrix_range_per_kind():
    matrix = np.array([[5.0, -0.2], [-0.2, 3.0]])
    assert matrix_range(matrix, "correlation") == 1.0
    assert matrix_range(matrix, "covariance") == pytest.approx(0.2)
