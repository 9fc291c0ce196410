"""Quality figures: each subject's motion and matrix, the group's spread."""

from script_setup import start

start(snakemake, uses=("matplotlib.pyplot",))

from regions_connectome.connectivity import relmat_keys
from regions_connectome.denoising import read_confounds
from regions_connectome.figures import plot_group_quality, plot_subject_quality
from regions_connectome.io import read_tsv

matrices = {subject: read_tsv(path) for (subject, _), path in relmat_keys(snakemake.input.relmats)}
for (label, files), path in zip(
    snakemake.params.subjects.items(), snakemake.output.subjects, strict=True
):
    confounds = read_confounds(files["confounds"]) if files["confounds"] else None
    plot_subject_quality(label, confounds, matrices[label], path, dpi=snakemake.params.dpi)
plot_group_quality(
    matrices, read_tsv(snakemake.input.group), snakemake.output.group, dpi=snakemake.params.dpi
)
