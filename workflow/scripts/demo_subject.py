"""Simulate one subject of the synthetic cohort."""

from regions_connectome.job import start

start(snakemake)

import nibabel as nib
import numpy as np
import pandas as pd

from regions_connectome import synthetic
from regions_connectome.io import read_tsv, write_nifti, write_tsv

demo = snakemake.params.demo
mask = nib.load(snakemake.input.brain_mask)
coupling = read_tsv(snakemake.input.coupling)
difference = demo["group_difference"]
subject_coupling = synthetic.group_coupling(
    coupling.to_numpy(), snakemake.params.group, difference["pairs"], difference["cohens_d"],
    demo["n_volumes"],
)  # fmt: skip
rng = np.random.default_rng([demo["seed"], int(snakemake.wildcards.subject)])
bold, confounds, truth = synthetic.simulate_subject(
    nib.load(snakemake.input.networks), mask, subject_coupling, demo["n_volumes"], rng,
    motion_amplitude=demo["motion_amplitude"], motion_spread=demo["motion_spread"],
    motion_leak=demo["motion_leak"],
)  # fmt: skip
img = nib.Nifti1Image(bold, mask.affine)
img.header.set_zooms((*mask.header.get_zooms()[:3], demo["t_r"]))
img.header.set_xyzt_units("mm", "sec")
write_nifti(img, snakemake.output.func)
write_tsv(confounds, snakemake.output.confounds, index=False)
write_tsv(pd.DataFrame(truth, columns=coupling.columns), snakemake.output.truth, index=False)
