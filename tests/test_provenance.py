"""regions_connectome.provenance: the provenance record and methods text."""

from __future__ import annotations

import re

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
            "standardize": True, "min_coverage": 0.5,
        },
    }  # fmt: skip
    text = methods_text(config, 5, [175, 176, 261], [])
    assert "5 subjects (175 to 261 volumes each)" in text
    assert "CanICA" in text and "20 group components" in text
    assert "MNI152 brain mask" in text and "`csf`, `wm`" in text
    assert "Varoquaux G. et al. (2010). A group model" in text and "tangent" not in text
    assert "less than 50% of its voxels" in text

    statistics = {
        "variable": "dx", "groups": ["ADHD", "TDC"], "covariates": ["age", "mean_fd"],
        "kinds": ["correlation"], "n_permutations": 5000, "two_sided": True,
        "nbs_threshold": 3.0, "alpha": 0.05,
    }  # fmt: skip
    design = {"Description": "dx: ADHD - TDC", "NumberOfParticipants": 4,
              "LeftOut": {"05": "no value of age"}}  # fmt: skip
    text = methods_text(config | {"statistics": statistics}, 5, [175], [], design=design)
    assert "(dx: ADHD - TDC, with age, mean framewise displacement as covariates)" in text
    assert "in 4 participants (1 left out: 05, no value of age)" in text
    assert "5000 permutations" in text and "|t| > 3.0" in text
    assert "Zalesky A., Fornito A., Bullmore E.T. (2010)" in text
    assert "Nichols T.E., Holmes A.P. (2002)" in text

    exact = {"Method": "exact", "Rows": 100, "MemoryBudgetMB": 2000}
    text = methods_text(config, 5, [175], [], group_reduction=exact)
    assert "(random state 0) from all 100 rows of the subjects' reduced data at once." in text
    assert "MIGP" not in text
    migp = {"Method": "MIGP", "Rows": 20000, "MemoryBudgetMB": 2000, "RowsKept": 1371,
            "Reductions": 14, "VarianceKept": 0.912345}  # fmt: skip
    text = methods_text(config, 5, [175], [], group_reduction=migp)
    assert re.search(
        r"from the 1371 leading principal rows of the subjects' 20000 reduced rows, computed by "
        r"MIGP \[\d\] streamed over subjects \(91.2 % of their variance kept\) to hold the "
        r"decomposition within 2000 MB\.", text
    )  # fmt: skip
    assert "Group-PCA for very large fMRI datasets" in text


def test_methods_text_of_applied_regions_names_the_file_and_cites_in_order():
    config = {
        "confounds": {"columns": "all"},
        "connectivity_kinds": ["correlation", "tangent"],
        "regions": {"smoothing_fwhm": 6.0, "standardize": True, "min_coverage": 0.25},
    }
    regions = {"path": "/atlases/aal.nii.gz", "bytes": 3, "sha256": "ab" * 32}
    text = methods_text(config, 3, [150], ["1", "2", "3"], regions)
    assert f"`aal.nii.gz` (SHA-256 {'ab' * 32}) was applied" in text
    assert "RegionExtractor" not in text and "components" not in text
    assert "less than 25% of its voxels" in text
    # references numbered in the order the text cites them, each listed once
    body, references = text.split("## References")
    cited = [int(n) for n in re.findall(r"\[(\d)\]", body)]
    assert cited == sorted(cited) == list(range(1, len(cited) + 1))
    assert len(re.findall(r"^\d+\. ", references, flags=re.M)) == len(cited)


def test_software_versions_and_file_record(tmp_path):
    versions = software_versions()
    assert versions["nilearn"].startswith("0.") and versions["python"].count(".") == 2
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    record = file_record(path)
    assert record["bytes"] == 3
    assert record["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_file_record_rehashes_only_files_changed_since(tmp_path, monkeypatch):
    import hashlib
    import os

    from regions_connectome import provenance

    path = tmp_path / "bold.nii.gz"
    path.write_bytes(b"first")
    known = {}
    first = file_record(path, known)
    assert first["sha256"] == hashlib.sha256(b"first").hexdigest() and str(path) in known
    hashed = []
    monkeypatch.setattr(provenance, "sha256", lambda p: hashed.append(p) or "rehashed")
    assert file_record(path, known) == first and hashed == []  # unchanged: not read
    path.write_bytes(b"other")  # same size, new content and time
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert file_record(path, known)["sha256"] == "rehashed" and hashed == [path]


def test_methods_text_says_the_demo_is_synthetic_and_names_counts_and_versions():
    config = {
        "subjects": "demo",
        "demo": {"n_networks": 5, "blobs_per_network": 3, "seed": 7},
        "confounds": {"columns": "all"},
        "connectivity_kinds": ["correlation"],
        "regions": {"smoothing_fwhm": 6.0, "standardize": True, "min_coverage": 0.5},
    }
    regions = {"path": "/atlases/aal.nii.gz", "bytes": 3, "sha256": "ab" * 32}
    code = {"name": "regions_connectome", "version": "1.2.3", "commit": "f" * 40,
            "modified": False}  # fmt: skip
    software = {"nilearn": "0.13.1", "numpy": "2.4.6"}
    text = methods_text(config, 3, [150], [], regions, n_regions=116, software=software,
                        code=code)  # fmt: skip
    assert "These data were synthetic" in text and "5 planted networks" in text
    assert "seed 7" in text and "made of 116 regions" in text
    assert "nilearn 0.13.1" in text and "numpy 2.4.6" in text
    assert f"regions_connectome 1.2.3, commit {'f' * 12})" in text
    config["subjects"] = "/data/subjects.tsv"
    assert "synthetic" not in methods_text(config, 3, [150], [], regions)
    some = methods_text(
        config, 3, [150], ["07"], regions, resampled={"to": "01", "subjects": ["07"]}
    )
    assert "1 subject(s) without a confounds file, 07, were not denoised" in some
    assert "The images of 07 were on other grids and were resampled" in some
    assert "to the grid of 01, the grid most" in some
    runs = methods_text(config, 5, [150], [], regions, n_participants=3)
    assert "data of 3 participants (5 runs, 150 volumes each)" in runs
    assert "count each participant once" in runs


def test_workflow_record_names_the_checkout_and_its_changes(tmp_path):
    import subprocess

    from regions_connectome import __version__
    from regions_connectome.provenance import workflow_record

    assert workflow_record(tmp_path) == {
        "name": "regions_connectome", "version": __version__, "commit": None, "modified": None
    }  # fmt: skip
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "Snakefile").write_text("rule all:\n")
    subprocess.run([*git, "add", "Snakefile"], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    record = workflow_record(tmp_path)
    assert record["commit"] == head.strip() and record["modified"] is False
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    assert workflow_record(tmp_path)["modified"] is True
