"""regions_connectome.io: the atomic writers and readers."""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from regions_connectome.io import (
    atomic_output,
    read_json,
    read_tsv,
    write_arrays,
    write_json,
    write_nifti,
    write_tsv,
)


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_outputs_get_the_permissions_of_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_tsv(pd.DataFrame({"a": [1.0]}), tmp_path / "shared.tsv")
    finally:
        os.umask(previous)
    assert (tmp_path / "shared.tsv").stat().st_mode & 0o777 == 0o640


def test_write_arrays_gives_equal_files_for_equal_arrays(tmp_path):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    write_arrays(tmp_path / "a.npz", data=data, varies=data[0] > 1)
    os.utime(tmp_path / "a.npz", (0, 0))
    write_arrays(tmp_path / "b.npz", data=data, varies=data[0] > 1)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = np.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(loaded["data"], data)
    assert loaded["varies"].tolist() == [False, False, True, True]


def test_write_nifti_keeps_float_data_with_a_uint8_header(tmp_path):
    header_from_mask = nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4)).header
    img = nib.Nifti1Image(np.full((2, 2, 2), 0.123456, np.float32), np.eye(4), header_from_mask)
    write_nifti(img, tmp_path / "x.nii.gz")
    back = nib.load(tmp_path / "x.nii.gz")
    assert back.get_data_dtype() == np.float32
    np.testing.assert_array_equal(back.get_fdata(), img.get_fdata())


def test_tsv_round_trip_keeps_nine_digits(tmp_path):
    frame = pd.DataFrame(
        [[1 / 3, -2 / 7]], index=pd.Index(["a"], name="region"), columns=["a", "b"]
    )
    write_tsv(frame, tmp_path / "m.tsv")
    np.testing.assert_allclose(read_tsv(tmp_path / "m.tsv").to_numpy(), frame.to_numpy(), rtol=1e-8)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_names_the_output_and_keeps_nothing(tmp_path):
    import subprocess

    folder = tmp_path / "full"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
    try:
        big = pd.DataFrame(np.random.default_rng(0).normal(size=(2000, 20)))
        target = folder / "table.tsv"
        with pytest.raises(OSError, match=f"could not write {target}: no space left"):
            write_tsv(big, target)
        assert list(folder.iterdir()) == []
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_concat_tsv_keeps_one_header_and_refuses_another(tmp_path):
    from regions_connectome.io import concat_tsv

    a, b, c = tmp_path / "a.tsv", tmp_path / "b.tsv", tmp_path / "c.tsv"
    a.write_text("subject\tx\n01\t1\n")
    b.write_text("subject\tx\n02\tn/a\n")
    c.write_text("subject\ty\n03\t3\n")
    concat_tsv([a, b], tmp_path / "all.tsv")
    assert (tmp_path / "all.tsv").read_text() == "subject\tx\n01\t1\n02\tn/a\n"
    with pytest.raises(ValueError, match="c.tsv: its header differs"):
        concat_tsv([a, c], tmp_path / "bad.tsv")
    assert not (tmp_path / "bad.tsv").exists()


def test_json_round_trip_and_a_cache_not_written_yet(tmp_path):
    path = tmp_path / "sidecar.json"
    write_json({"b": [1, 2], "a": None}, path)
    assert read_json(path) == {"a": None, "b": [1, 2]}
    assert read_json(tmp_path / "absent.json", if_missing={}) == {}
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "absent.json")
