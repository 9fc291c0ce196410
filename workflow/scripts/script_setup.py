"""Imported first by every rule script.

Puts the workflow's package on ``sys.path`` (wherever Snakemake runs the
script from) and sends the script's output, warnings and tracebacks to the
rule's ``log:`` file.
"""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def start(snakemake):
    """Send stdout, stderr and warnings of this job to its log file.

    Parameters
    ----------
    snakemake : snakemake.script.Snakemake
        The object Snakemake injects into the script.
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
