"""Real-world inputs.

fMRIPrep derivatives, nilearn's datasets, denoising strategies, messy confounds,
and the checks that run before any job.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from bids import BIDSLayout
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from cohorts import (
    ADHD_FILES,
    Grid,
    adhd_labels,
    fmriprep_confounds,
    write_adhd_sheet,
    write_fmriprep_tree,
)
from helpers import run_file, run_snakemake
from regions_connectome.connectivity import subject_timeseries
from regions_connectome.denoising import ConfoundsError, read_confounds, select_confounds
from regions_connectome.inputs import (
    InputError,
    bids_inputs,
    check_inputs,
    fetch_dataset,
    fetcher_inputs,
    read_inputs_table,
    read_sample_sheet,
    write_inputs_table,
)
from testdata import ADHD_PHENOTYPES

BY_ID = {path.parent.name: path for path in ADHD_FILES}
COLUMNS_ALL = {"columns": "all", "strategy": None, "options": {}}


@pytest.fixture(scope="module")
def grid():
    return Grid()


@pytest.fixture(scope="module")
def tree(tmp_path_factory, grid):
    """Three subjects in an fMRIPrep tree, five runs.

    sub-01 with two runs, sub-02 in session A, sub-03 with a rest and a second
    task; confounds converted from the real ADHD-200 files.
    """
    root = tmp_path_factory.mktemp("derivatives") / "fmriprep"
    write_fmriprep_tree(
        root,
        [
            {"subject": "01", "run": 1, "adhd": BY_ID["0010042"]},
            {"subject": "01", "run": 2, "adhd": BY_ID["0010128"]},
            {"subject": "02", "session": "A", "adhd": BY_ID["0021019"]},
            {"subject": "03", "adhd": BY_ID["0027037"]},
            {"subject": "03", "task": "nback", "adhd": BY_ID["0027034"]},
        ],
        grid=grid,
    )
    return root


# --- fMRIPrep derivatives -------------------------------------------------


def test_each_run_is_an_input_named_by_its_entities(tree):
    table = bids_inputs(tree)
    assert list(table.index) == [
        "01_task-rest_run-1",
        "01_task-rest_run-2",
        "02_ses-A_task-rest",
        "03_task-nback",
        "03_task-rest",
    ]
    row = table.loc["02_ses-A_task-rest"]
    assert row.func.endswith(
        "sub-02/ses-A/func/sub-02_ses-A_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
    )
    assert row.confounds.endswith("sub-02_ses-A_task-rest_desc-confounds_timeseries.tsv")
    assert (table["t_r"] == 2.0).all(), "RepetitionTime is read from the JSON sidecars"
    # every image is paired with the confounds of the same entities
    for label, row in table.iterrows():
        stem = row.func.split("/")[-1].split("_space-")[0]
        assert row.confounds.split("/")[-1] == f"{stem}_desc-confounds_timeseries.tsv", label


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"task": ["rest"], "run": [2]}, ["01_task-rest_run-2"]),
        ({"session": ["A"]}, ["02_ses-A_task-rest"]),
        ({"participant_label": ["sub-03"]}, ["03_task-nback", "03_task-rest"]),
        (
            {"exclude_participant_label": ["01", "03"]},
            ["02_ses-A_task-rest"],
        ),
        ({"task": ["nback"], "participant_label": ["03"]}, ["03_task-nback"]),
    ],
)
def test_filters(tree, filters, expected):
    assert list(bids_inputs(tree, **filters).index) == expected


def test_bids_problems_are_named(tree, tmp_path):
    with pytest.raises(InputError, match="has no dataset_description.json"):
        bids_inputs(tmp_path)
    with pytest.raises(InputError, match=r"no preprocessed BOLD image .*space-MNI152NLin6Asym"):
        bids_inputs(tree, space="MNI152NLin6Asym")
    with pytest.raises(InputError, match=r"once subjects \['01', '02', '03'\] are left out"):
        bids_inputs(tree, exclude_participant_label=["01", "02", "03"])
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    (copy / "sub-02/ses-A/func/sub-02_ses-A_task-rest_desc-confounds_timeseries.tsv").unlink()
    with pytest.raises(InputError, match=r"subject 02: image .*sub-02_ses-A.* needs exactly one"):
        bids_inputs(copy)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        # YAML reads an unquoted 01 as the number 1: no subject "1"
        ({"exclude_participant_label": [1]}, r"exclude_participant_label names \['1'\].*quotes"),
        ({"participant_label": [3]}, r"participant_label names \['3'\].*'01', '02', '03'"),
        ({"participant_label": ["04"]}, r"participant_label names \['04'\]"),
        ({"task": ["Rest"]}, r"task names \['Rest'\].*'nback', 'rest'"),
        ({"session": ["B"]}, r"session names \['B'\].*\['A'\]"),
    ],
)
def test_a_label_the_dataset_lacks_stops_instead_of_selecting_nobody(tree, filters, message):
    with pytest.raises(InputError, match=message):
        bids_inputs(tree, **filters)


def test_a_participant_without_the_space_asked_for_is_not_left_out_silently(tree, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    for path in (copy / "sub-02").rglob("*space-MNI152NLin2009cAsym*"):
        path.rename(path.with_name(path.name.replace("MNI152NLin2009cAsym", "T1w")))
    with pytest.raises(
        InputError, match=r"subject\(s\) \['02'\] .* none in space MNI152NLin2009cAsym"
    ):
        bids_inputs(copy)
    # said to leave it out, it is left out
    assert "02_ses-A_task-rest" not in bids_inputs(copy, exclude_participant_label=["02"]).index


def test_a_file_whose_entities_pybids_cuts_is_refused(tree, tmp_path):
    """``task-rest-eyes`` reads as task ``rest`` in pybids: two files could become one."""
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    for path in list((copy / "sub-03").rglob("*task-nback*")):
        path.rename(path.with_name(path.name.replace("task-nback", "task-rest-eyes")))
    with pytest.raises(InputError, match=r"task-rest-eyes.*reads its entities as '03_task-rest'"):
        bids_inputs(copy)


def test_the_inputs_table_saved_for_cluster_jobs_reads_back_the_same(tree, tmp_path):
    table = check_inputs(bids_inputs(tree), COLUMNS_ALL)
    table.loc["03_task-rest", "confounds"] = None
    table.loc["02_ses-A_task-rest", "t_r"] = None
    write_inputs_table(table, tmp_path / "inputs.tsv")
    back = read_inputs_table(tmp_path / "inputs.tsv")
    assert back.index.tolist() == table.index.tolist()
    for column in ("func", "confounds", "t_r", "n_volumes", "resample"):
        # None stays None on the way back (pandas 3 shows it as NaN in a str column)
        expected = [None if pd.isna(value) else value for value in table[column]]
        assert [None if pd.isna(value) else value for value in back[column]] == expected
    assert back.loc["03_task-rest", "confounds"] is None


# --- nilearn's datasets -----------------------------------------------------


def test_a_fetcher_result_maps_to_inputs(tmp_path, grid):
    """fetch_adhd's and fetch_development_fmri's layouts, built from local files."""
    adhd = []
    for label in adhd_labels()[:2]:
        folder = tmp_path / "adhd" / "data" / label
        folder.mkdir(parents=True)
        shutil.copy(BY_ID[label], folder / f"{label}_regressors.csv")
        adhd.append(folder / f"{label}_rest_tshift_RPI_voreg_mni.nii.gz")
    bunch = Bunch(
        func=[str(p) for p in adhd],
        confounds=[str(p.parent / f"{p.parent.name}_regressors.csv") for p in adhd],
    )
    table = fetcher_inputs(bunch)
    assert list(table.index) == adhd_labels()[:2]
    assert table.loc["0010042", "confounds"].endswith("0010042/0010042_regressors.csv")

    dev = tmp_path / "development_fmri" / "development_fmri"
    names = [f"sub-pixar{n:03d}_task-pixar" for n in (1, 2)]
    bunch = Bunch(
        func=[str(dev / f"{n}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz") for n in names],
        confounds=[str(dev / f"{n}_desc-reducedConfounds_regressors.tsv") for n in names],
    )
    table = fetcher_inputs(bunch)
    assert list(table.index) == ["pixar001", "pixar002"]
    assert table.loc["pixar002", "confounds"].endswith(
        "sub-pixar002_task-pixar_desc-reducedConfounds_regressors.tsv"
    )
    with pytest.raises(InputError, match="returned 2 images but 1 confounds"):
        fetcher_inputs(Bunch(func=bunch.func, confounds=bunch.confounds[:1]))


def test_nilearn_fetch_adhd_uses_local_files_without_network(tmp_path, grid):
    """The real fetcher, offline, on a data folder laid out as nilearn stores it.

    It holds the real phenotypic table and the first subject's real confounds.
    """
    root = tmp_path / "nilearn_data" / "adhd"
    label = "0010042"  # nilearn's first ADHD-200 subject
    (root / "data" / label).mkdir(parents=True)
    shutil.copy(
        ADHD_PHENOTYPES,
        root,
    )
    shutil.copy(BY_ID[label], root / "data" / label / f"{label}_regressors.csv")
    image = root / "data" / label / f"{label}_rest_tshift_RPI_voreg_mni.nii.gz"
    grid.image(len(read_confounds(BY_ID[label])), seed=0).to_filename(image)
    table, participants = fetch_dataset("adhd", tmp_path / "nilearn_data", n_subjects=1)
    assert list(table.index) == [label]
    assert table.loc[label, "func"] == str(image)
    # its participants table: the real phenotypic row of ADHD-200's subject 10042
    row = participants.set_index("participant_id").loc[f"sub-{label}"]
    assert (row["adhd"], row["age"], row["site"], row["sex"]) == (1, 10.65, "NYU", "M")
    checked = check_inputs(table, COLUMNS_ALL)
    assert checked.loc[label, "n_volumes"] == 176


def test_offline_fetch_stops_at_once_saying_what_to_do(tmp_path):
    """For real: this machine cannot reach nilearn's servers."""
    process = run_snakemake(
        tmp_path,
        "--dry-run",
        config={"subjects": "adhd", "fetch": {"data_dir": str(tmp_path / "data"), "n_subjects": 2}},
        check=False,
    )
    assert process.returncode != 0
    out = process.stdout
    assert "downloading nilearn's 'adhd' dataset (2 subjects) into" in out
    assert "Is this machine offline?" in out
    assert "subjects: path/to/samples.tsv" in out
    assert "fetch_adhd(n_subjects=2" in out
    assert not (tmp_path / "results").exists()


