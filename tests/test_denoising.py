"""regions_connectome.denoising: the confounds reader the jobs and the checks use."""

from __future__ import annotations

import gzip

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from cohorts import ADHD_FILES, fmriprep_confounds
from regions_connectome.denoising import ConfoundsError, read_confounds, read_confounds_array
from regions_connectome.inputs import InputError, check_inputs


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.parent.name)
def test_the_lean_reader_reads_what_pandas_reads_on_real_files(path):
    frame = read_confounds(path)
    names, values = read_confounds_array(path)
    assert names == list(frame.columns)
    np.testing.assert_array_equal(values, frame.to_numpy(dtype=float))


def test_the_lean_reader_fills_fmriprep_leading_gaps_as_pandas(tmp_path):
    frame, _ = fmriprep_confounds(ADHD_FILES[0])
    path = tmp_path / "sub-01_desc-confounds_timeseries.tsv"
    frame.to_csv(path, sep="\t", index=False, na_rep="n/a")
    columns = ["trans_x_derivative1", "framewise_displacement", "csf"]
    names, values = read_confounds_array(path, columns)
    assert names == columns and not np.isnan(values).any()
    np.testing.assert_array_equal(values, read_confounds(path, columns).to_numpy(dtype=float))


def bad_files(folder):
    """Confounds files of the kinds labs have, none of them usable as is."""
    good = "a\tb\n1\t2\n3\t4\n5\t6\n"
    files = {
        "empty.tsv": (b"", "is empty"),
        "header_only.tsv": (b"a\tb\n", "has a header row but no values"),
        "compressed.tsv": (gzip.compress(good.encode()), "is not UTF-8 text"),
        "latin1.tsv": ("a\tb\xe9\n1\t2\n3\t4\n5\t6\n".encode("latin-1"), "is not UTF-8 text"),
        "text.tsv": (b"a\tb\n1\tx\n3\t4\n5\t6\n", r"column 'b' is not numeric \(row 1: 'x'\)"),
        "inf.tsv": (b"a\tb\n1\t2\n3\tinf\n5\t6\n", r"column 'b' has infinite values \(rows \[1\]"),
        "gap.tsv": (b"a\tb\n1\t2\n3\tn/a\n5\t6\n", r"column 'b' has missing values in rows \[1\]"),
        "void.tsv": (b"a\tb\n1\tn/a\n3\tn/a\n5\tn/a\n", r"column\(s\) \['b'\] hold no value"),
    }
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    return {folder / name: message for name, (_, message) in files.items()}


def test_every_unusable_confounds_file_gets_a_message_naming_it(tmp_path):
    for path, message in bad_files(tmp_path).items():
        with pytest.raises(ConfoundsError, match=f"confounds file {path}.*{message}"):
            read_confounds_array(path)


def test_the_check_before_any_job_names_subject_and_file(tmp_path):
    image = tmp_path / "bold.nii.gz"
    data = np.random.default_rng(0).normal(size=(4, 4, 4, 3)).astype(np.float32)
    nib.Nifti1Image(data, np.eye(4)).to_filename(image)
    settings = {"columns": "all", "strategy": None, "options": {}}
    for path, message in bad_files(tmp_path).items():
        table = pd.DataFrame(
            {"func": [str(image)], "confounds": [str(path)]}, index=pd.Index(["07"])
        )
        with pytest.raises(InputError, match=f"subject 07: confounds file {path}.*{message}"):
            check_inputs(table, settings)


def test_too_few_volumes_say_why(tmp_path):
    from regions_connectome.denoising import select_confounds

    path = tmp_path / "short.tsv"
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(12, 6)), columns=list("abcdef")).to_csv(
        path, sep="\t", index=False
    )
    settings = {"columns": "all", "strategy": None, "min_degrees_of_freedom": 10}
    with pytest.raises(ConfoundsError, match="the scan is too short for these confounds") as error:
        select_confounds("short_bold.nii.gz", path, settings, n_volumes=12)
    assert "scrubbing" not in str(error.value)
