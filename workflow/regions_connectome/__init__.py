"""The science of the regions-connectome workflow, as small importable functions.

Modules: :mod:`.inputs` (the cohort), :mod:`.synthetic` (the demo cohort),
:mod:`.decomposition` (group mask, per-subject reduction, components),
:mod:`.regions` (region extraction), :mod:`.connectivity` (timeseries and
matrices), :mod:`.figures` and :mod:`.io` (atomic writers).
"""
