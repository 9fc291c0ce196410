"""Plant the synthetic cohort's networks and write its ground truth."""

from regions_connectome.job import start

start(snakemake)

import numpy as np
import pandas as pd

from regions_connectome import synthetic
from regions_connectome.io import write_nifti, write_tsv

demo = snakemake.params.demo
mask = synthetic.brain_mask(demo["voxel_size"])
networks, blobs = synthetic.plant_networks(
    mask,
    demo["n_networks"],
    demo["blobs_per_network"],
    demo["blob_sigma_mm"],
    np.random.default_rng(demo["seed"]),
)
coupling = synthetic.coupling_matrix(demo["n_networks"])
names = [f"network{k}" for k in range(demo["n_networks"])]
write_nifti(mask, snakemake.output.brain_mask)
write_nifti(networks, snakemake.output.networks)
write_tsv(blobs, snakemake.output.blobs, index=False)
write_tsv(pd.DataFrame(coupling, index=names, columns=names), snakemake.output.coupling)
