"""All subjects' matrices of every kind as one long table."""

from script_setup import start

start(snakemake)

from regions_connectome.connectivity import long_table
from regions_connectome.io import read_tsv, write_tsv

paths = iter(snakemake.input.relmats)
matrices = {
    (subject, kind): read_tsv(next(paths))
    for kind in snakemake.params.kinds
    for subject in snakemake.params.subjects
}
write_tsv(long_table(matrices), snakemake.output.table, index=False)
