"""Input layouts the tests build.

Real ADHD-200 confounds beside synthetic images, and a small but real fMRIPrep
derivatives tree.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from regions_connectome import synthetic
from regions_connectome.denoising import read_confounds
from testdata import ADHD_CONFOUNDS

ADHD_FILES = sorted(ADHD_CONFOUNDS.glob("*/*_regressors.csv"))
T_R = 2.0
# The demo cohort made small: the config section ``demo`` of quick end-to-end runs.
SMALL_DEMO = {"n_subjects": 3, "n_volumes": 60, "voxel_size": 6.0}


class Grid:
    """A synthetic brain at ``voxel_size`` mm with planted networks."""

    def __init__(self, voxel_size=6.0, seed=0):
        self.voxel_size = voxel_size
        self.mask = synthetic.brain_mask(voxel_size)
        self.networks, _ = synthetic.plant_networks(
            self.mask, 5, 3, 8.0, np.random.default_rng(seed)
        )
        self.coupling = synthetic.coupling_matrix(5)

    def image(self, n_volumes, seed):
        """A synthetic 4D image (float32 NIfTI) with ``n_volumes`` volumes."""
        bold, _, _ = synthetic.simulate_subject(
            self.networks, self.mask, self.coupling, n_volumes, np.random.default_rng(seed)
        )
        img = nib.Nifti1Image(bold, self.mask.affine)
        img.header.set_zooms((self.voxel_size,) * 3 + (T_R,))
        img.header.set_xyzt_units("mm", "sec")
        return img


def adhd_labels():
    """IDs of the real ADHD-200 confounds files, in file order."""
    return [path.parent.name for path in ADHD_FILES]


def fmriprep_confounds(adhd_file):
    """fMRIPrep-style confounds (names, units, ``n/a``) from a real ADHD-200 file.

    Motion (``motion-*``; rotations converted from degrees to radians), CSF,
    white matter, global signal and the five aCompCor components of the real
    file, with fMRIPrep's expansions (derivatives start with ``n/a``),
    framewise displacement, a DVARS-like series, cosine drift regressors and
    the JSON sidecar that nilearn's compcor strategy reads.

    Returns
    -------
    (pandas.DataFrame, dict)
        The table and its JSON sidecar.
    """
    raw = read_confounds(adhd_file)
    frame = pd.DataFrame(
        {
            "trans_x": raw["motion-x"],
            "trans_y": raw["motion-y"],
            "trans_z": raw["motion-z"],
            "rot_x": np.deg2rad(raw["motion-pitch"]),
            "rot_y": np.deg2rad(raw["motion-roll"]),
            "rot_z": np.deg2rad(raw["motion-yaw"]),
            "csf": raw["csf"],
            "white_matter": raw["wm"],
            "global_signal": raw["global"],
        }
    )
    for column in list(frame.columns):
        derivative = frame[column].diff()
        frame[f"{column}_derivative1"] = derivative
        frame[f"{column}_power2"] = frame[column] ** 2
        frame[f"{column}_derivative1_power2"] = derivative**2
    steps = frame[["trans_x", "trans_y", "trans_z"]].diff().abs().sum(axis=1) + 50 * frame[
        ["rot_x", "rot_y", "rot_z"]
    ].diff().abs().sum(axis=1)
    steps.iloc[0] = np.nan
    frame["framewise_displacement"] = steps
    # DVARS-like: about 1, above fMRIPrep's 1.5 only where the global signal
    # jumps by more than five standard deviations.
    dvars = raw["global"].diff().abs()
    frame["std_dvars"] = 1.0 + 0.1 * (dvars - dvars.mean()) / dvars.std()
    n = len(frame)
    n_cosines = int(np.floor(2 * n * T_R / 128.0))
    t = np.arange(n)
    for k in range(1, n_cosines + 1):
        frame[f"cosine{k - 1:02d}"] = np.sqrt(2.0 / n) * np.cos(np.pi * (2 * t + 1) * k / (2 * n))
    sidecar = {}
    for k in range(5):
        frame[f"a_comp_cor_{k:02d}"] = raw[f"compcor{k + 1}"]
        sidecar[f"a_comp_cor_{k:02d}"] = {
            "Method": "aCompCor",
            "Mask": "combined",
            "Retained": True,
            "SingularValue": float(5 - k),
            "VarianceExplained": 0.1,
            "CumulativeVarianceExplained": 0.1 * (k + 1),
        }
    return frame, sidecar


def write_fmriprep_tree(root, inputs, grid=None, space="MNI152NLin2009cAsym"):
    """Write a BIDS derivatives dataset as fMRIPrep lays it out.

    Parameters
    ----------
    root : pathlib.Path
        Folder of the dataset.
    inputs : list of dict
        One per run: ``subject``, optional ``session``, ``task`` and ``run``,
        and ``adhd`` (the real ADHD-200 file its confounds come from; the
        image has as many volumes as that file has rows).
    grid : Grid or None
        Where the images lie (a 6 mm grid by default).
    space : str
        The images' space entity.

    Returns
    -------
    list of pathlib.Path
        The images written.
    """
    grid = grid or Grid()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(
        json.dumps(
            {
                "Name": "fMRIPrep - test derivatives",
                "BIDSVersion": "1.8.0",
                "DatasetType": "derivative",
                "GeneratedBy": [{"Name": "fMRIPrep", "Version": "23.2.0"}],
            }
        )
    )
    images = []
    for k, entry in enumerate(inputs):
        sub = f"sub-{entry['subject']}"
        folder = root / sub
        parts = [sub]
        if entry.get("session"):
            folder = folder / f"ses-{entry['session']}"
            parts.append(f"ses-{entry['session']}")
        parts.append(f"task-{entry.get('task', 'rest')}")
        if entry.get("run"):
            parts.append(f"run-{entry['run']}")
        folder = folder / "func"
        folder.mkdir(parents=True, exist_ok=True)
        stem = "_".join(parts)
        confounds, sidecar = fmriprep_confounds(entry["adhd"])
        confounds.to_csv(
            folder / f"{stem}_desc-confounds_timeseries.tsv", sep="\t", index=False, na_rep="n/a"
        )
        (folder / f"{stem}_desc-confounds_timeseries.json").write_text(json.dumps(sidecar))
        image = folder / f"{stem}_space-{space}_desc-preproc_bold.nii.gz"
        grid.image(len(confounds), seed=[1, k]).to_filename(image)
        image.with_name(image.name.replace(".nii.gz", ".json")).write_text(
            json.dumps({"RepetitionTime": T_R, "SkullStripped": False})
        )
        images.append(image)
    return images


def write_adhd_sheet(folder, grid=None, files=ADHD_FILES, off_grid=()):
    """Synthetic images paired with the real ADHD-200 confounds files, and a sheet.

    Each image has as many volumes as its confounds file has rows (175 to
    261). Subjects in ``off_grid`` get an image on a 7 mm grid instead.

    Returns
    -------
    pathlib.Path
        The sample sheet.
    """
    grid = grid or Grid()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    other = Grid(voxel_size=7.0) if off_grid else None
    rows = []
    for k, path in enumerate(files):
        label = path.parent.name
        n_volumes = len(read_confounds(path))
        image = folder / f"{label}_bold.nii.gz"
        (other if label in off_grid else grid).image(n_volumes, seed=[2, k]).to_filename(image)
        rows.append((label, image.name, str(path)))
    sheet = folder / "subjects.tsv"
    pd.DataFrame(rows, columns=["subject", "func", "confounds"]).to_csv(
        sheet, sep="\t", index=False
    )
    return sheet
