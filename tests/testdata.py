"""Real data the tests use, found or fetched, never assumed.

- The ADHD-200 confounds of five participants are small and committed
  (``tests/data/adhd200``).
- The real resting-state run (66 MB) comes from the published wheel of
  ``rapidtide`` 2.4.0 on PyPI, which ships it as example data: found in
  ``$REGIONS_CONNECTOME_TEST_DATA/real_bold`` or ``../shared/data/real_bold``,
  else downloaded once with pip into ``tests/data/real_bold`` (git-ignored)
  and checked by its SHA-256. Offline, the tests that need it are skipped
  with a reason that says how to get it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ADHD_CONFOUNDS = HERE / "data" / "adhd200" / "data"
ADHD_PHENOTYPES = HERE / "data" / "adhd200" / "ADHD200_40subs_motion_parameters_and_phenotypics.csv"

REAL_BOLD_WHEEL = "rapidtide==2.4.0"
REAL_BOLD_MEMBERS = {  # file in the wheel -> (name here, SHA-256)
    "rapidtide/data/examples/src/sub-HAPPYTEST.nii.gz": (
        "sub-happy_task-rest_bold.nii.gz",
        "e670ebe43980436c3490297f0a24677f6d2edf2ce38e3245a923f1ec2ccc101e",
    ),
    "rapidtide/data/examples/src/sub-HAPPYTEST_mcf.par": (
        "sub-happy_task-rest_desc-mcflirt_motion.par",
        "df050746a11e1cc99e1f0a3243178fa681ad00ab42f5f4667b2833ee92dc6e83",
    ),
}
HOW_TO_GET = (
    f"the real run comes from the wheel of {REAL_BOLD_WHEEL} on PyPI: run `make test-data` "
    "with access to PyPI, or set REGIONS_CONNECTOME_TEST_DATA to a folder holding real_bold/"
)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete(folder):
    return all((folder / name).is_file() for name, _ in REAL_BOLD_MEMBERS.values())


def real_bold_candidates():
    """Folders where the real run may already be, in the order they are tried."""
    folders = []
    if os.environ.get("REGIONS_CONNECTOME_TEST_DATA"):
        folders.append(Path(os.environ["REGIONS_CONNECTOME_TEST_DATA"]) / "real_bold")
    folders += [HERE.parents[1] / "shared" / "data" / "real_bold", HERE / "data" / "real_bold"]
    return folders


def fetch_real_bold(destination=HERE / "data" / "real_bold"):
    """Download the wheel with pip, extract the run, check its checksums.

    Returns
    -------
    pathlib.Path
        ``destination``, holding the two files under their names here.

    Raises
    ------
    RuntimeError
        When pip cannot download the wheel or a checksum differs; nothing
        is left in ``destination`` then.
    """
    with tempfile.TemporaryDirectory() as tmp:
        process = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--quiet", "--dest", tmp, REAL_BOLD_WHEEL],
            capture_output=True, text=True,
        )  # fmt: skip
        wheels = list(Path(tmp).glob("*.whl"))
        if process.returncode != 0 or not wheels:
            raise RuntimeError(f"pip download {REAL_BOLD_WHEEL} failed: {process.stderr[-500:]}")
        staging = Path(tmp) / "real_bold"
        staging.mkdir()
        with zipfile.ZipFile(wheels[0]) as wheel:
            for member, (name, checksum) in REAL_BOLD_MEMBERS.items():
                with wheel.open(member) as source, open(staging / name, "wb") as target:
                    shutil.copyfileobj(source, target)
                if _sha256(staging / name) != checksum:
                    raise RuntimeError(f"{member} of {wheels[0].name}: SHA-256 differs")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(destination, ignore_errors=True)
        shutil.move(staging, destination)
    return destination


def real_bold_folder(fetch=True):
    """The folder of the real run, fetched if absent; skips the test if it cannot be had."""
    for folder in real_bold_candidates():
        if _complete(folder):
            return folder
    if fetch:
        try:
            return fetch_real_bold()
        except RuntimeError as error:
            pytest.skip(f"{HOW_TO_GET} ({error})")
    pytest.skip(HOW_TO_GET)


if __name__ == "__main__":
    found = next((f for f in real_bold_candidates() if _complete(f)), None)
    print(f"real run: {found or fetch_real_bold()}")