# --- denoising strategies ----------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "options", "present", "absent"),
    [
        (
            "simple",
            {},
            ["trans_x_derivative1_power2", "csf", "cosine00"],
            ["global_signal", "a_comp_cor_00"],
        ),
        (
            "simple",
            {"motion": "basic", "global_signal": "basic"},
            ["trans_x", "global_signal"],
            ["trans_x_power2"],
        ),
        ("compcor", {}, ["a_comp_cor_04", "trans_x"], ["csf"]),
        (
            "custom",
            {"strategy": ["motion", "wm_csf"], "motion": "basic"},
            ["rot_z", "white_matter"],
            ["cosine00"],
        ),
    ],
)
def test_fmriprep_strategies(tree, strategy, options, present, absent):
    table = bids_inputs(tree)
    row = table.loc["01_task-rest_run-1"]
    denoising = select_confounds(
        row.func, row.confounds, {"strategy": strategy, "options": options}, n_volumes=176
    )
    columns = set(denoising.confounds.columns)
    assert set(present) <= columns and not set(absent) & columns
    assert not denoising.confounds.isna().any().any(), "fMRIPrep's leading n/a are filled"
    assert denoising.sample_mask is None
    assert denoising.record["strategy"] == strategy
    assert denoising.record["columns"] == list(denoising.confounds.columns)


