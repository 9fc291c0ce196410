"""Imported first by every rule script.

Puts the workflow's package on ``sys.path`` (wherever Snakemake runs the
script from), sends the script's output, warnings and tracebacks to the
rule's ``log:`` file, and imports the libraries the job uses out of the
garbage collector's sight.
"""

import gc
import importlib
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def start(snakemake, uses=()):
    """Send this job's output to its log file; import what it uses, then freeze.

    nilearn 0.13 runs a full ``gc.collect()`` every time it reads an image's
    data, and a full collection walks every object the imported libraries
    made. The modules are imported here, then ``gc.freeze()`` moves their
    objects (which live as long as the job anyway) out of those collections;
    what the job creates afterwards is collected as usual, and its results
    are unchanged.

    Parameters
    ----------
    snakemake : snakemake.script.Snakemake
        The object Snakemake injects into the script.
    uses : sequence of str, default=()
        Modules the job calls, for instance ``"nilearn.maskers"``.
    """
    if snakemake.log:
        handle = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
        sys.stdout = sys.stderr = handle
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
    logging.getLogger("regions_connectome").info(
        "rule %s, wildcards %s, threads %s",
        snakemake.rule,
        dict(snakemake.wildcards),
        snakemake.threads,
    )
    for module in uses:
        importlib.import_module(module)
    gc.freeze()
