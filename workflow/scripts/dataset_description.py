"""dataset_description.json and .bidsignore of the derivatives dataset."""

from script_setup import start

start(snakemake)

from regions_connectome import __version__
from regions_connectome.derivatives import BIDSIGNORE, dataset_description
from regions_connectome.io import atomic_output, write_json

params = snakemake.params
write_json(
    dataset_description("regions_connectome", __version__, params.code_url, params.sources),
    snakemake.output.description,
)
with atomic_output(snakemake.output.bidsignore) as tmp:
    tmp.write_text("\n".join(BIDSIGNORE) + "\n")