def test_scrubbing_keeps_the_low_motion_volumes(tree):
    """Subject 03's real motion (ADHD-200 0027037) has 5 steps above 0.2 mm."""
    row = bids_inputs(tree).loc["03_task-rest"]
    settings = {"strategy": "scrubbing", "options": {"fd_threshold": 0.2}}
    denoising = select_confounds(row.func, row.confounds, settings, n_volumes=261)
    fd = pd.read_csv(row.confounds, sep="\t", na_values="n/a")["framewise_displacement"]
    high = set(np.flatnonzero(fd > 0.2))
    removed = set(denoising.record["volumes_removed"])
    assert high and high <= removed, "every high-motion volume is scrubbed"
    assert denoising.n_kept == 261 - len(removed) == len(denoising.sample_mask)
    assert len(denoising.confounds) == 261, "confounds keep one row per volume"
    # without the lowered threshold, nothing of this low-motion scan is removed
    default = select_confounds(row.func, row.confounds, {"strategy": "scrubbing"}, 261)
    assert default.n_kept == 261 and not default.record["volumes_removed"]


def test_too_few_volumes_left_after_scrubbing(tree):
    row = bids_inputs(tree).loc["03_task-rest"]
    settings = {"strategy": "scrubbing", "options": {"fd_threshold": 0.02}}
    with pytest.raises(
        ConfoundsError,
        match=r"volume\(s\) kept \(of 261\) for \d+ regressors.*relax the scrubbing thresholds",
    ):
        select_confounds(row.func, row.confounds, settings, n_volumes=261)


