"""regions_connectome.provenance: the provenance record and methods text."""

from __future__ import annotations

from regions_connectome.provenance import file_record, methods_text, software_versions


def test_methods_text_follows_the_config():
    config = {
        "mask": "template",
        "confounds": {"columns": ["csf", "wm"]},
        "connectivity_kinds": ["correlation"],
        "decomposition": {
            "method": "canica", "n_components": 20, "smoothing_fwhm": 6.0, "detrend": True,
            "random_state": 0, "threshold": "auto", "n_init": 10,
        },
        "regions": {
            "threshold": 0.5, "thresholding_strategy": "ratio_n_voxels",
            "extractor": "local_regions", "min_region_size": 1350, "smoothing_fwhm": 6.0,
            "standardize": True,
        },
    }  # fmt: skip
    text = methods_text(config, 5, [175, 176, 261], True)
    assert "5 subjects (175 to 261 volumes each)" in text
    assert "CanICA" in text and "20 group components" in text
    assert "MNI152 brain mask" in text and "`csf`, `wm`" in text
    assert "Varoquaux G. et al. (2010). A group model" in text and "tangent" not in text


def test_software_versions_and_file_record(tmp_path):
    versions = software_versions()
    assert versions["nilearn"].startswith("0.") and versions["python"].count(".") == 2
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    record = file_record(path)
    assert record["bytes"] == 3
    assert record["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
