"""Fixtures: a small synthetic cohort on disk, planted networks, one simulated subject.

What the tests share besides fixtures is in ``helpers.py``.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

import helpers  # noqa: F401  (puts the workflow's package on the path first)
from regions_connectome import synthetic
from regions_connectome.regions import extract_regions
from regions_connectome.synthetic import write_cohort


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory):
    """Three synthetic subjects at 6 mm, 60 volumes, with a sample sheet."""
    return write_cohort(tmp_path_factory.mktemp("cohort"))


@pytest.fixture(scope="session")
def planted():
    """A 6 mm brain mask with four planted networks of separate blobs."""
    mask = synthetic.brain_mask(6.0)
    networks, blobs = synthetic.plant_networks(mask, 4, 3, 8.0, np.random.default_rng(1))
    return mask, networks, blobs


@pytest.fixture(scope="session")
def subject(planted):
    """One simulated subject (image, confounds) and the regions of the planted networks."""
    mask, networks, _ = planted
    coupling = synthetic.coupling_matrix(4)
    bold, confounds, _ = synthetic.simulate_subject(
        networks, mask, coupling, 80, np.random.default_rng(3)
    )
    img = nib.Nifti1Image(bold, mask.affine)
    regions_img, index = extract_regions(
        networks, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    return img, confounds, regions_img, index