def test_too_few_volumes_stop_before_any_job_naming_the_input(tree):
    table = bids_inputs(tree).loc[["03_task-rest"]]
    settings = {"strategy": "scrubbing", "options": {"fd_threshold": 0.02}}
    with pytest.raises(
        InputError,
        match=r"subject 03 \(task-rest\): confounds of .*sub-03_task-rest_space-.*_bold.nii.gz: "
        r"\d+ volume\(s\) kept \(of 261\)",
    ):
        check_inputs(table, settings)


def test_strategies_need_fmriprep_names(tmp_path, tree):
    row = bids_inputs(tree).loc["01_task-rest_run-1"]
    renamed = tmp_path / "bold.nii.gz"
    shutil.copy(row.func, renamed)
    with pytest.raises(
        ConfoundsError, match=r"strategy 'simple' .* on .*bold.nii.gz.*fMRIPrep name"
    ):
        select_confounds(renamed, row.confounds, {"strategy": "simple"})


# --- messy confounds files -------------------------------------------------------


@pytest.mark.parametrize("path", ADHD_FILES, ids=lambda p: p.parent.name)
def test_real_adhd_files_with_all_columns(path):
    """Tab-separated .csv, constant and linearTrend columns, 175 to 261 rows."""
    denoising = select_confounds(
        "unused.nii.gz", path, COLUMNS_ALL, n_volumes=len(read_confounds(path))
    )
    assert {"constant", "linearTrend"} <= set(denoising.record["columns"])
    assert denoising.n_regressors == 17 and denoising.sample_mask is None


def test_fmriprep_n_a_rows_with_columns(tree):
    row = bids_inputs(tree).loc["02_ses-A_task-rest"]
    raw = pd.read_csv(row.confounds, sep="\t", na_values="n/a")
    assert raw["framewise_displacement"].isna().iloc[0], "the file starts with n/a"
    settings = {"columns": ["trans_x", "trans_x_derivative1", "framewise_displacement"]}
    frame = select_confounds(row.func, row.confounds, settings, n_volumes=175).confounds
    assert not frame.isna().any().any()
    assert frame["trans_x_derivative1"].iloc[0] == frame["trans_x_derivative1"].iloc[1]


def test_a_gap_inside_a_column_is_an_error(tmp_path):
    frame, _ = fmriprep_confounds(ADHD_FILES[0])
    frame.loc[40, "csf"] = np.nan
    path = tmp_path / "gap_desc-confounds_timeseries.tsv"
    frame.to_csv(path, sep="\t", index=False, na_rep="n/a")
    with pytest.raises(ConfoundsError, match=r"column 'csf' has missing values in rows \[40\]"):
        read_confounds(path)


