"""The science of the regions-connectome workflow, as small importable functions.

Modules: :mod:`.inputs` (the cohort), :mod:`.exclusions` (who is left out),
:mod:`.synthetic` (the demo cohort), :mod:`.niimg` and :mod:`.signals` (the
per-subject steps of nilearn, with numpy and SciPy only), :mod:`.denoising`
(confounds), :mod:`.decomposition` (group mask, per-subject reduction,
components), :mod:`.regions` (region extraction), :mod:`.kinds` (the
connectivity kinds), :mod:`.connectivity` (timeseries and matrices),
:mod:`.runs` (what one run's job computes), :mod:`.quality`,
:mod:`.statistics` (group statistics on edges),
:mod:`.figures`, :mod:`.provenance`, :mod:`.configuration`,
:mod:`.derivatives` (the BIDS derivatives dataset), :mod:`.io` (atomic
writers) and :mod:`.job` (the start of every rule script).
"""

__version__ = "0.14.0"

# Every module: the workflow copies these out of a module's source (workflow/rules/source.smk).
__all__ = [
    "configuration",
    "connectivity",
    "decomposition",
    "denoising",
    "derivatives",
    "exclusions",
    "figures",
    "inputs",
    "io",
    "job",
    "kinds",
    "niimg",
    "provenance",
    "quality",
    "regions",
    "runs",
    "signals",
    "statistics",
    "synthetic",
]
