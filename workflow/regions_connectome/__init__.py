"""The science of the regions-connectome workflow, as small importable functions.

Modules: :mod:`.inputs` (the cohort), :mod:`.synthetic` (the demo cohort),
:mod:`.niimg` and :mod:`.signals` (the per-subject steps of nilearn, with
numpy and SciPy only), :mod:`.denoising` (confounds), :mod:`.decomposition`
(group mask, per-subject reduction, components), :mod:`.regions` (region
extraction), :mod:`.connectivity` (timeseries and matrices), :mod:`.quality`,
:mod:`.figures`, :mod:`.provenance`, :mod:`.configuration`, :mod:`.derivatives` (the BIDS
derivatives dataset) and :mod:`.io` (atomic writers).
"""

__version__ = "0.6.0"