# --- checks before any job ---------------------------------------------------------


def _sheet(folder, rows):
    path = folder / "subjects.tsv"
    pd.DataFrame(rows, columns=["subject", "func", "confounds"]).to_csv(path, sep="\t", index=False)
    return path


def test_checks_name_the_subject_and_the_file(tmp_path, grid):
    good = tmp_path / "good.nii.gz"
    grid.image(176, seed=0).to_filename(good)
    three_d = tmp_path / "three_d.nii.gz"
    img = nib.load(good)
    nib.Nifti1Image(np.asarray(img.dataobj)[..., 0], img.affine).to_filename(three_d)
    other = tmp_path / "other_grid.nii.gz"
    Grid(voxel_size=7.0).image(176, seed=1).to_filename(other)
    short = tmp_path / "short.nii.gz"
    grid.image(175, seed=2).to_filename(short)
    adhd_176 = str(BY_ID["0010042"])

    def check(rows, settings=COLUMNS_ALL, mismatch="stop"):
        return check_inputs(read_sample_sheet(_sheet(tmp_path, rows)), settings, mismatch)

    with pytest.raises(
        InputError,
        match=r"subject B: image .*three_d.nii.gz has shape \(\d+, \d+, \d+\): a 4D image",
    ):
        check([("A", "good.nii.gz", adhd_176), ("B", "three_d.nii.gz", adhd_176)])
    with pytest.raises(
        InputError,
        match=r"subject B: image .*other_grid.nii.gz is not on the grid of subject A "
        r".*voxel size \[7.0, 7.0, 7.0\]",
    ):
        check([("A", "good.nii.gz", adhd_176), ("B", "other_grid.nii.gz", adhd_176)])
    resampled = check(
        [("A", "good.nii.gz", adhd_176), ("B", "other_grid.nii.gz", adhd_176)], mismatch="resample"
    )
    assert resampled["resample"].tolist() == [False, True]
    # one image off the grid the others share: it is resampled, even labelled first
    odd_first = [("A", "other_grid.nii.gz", adhd_176), ("B", "good.nii.gz", adhd_176),
                 ("C", "good_too.nii.gz", adhd_176)]  # fmt: skip
    shutil.copy(good, tmp_path / "good_too.nii.gz")
    resampled = check(odd_first, mismatch="resample")
    assert resampled["resample"].tolist() == [True, False, False]
    assert resampled["grid_reference"].tolist() == [False, True, False]
    with pytest.raises(InputError, match=r"subject A: image .*other_grid.* grid of subject B"):
        check(odd_first)
    with pytest.raises(
        InputError,
        match=r"subject B: confounds file .*0010042_regressors.csv has 176 rows "
        r"but the image .*short.nii.gz has 175 volumes",
    ):
        check([("A", "good.nii.gz", adhd_176), ("B", "short.nii.gz", adhd_176)])
    with pytest.raises(
        InputError,
        match=r"subject A: confounds file .*0010042_regressors.csv "
        r"has no column\(s\) \['trans_x'\]",
    ):
        check([("A", "good.nii.gz", adhd_176)], {"columns": ["csf", "trans_x"]})


def test_a_bad_input_stops_the_run_before_any_job(tmp_path, grid):
    """As the user sees it: the message on the console, nothing written."""
    grid.image(175, seed=0).to_filename(tmp_path / "s1_bold.nii.gz")
    sheet = _sheet(tmp_path, [("s1", "s1_bold.nii.gz", str(BY_ID["0010042"]))])
    process = run_snakemake(tmp_path, config={"subjects": str(sheet)}, check=False)
    assert process.returncode != 0
    assert "subject s1: confounds file" in process.stdout
    assert "0010042_regressors.csv has 176 rows but the image" in process.stdout
    assert "s1_bold.nii.gz has 175 volumes" in process.stdout
    assert not (tmp_path / "results").exists()


