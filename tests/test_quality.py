"""regions_connectome.quality: the quality measures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohorts import ADHD_FILES
from regions_connectome.denoising import read_confounds
from regions_connectome.quality import distance_to_group, framewise_displacement


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.stem)
def test_framewise_displacement_of_real_adhd_confounds(path):
    confounds = read_confounds(path)
    fd = framewise_displacement(confounds)
    assert len(fd) == len(confounds) and fd.iloc[0] == 0 and (fd >= 0).all()
    # ADHD-200 rotations are in degrees: arc length on a 50 mm sphere
    step = confounds.iloc[1] - confounds.iloc[0]
    expected = (
        step[["motion-x", "motion-y", "motion-z"]].abs().sum()
        + np.deg2rad(step[["motion-pitch", "motion-roll", "motion-yaw"]].abs()).sum() * 50
    )
    assert fd.iloc[1] == pytest.approx(expected)
    assert fd.mean() < 2.0, "FD of real data is a fraction of a millimetre on average"


def test_the_five_real_adhd_files_are_there():
    assert len(ADHD_FILES) == 5


def test_framewise_displacement_fmriprep_names_and_none():
    motion = pd.DataFrame(
        np.zeros((3, 6)), columns=["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    )
    motion.loc[2, "trans_x"], motion.loc[2, "rot_z"] = 0.3, 0.002
    np.testing.assert_allclose(framewise_displacement(motion), [0, 0, 0.3 + 0.002 * 50])
    assert framewise_displacement(pd.DataFrame({"csf": [1.0, 2.0]})) is None


def test_distance_to_group():
    group = np.array([[1, 0.5], [0.5, 1]])
    assert distance_to_group([group, group + 0.1], group) == pytest.approx([0, 0.1])
