"""Whether a run's image data can be used, read once before the group stages."""

from regions_connectome.job import start

start(snakemake)

from regions_connectome.exclusions import unusable_data
from regions_connectome.io import write_json

params = snakemake.params
reason = unusable_data(snakemake.input.func, params.label, params.epi_mask)
write_json({"InputLabel": params.label, "Reason": reason}, snakemake.output.check)