# --- real runs ---------------------------------------------------------------------------


def test_a_run_on_fmriprep_derivatives_with_scrubbing(tree, tmp_path):
    """A real Snakemake run on fMRIPrep derivatives, with scrubbing.

    Runs are named by their entities; the scrubbed volumes are left out of the
    timeseries as nilearn's masker leaves them out.
    """
    from nilearn.maskers import NiftiMapsMasker

    config = {
        "subjects": str(tree),
        "bids": {"task": ["rest"]},
        "confounds": {"strategy": "scrubbing", "options": {"fd_threshold": 0.2}},
    }
    run_snakemake(tmp_path, config=config)
    labels = ["01_task-rest_run-1", "01_task-rest_run-2", "02_ses-A_task-rest", "03_task-rest"]
    for label in labels:
        sidecar = json.loads(run_file(tmp_path / "results", label, "_timeseries.json").read_text())
        timeseries = pd.read_csv(
            run_file(tmp_path / "results", label, "_timeseries.tsv"), sep="\t", index_col=0
        )
        assert (
            len(timeseries)
            == sidecar["Denoising"]["n_volumes_kept"]
            == sidecar["NumberOfVolumesKept"]
        )
        assert sidecar["Denoising"]["strategy"] == "scrubbing"
        assert sidecar["Denoising"]["options"] == {"fd_threshold": 0.2}
        assert "trans_x_derivative1_power2" in sidecar["ConfoundRegressors"]
    assert not list((tmp_path / "results").glob("sub-03/func/*nback*")), "the task filter holds"
    # the group counts participants: 01's two runs are averaged first
    group = json.loads((tmp_path / "results/group/meas-correlation_relmat.json").read_text())
    assert group["GroupUnit"] == "participant" and group["ParticipantLabels"] == ["01", "02", "03"]
    assert group["NumberOfParticipants"] == 3 and group["NumberOfInputs"] == 4
    runs = {
        label: pd.read_csv(
            run_file(tmp_path / "results", label, "_meas-correlation_relmat.tsv"), sep="\t",
            index_col=0,
        ).to_numpy()
        for label in labels
    }  # fmt: skip
    by_participant = [
        np.nanmean([runs["01_task-rest_run-1"], runs["01_task-rest_run-2"]], axis=0),
        runs["02_ses-A_task-rest"],
        runs["03_task-rest"],
    ]
    mean = pd.read_csv(tmp_path / "results/group/meas-correlation_relmat.tsv", sep="\t",
                       index_col=0).to_numpy()  # fmt: skip
    np.testing.assert_allclose(mean, np.nanmean(by_participant, axis=0), atol=1e-8)
    methods = (tmp_path / "results" / "methods.md").read_text()
    assert "3 participants (4 runs" in methods and "each participant once" in methods
    # BIDS tools read the results as they read XCP-D's: the sidecars' own keys
    # are never an entity's name, so pybids gives the entities of the files
    layout = BIDSLayout(tmp_path / "results", validate=False, is_derivative=True)
    assert layout.get_subjects() == ["01", "02", "03"]
    assert layout.get_sessions() == ["A"]
    assert layout.get_tasks() == ["rest"]
    assert [int(run) for run in layout.get_runs()] == [1, 2]
    relmats = layout.get(subject="01", suffix="relmat", extension=".tsv", return_type="filename")
    assert sorted(Path(f).name.split("_space-")[0] for f in relmats) == [
        "sub-01_task-rest_run-1", "sub-01_task-rest_run-2"
    ]  # fmt: skip
    assert layout.get(session="A", suffix="timeseries", extension=".tsv", return_type="id",
                      target="subject") == ["02"]  # fmt: skip
    sidecar = json.loads(
        run_file(tmp_path / "results", "03_task-rest", "_timeseries.json").read_text()
    )
    removed = sidecar["Denoising"]["volumes_removed"]
    assert 5 <= len(removed) < 261 - 100
    timeseries = pd.read_csv(
        run_file(tmp_path / "results", "03_task-rest", "_timeseries.tsv"), sep="\t", index_col=0
    )
    assert not set(timeseries.index) & set(removed), "the index names the volumes kept"

    # the same numbers as nilearn's masker given the same confounds and sample_mask
    row = bids_inputs(tree).loc["03_task-rest"]
    denoising = select_confounds(row.func, row.confounds, config["confounds"], 261)
    masker = NiftiMapsMasker(
        str(tmp_path / "results/group/regions.nii.gz"),
        resampling_target="data",
        smoothing_fwhm=6.0,
        standardize=True,
        standardize_confounds=True,
        t_r=2.0,
    )
    # One BLAS thread, as the job ran. The job extracts from the smoothed data
    # the reduction kept and solves the least squares in float64: the same
    # numbers up to nilearn's float32 rounding, which these 37 nearly collinear
    # regressors amplify to ~1e-4.
    with threadpool_limits(limits=1):
        expected = masker.fit_transform(
            row.func, confounds=denoising.confounds.to_numpy(), sample_mask=denoising.sample_mask
        )
        with np.load(
            run_file(tmp_path / "results", "03_task-rest", "_desc-smoothed_bold.npz")
        ) as cache:
            mask = nib.load(tmp_path / "results/group/mask.nii.gz").get_fdata() != 0
            regions = nib.load(tmp_path / "results/group/regions.nii.gz").get_fdata()
            exact, _ = subject_timeseries(
                cache["data"],
                cache["varies"],
                mask,
                regions,
                {
                    "standardize": True,
                    "standardize_confounds": True,
                    "detrend": False,
                    "low_pass": None,
                    "high_pass": None,
                    "t_r": 2.0,
                },
                denoising.confounds.to_numpy(),
                denoising.sample_mask,
            )
    np.testing.assert_allclose(timeseries.to_numpy(), exact, rtol=0, atol=1e-7)
    np.testing.assert_allclose(timeseries.to_numpy(), expected, atol=1e-3)
    group = pd.read_csv(
        tmp_path / "results/group/meas-correlation_relmat.tsv", sep="\t", index_col=0
    )
    assert np.isfinite(group.to_numpy()).all() and group.shape[0] == timeseries.shape[1]


