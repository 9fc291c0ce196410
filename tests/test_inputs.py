"""Sample sheets and confounds: what is accepted, what stops the run and how."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml

from cohorts import ADHD_FILES
from helpers import PROJECT, run_file, run_snakemake
from regions_connectome.denoising import read_confounds
from regions_connectome.inputs import InputError, demo_subjects, read_grids, read_sample_sheet
from regions_connectome.synthetic import write_cohort


def write_sheet(folder, rows, columns=("subject", "func", "confounds")):
    path = folder / "subjects.tsv"
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, sep="\t", index=False)
    return path


def test_relative_paths_resolve_against_the_sheet_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a_bold.nii.gz").touch()
    (tmp_path / "data" / "a_conf.tsv").touch()
    sheet = write_sheet(tmp_path, [("A1", "data/a_bold.nii.gz", "data/a_conf.tsv")])
    table = read_sample_sheet(sheet)
    assert table.loc["A1", "func"] == str(tmp_path / "data" / "a_bold.nii.gz")
    assert table.loc["A1", "confounds"] == str(tmp_path / "data" / "a_conf.tsv")


def test_empty_confounds_and_absolute_paths(tmp_path):
    func = tmp_path / "b.nii.gz"
    func.touch()
    table = read_sample_sheet(write_sheet(tmp_path, [("B", str(func), "")]))
    assert table.loc["B", "func"] == str(func)
    assert table.loc["B", "confounds"] is None


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        ([("s1", "x.nii.gz")], ("subject", "func"), r"lacks column\(s\) \['confounds'\]"),
        (
            [("s1", "missing.nii.gz", "")],
            None,
            r"subject s1: func file .*missing.nii.gz does not exist",
        ),
        (
            [("s1", "f.nii.gz", ""), ("s1", "f.nii.gz", "")],
            None,
            r"duplicate subject\(s\) \['s1'\]",
        ),
        ([("../x", "f.nii.gz", "")], None, r"subject label '../x' must be letters and digits"),
        ([("s 1", "f.nii.gz", "")], None, r"must be letters and digits"),
    ],
)
def test_bad_sheets_name_the_problem(tmp_path, rows, columns, message):
    (tmp_path / "f.nii.gz").touch()
    sheet = write_sheet(tmp_path, rows, columns or ("subject", "func", "confounds"))
    with pytest.raises(InputError, match=message):
        read_sample_sheet(sheet)


def test_missing_sheet(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_sample_sheet(tmp_path / "nope.tsv")


def test_demo_labels():
    assert demo_subjects(3) == ["01", "02", "03"]
    assert demo_subjects(120)[0] == "001"


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.parent.name)
def test_real_adhd_confounds_are_read_whole(path):
    """The ADHD-200 files are tab-separated despite their .csv ending."""
    frame = read_confounds(path)
    assert frame.shape[1] == 17
    assert {"constant", "linearTrend", "motion-x", "compcor5"} <= set(frame.columns)
    assert len(frame) in (175, 176, 260, 261)
    assert frame.notna().all().all()


def test_real_adhd_confounds_columns_and_missing_column():
    path = ADHD_FILES[0]
    frame = read_confounds(path, ["motion-x", "motion-y", "csf"])
    assert list(frame.columns) == ["motion-x", "motion-y", "csf"]
    with pytest.raises(ValueError, match=r"has no column\(s\) \['trans_x'\]"):
        read_confounds(path, ["trans_x"])


def test_adhd_files_present():
    assert len(ADHD_FILES) == 5


def test_bad_sheet_stops_before_any_job(tmp_path):
    (tmp_path / "f.nii.gz").touch()
    sheet = write_sheet(tmp_path, [("s1", "f.nii.gz", "conf_missing.tsv")])
    process = run_snakemake(tmp_path, config={"subjects": str(sheet)}, check=False)
    assert process.returncode != 0
    assert "subject s1: confounds file" in process.stdout
    assert "conf_missing.tsv does not exist" in process.stdout
    assert not (tmp_path / "results").exists()


def test_unknown_config_key_is_refused(tmp_path):
    process = run_snakemake(
        tmp_path, "--dry-run", config={"regionz": {"threshold": 1}}, check=False
    )
    assert process.returncode != 0
    assert "regionz" in process.stdout


def test_wrong_type_is_refused(tmp_path):
    process = run_snakemake(
        tmp_path, "--dry-run", config={"decomposition": {"n_components": "five"}}, check=False
    )
    assert process.returncode != 0
    assert "'five' is not of type 'integer'" in process.stdout


@pytest.mark.parametrize(
    "label",
    ["../../etc", "a/b", "sub 1", "a;rm -rf ~", "$(id)", "`id`", "a|b", "a&b", "a*b", "sub-01"],
)
def test_labels_that_could_escape_results_or_reach_a_shell_are_refused(tmp_path, label):
    (tmp_path / "f.nii.gz").touch()
    path = tmp_path / "subjects.tsv"
    path.write_text(f"subject\tfunc\tconfounds\n{label}\tf.nii.gz\t\n")
    with pytest.raises(InputError, match="must be letters and digits only"):
        read_sample_sheet(path)


def test_a_connectivity_kind_outside_the_list_is_refused(tmp_path):
    process = run_snakemake(
        tmp_path, "--dry-run", config={"connectivity_kinds": ["../../x"]}, check=False
    )
    assert process.returncode != 0
    assert "'../../x' is not one of" in process.stdout


def test_a_subject_without_confounds_runs_through(small_cohort, tmp_path):
    """An empty confounds cell, through the check, the saved inputs and a real run.

    As pandas 3 reads it; that subject's timeseries regress nothing out.
    """
    import json

    rows = pd.read_csv(small_cohort, sep="\t", dtype=str)
    rows["func"] = [str(small_cohort.parent / f) for f in rows["func"]]
    rows["confounds"] = [str(small_cohort.parent / f) for f in rows["confounds"]]
    rows.loc[1, "confounds"] = ""
    sheet = write_sheet(tmp_path, rows.itertuples(index=False))
    run_snakemake(tmp_path, config={"subjects": str(sheet), "mask": "template"})
    label = rows.loc[1, "subject"]
    sidecar = json.loads(run_file(tmp_path / "results", label, "_timeseries.json").read_text())
    assert sidecar["ConfoundsFile"] is None and sidecar["ConfoundRegressors"] == []
    record = json.loads((tmp_path / "results" / "provenance.json").read_text())
    assert record["inputs"][label]["confounds"] is None


def test_two_subjects_naming_one_image_stop_the_run(tmp_path):
    import nibabel as nib
    import numpy as np

    from regions_connectome.inputs import check_inputs

    image = tmp_path / "bold.nii.gz"
    data = np.random.default_rng(0).normal(size=(4, 4, 4, 3)).astype(np.float32)
    nib.Nifti1Image(data, np.eye(4)).to_filename(image)
    (tmp_path / "link.nii.gz").symlink_to(image)
    table = pd.DataFrame(
        {"func": [str(image), str(tmp_path / "link.nii.gz")], "confounds": [None, None]},
        index=pd.Index(["A", "B"], name="input"),
    )
    with pytest.raises(
        InputError, match=r"subject A and subject B name the same image .*link.nii.gz"
    ):
        check_inputs(table, None)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"decomposition": {"n_components": 200}}, r"n_components is 200 but subject 01 \(60"),
        ({"regions": {"threshold": 1.5}}, r"1.5 is greater than the maximum of 1"),
        (
            {"regions": {"threshold": 150, "thresholding_strategy": "percentile"}},
            r"150 is greater than the maximum of 100",
        ),
    ],
)
def test_parameters_that_make_no_sense_stop_before_any_job(small_cohort, tmp_path, config, message):
    import re

    process = run_snakemake(
        tmp_path, "--dry-run", config={"subjects": str(small_cohort), **config}, check=False
    )
    assert process.returncode != 0
    assert re.search(message, process.stdout), process.stdout[-2000:]
    assert not (tmp_path / "results").exists()


def test_resolved_inputs_are_saved_for_the_jobs_that_parse_again(small_cohort, tmp_path):
    """The main process checks and saves; a cluster job reads the same table back."""
    import yaml

    from helpers import PROJECT
    from regions_connectome.inputs import resolve_inputs

    config = yaml.safe_load((PROJECT / "config.yaml").read_text()) | {"subjects": str(small_cohort)}
    main = resolve_inputs(config, main_process=True, folder=tmp_path)
    assert main.index.tolist() == ["01", "02", "03"] and set(main["n_volumes"]) == {60}
    (saved,) = tmp_path.glob("inputs-*.tsv")
    job = resolve_inputs(config, main_process=False, folder=tmp_path)
    assert job.to_dict() == main.to_dict()
    demo = resolve_inputs(yaml.safe_load((PROJECT / "config.yaml").read_text()))
    assert demo["func"].iloc[0] == "results/sourcedata/demo/sub-01/sub-01_bold.nii.gz"
    with pytest.raises(InputError, match="confounds.strategy needs fMRIPrep confounds"):
        resolve_inputs(config | {"subjects": "demo", "confounds": {"strategy": "simple"}})


def test_regions_to_apply_that_cannot_be_used_stop_before_any_job(small_cohort, tmp_path):
    """Each a real dry run: the message names the option, the file and the problem."""
    import re

    folder = tmp_path / "atlases"
    folder.mkdir()
    labels = np.zeros((10, 10, 10), np.int16)
    labels[2:5, 2:5, 2:5], labels[6:9, 6:9, 6:9] = 1, 2
    good = folder / "labels.nii.gz"
    nib.Nifti1Image(labels, np.eye(4)).to_filename(good)
    probability = folder / "probability.nii.gz"
    nib.Nifti1Image(labels / 3.0, np.eye(4)).to_filename(probability)
    broken = folder / "broken.nii.gz"
    broken.write_bytes(b"not an image")
    twice = folder / "names.tsv"
    twice.write_text("index\tname\n1\tsame\n2\tsame\n")
    cases = [
        ({"apply": str(folder / "none.nii.gz")}, r"regions.apply: no such file .*none.nii.gz"),
        ({"apply": str(broken)}, r"regions.apply: cannot read the image .*broken.nii.gz"),
        ({"apply": str(probability)}, r"probability.nii.gz is 3D but not integer labels"),
        (
            {"apply": str(good), "apply_labels": str(twice)},
            r"regions.apply_labels: .*names.tsv gives several regions the name\(s\) \['same'\]",
        ),
    ]
    for regions, message in cases:
        process = run_snakemake(
            tmp_path,
            "--dry-run",
            config={"subjects": str(small_cohort), "regions": regions},
            check=False,
        )
        assert process.returncode != 0
        assert re.search(message, process.stdout), (message, process.stdout[-2000:])
        assert not (tmp_path / "results").exists()


def test_exclusions_leave_subjects_out_with_the_reason_never_silently(tmp_path):
    """A real run: one subject over max_mean_fd, one unusable image.

    The others go on; the exclusions table, the group sidecars, the methods
    text and the provenance say who was left out and why.
    """
    from regions_connectome.exclusions import mean_framewise_displacement

    cohort = write_cohort(tmp_path / "cohort", n_subjects=4)
    sheet = pd.read_csv(cohort, sep="\t", dtype=str)
    sheet[["func", "confounds"]] = sheet[["func", "confounds"]].map(
        lambda name: str(cohort.parent / name)
    )
    fd = {row.subject: mean_framewise_displacement(row.confounds) for row in sheet.itertuples()}
    moving = max(fd, key=fd.get)
    flat = tmp_path / "flat_bold.nii.gz"
    nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4)).to_filename(flat)
    sheet.loc[len(sheet)] = ["99", str(flat), sheet["confounds"].iloc[0]]
    sheet.to_csv(tmp_path / "subjects.tsv", sep="\t", index=False)
    threshold = round((fd[moving] + sorted(fd.values())[-2]) / 2, 4)
    config = {
        "subjects": str(tmp_path / "subjects.tsv"),
        "exclusions": {"max_mean_fd": threshold, "unusable": "exclude", "min_volumes": 20},
    }
    run_snakemake(tmp_path, config=config)
    table = pd.read_csv(tmp_path / "results/group/exclusions.tsv", sep="\t", dtype=str)
    reasons = dict(zip(table["input"], table["reason"], strict=True))
    assert set(reasons) == {moving, "99"}
    assert f"above max_mean_fd {threshold}" in reasons[moving]
    assert reasons["99"].startswith("unusable: subject 99: image") and "4D image" in reasons["99"]
    kept = sorted(set(fd) - {moving})
    group = json.loads((tmp_path / "results/group/meas-correlation_relmat.json").read_text())
    assert group["InputLabels"] == kept
    assert not (tmp_path / f"results/sub-{moving}").exists()
    methods = (tmp_path / "results/methods.md").read_text()
    assert "2 further input(s) were excluded" in methods and moving in methods
    record = json.loads((tmp_path / "results/provenance.json").read_text())
    assert set(record["excluded"]) == {moving, "99"}
    # the default stops at the same unusable input, naming it
    config["exclusions"] = {}
    process = run_snakemake(tmp_path, "--dry-run", config=config, check=False)
    assert process.returncode != 0 and "subject 99: image" in process.stdout


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"regions": {"low_pass": 0.1}}, r"regions.low_pass/high_pass .* need regions.t_r"),
        ({"decomposition": {"high_pass": 0.01}}, r"need decomposition.t_r"),
        ({"regions": {"low_pass": 0.05, "high_pass": 0.1, "t_r": 2.0}},
         r"regions.high_pass \(0.1 Hz\) must be below regions.low_pass \(0.05 Hz\)"),
        ({"connectivity_kinds": ["correlation", "tangent"]}, r"tangent needs at least 2 subjects"),
        ({"decomposition": {"n_components": 1}}, r"decomposition.n_components: 1 component of 1"),
    ],
)  # fmt: skip
def test_settings_the_inputs_cannot_run_with_stop_before_any_job(changes, message):
    from regions_connectome.inputs import check_settings_for_inputs

    config = yaml.safe_load((PROJECT / "config.yaml").read_text())
    for key, value in changes.items():
        config[key] = config[key] | value if isinstance(value, dict) else value
    one = pd.DataFrame({"func": ["a.nii.gz"], "n_volumes": [100]}, index=["01"])
    with pytest.raises(InputError, match=message):
        check_settings_for_inputs(config, one)


def test_the_sidecars_repetition_time_serves_the_timeseries_filter():
    from regions_connectome.inputs import check_settings_for_inputs

    config = yaml.safe_load((PROJECT / "config.yaml").read_text())
    config["regions"]["low_pass"] = 0.1
    with_tr = pd.DataFrame({"func": ["a", "b"], "n_volumes": [100, 100], "t_r": [2.0, 2.0]})
    check_settings_for_inputs(config, with_tr)  # no error: the sidecars give the TR
    config["decomposition"]["low_pass"] = 0.1
    with pytest.raises(InputError, match=r"the BIDS sidecars say \[2.0\] s"):
        check_settings_for_inputs(config, with_tr)


def test_a_filter_without_repetition_time_stops_a_real_run_before_any_job(tmp_path):
    process = run_snakemake(
        tmp_path, "--config", "regions={low_pass: 0.1}", check=False
    )  # no --dry-run: nothing may start
    assert process.returncode != 0 and "need regions.t_r" in process.stdout
    assert not (tmp_path / "results").exists()


def test_the_source_kind_is_decided_once(tmp_path):
    from regions_connectome.inputs import source_kind

    (tmp_path / "subjects.tsv").write_text("subject\tfunc\tconfounds\n")
    assert source_kind("demo") == "demo"
    assert source_kind("adhd") == source_kind("development_fmri") == "fetcher"
    assert source_kind(str(tmp_path)) == "bids"
    assert source_kind(str(tmp_path / "subjects.tsv")) == "sheet"


def test_a_header_is_read_again_only_when_its_file_changed(tmp_path):
    image, cache = tmp_path / "a_bold.nii.gz", tmp_path / "headers.json"
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    nib.Nifti1Image(np.zeros((4, 5, 6, 3), np.float32), affine).to_filename(image)
    grid = read_grids({"a": image}, cache)["a"]
    assert grid.shape == (4, 5, 6, 3) and np.allclose(grid.affine, affine)
    assert grid.zooms[:3] == (2.0, 2.0, 2.0)
    # an unchanged file is answered from the cache (here altered to tell)
    saved = json.loads(cache.read_text())
    saved[str(image.resolve())]["shape"] = [9, 9, 9, 9]
    cache.write_text(json.dumps(saved))
    assert read_grids({"a": image}, cache)["a"].shape == (9, 9, 9, 9)
    # a rewritten file is read again, as without a cache
    nib.Nifti1Image(np.zeros((4, 5, 6, 7), np.float32), affine).to_filename(image)
    assert read_grids({"a": image}, cache)["a"].shape == (4, 5, 6, 7)
    assert read_grids({"a": image})["a"].shape == (4, 5, 6, 7)
    # an unreadable header is an error naming the input and the file
    image.write_bytes(b"not an image")
    error = read_grids({"a": image}, cache)["a"]
    assert isinstance(error, InputError) and str(image) in str(error)
