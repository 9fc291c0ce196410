"""The group mean of the subjects' connectivity matrices."""

from script_setup import start

start(snakemake)

from regions_connectome.connectivity import group_mean
from regions_connectome.io import read_tsv, write_tsv

write_tsv(group_mean(read_tsv(p) for p in snakemake.input.relmats), snakemake.output.relmat)