def test_a_run_on_the_real_adhd_confounds_with_one_image_resampled(tmp_path, grid):
    """A real run on the seed's confounds files as they are.

    All 17 columns, 175 to 261 volumes; one image on a 7 mm grid is resampled
    to the others' grid.
    """
    sheet = write_adhd_sheet(tmp_path / "data", grid, off_grid=("0021019",))
    dry = run_snakemake(tmp_path, "--dry-run", config={"subjects": str(sheet)}, check=False)
    assert dry.returncode != 0 and "subject 0021019: image" in dry.stdout
    assert "is not on the grid of subject 0010042" in dry.stdout

    config = {"subjects": str(sheet), "inputs": {"grid_mismatch": "resample"}, "mask": "template"}
    run_snakemake(tmp_path, config=config)
    resampled = list((tmp_path / "results").glob("sub-*/func/*_desc-resampled_bold.nii.gz"))
    assert [p.name for p in resampled] == ["sub-0021019_task-rest_desc-resampled_bold.nii.gz"]
    reference = nib.load(tmp_path / "data" / "0010042_bold.nii.gz")
    img = nib.load(resampled[0])
    assert img.shape == reference.shape[:3] + (175,) and np.allclose(img.affine, reference.affine)
    for label in adhd_labels():
        sidecar = json.loads(run_file(tmp_path / "results", label, "_timeseries.json").read_text())
        assert sidecar["NumberOfVolumesKept"] == len(read_confounds(BY_ID[label]))
        assert {"constant", "linearTrend", "compcor5"} <= set(sidecar["ConfoundRegressors"])
        matrix = pd.read_csv(
            run_file(tmp_path / "results", label, "_meas-correlation_relmat.tsv"),
            sep="\t",
            index_col=0,
        )
        assert np.isfinite(matrix.to_numpy()).all()
