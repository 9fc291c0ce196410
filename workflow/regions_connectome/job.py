"""The start of every rule script (``from regions_connectome.job import start``).

Sends the script's output, warnings and tracebacks to the rule's ``log:``
file, and imports the libraries the job uses out of the garbage collector's
sight. The scripts find the package through ``PYTHONPATH``, which the
workflow sets wherever Snakemake reads it from (``workflow/rules/source.smk``).
"""

import atexit
import collections
import gc
import importlib
import logging
import sys
import warnings


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
    _collapse_repeated_warnings()
    logging.getLogger("regions_connectome").info(
        "rule %s, wildcards %s, threads %s",
        snakemake.rule,
        dict(snakemake.wildcards),
        snakemake.threads,
    )
    for module in uses:
        importlib.import_module(module)
    gc.freeze()


def _collapse_repeated_warnings():
    """Log each warning once per place it comes from, and how often it came.

    scikit-learn warns at every iteration that does not converge, and
    nilearn's ``catch_warnings`` blocks reset Python's once-per-place
    registry: a decomposition would log thousands of identical lines.
    """
    show = warnings.showwarning
    counts = collections.Counter()
    first = {}

    def show_once(message, category, filename, lineno, file=None, line=None):
        key = (category, filename, lineno)
        counts[key] += 1
        if counts[key] == 1:
            first[key] = str(message).splitlines()[0][:200]
            show(message, category, filename, lineno, file, line)

    def summary():
        for (category, filename, lineno), count in counts.items():
            if count > 1:
                logging.getLogger("py.warnings").warning(
                    "%s (%s:%d) was raised %d times in all: %s",
                    category.__name__, filename, lineno, count, first[(category, filename, lineno)],
                )  # fmt: skip

    warnings.showwarning = show_once
    atexit.register(summary)
