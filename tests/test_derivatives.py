"""regions_connectome.derivatives: names and metadata of the derivatives dataset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import run_snakemake
from regions_connectome.denoising import Denoising
from regions_connectome.derivatives import (
    DEMO_SPACE,
    dataset_description,
    output_entities,
    outputs_table,
    relmat_metadata,
    run_prefix,
    run_prefixes,
    seg_label,
    set_aside,
    space_label,
    stale_outputs,
    timeseries_metadata,
)
from regions_connectome.kinds import CONNECTIVITY_KINDS
from regions_connectome.synthetic import write_cohort


@pytest.mark.parametrize(
    ("label", "prefix"),
    [
        ("01", "sub-01/func/sub-01_task-rest"),
        ("0010042", "sub-0010042/func/sub-0010042_task-rest"),
        ("03_task-nback", "sub-03/func/sub-03_task-nback"),
        ("02_ses-A_task-rest", "sub-02/ses-A/func/sub-02_ses-A_task-rest"),
        # BIDS order whatever the label's order, task-rest where none is given
        ("01_run-2_ses-B", "sub-01/ses-B/func/sub-01_ses-B_task-rest_run-2"),
        ("01_task-rest_acq-mb_run-1", "sub-01/func/sub-01_task-rest_acq-mb_run-1"),
    ],
)
def test_scan_prefix_names_the_run_as_bids_does(label, prefix):
    assert run_prefix(label) == prefix


@pytest.mark.parametrize("label", ["01_foo-1", "01_run-1_run-2", "01_sub-02"])
def test_a_label_that_is_not_bids_entities_is_refused(label):
    with pytest.raises(ValueError, match=f"input {label}: .* is not a BIDS entity"):
        run_prefix(label)


def test_two_labels_naming_one_run_are_refused():
    assert run_prefixes(["01", "02_run-1"]) == {
        "01": "sub-01/func/sub-01_task-rest",
        "02_run-1": "sub-02/func/sub-02_task-rest_run-1",
    }
    with pytest.raises(ValueError, match="inputs 01 and 01_task-rest both name the run"):
        run_prefixes(["01", "01_task-rest"])


def test_seg_label_names_the_regions():
    assert seg_label({"apply": None, "name": None}, "dictlearning") == "DictLearning"
    assert seg_label({"apply": None, "name": None}, "canica") == "CanICA"
    applied = {"apply": "/usr/share/mricron/templates/aal.nii.gz", "name": None}
    assert seg_label(applied, "dictlearning") == "aal"
    ho = {"apply": "atlases/HarvardOxford-cort-maxprob-thr0-1mm.nii.gz", "name": None}
    assert seg_label(ho, "dictlearning") == "HarvardOxfordcortmaxprobthr01mm"
    assert seg_label(applied | {"name": "AAL116"}, "dictlearning") == "AAL116"
    with pytest.raises(ValueError, match="letters and digits"):
        seg_label({"apply": None, "name": "my-atlas"}, "dictlearning")
    with pytest.raises(ValueError, match="set regions.name"):
        seg_label({"apply": "x/__.nii.gz", "name": None}, "dictlearning")


def test_space_is_said_only_where_the_inputs_say_it(tmp_path):
    from regions_connectome.inputs import source_kind

    def space(subjects, bids_space):
        return space_label(source_kind(subjects), bids_space)

    assert space("demo", "MNI152NLin2009cAsym") == DEMO_SPACE
    assert space(str(tmp_path), "MNI152NLin6Asym") == "MNI152NLin6Asym"
    assert space(str(tmp_path / "subjects.tsv"), "MNI152NLin2009cAsym") is None
    assert space("adhd", "MNI152NLin2009cAsym") is None
    assert output_entities("X", "Y") == "_space-X_seg-Y"
    assert output_entities(None, "Y") == "_seg-Y" and output_entities("X") == "_space-X"


def test_dataset_description_is_a_derivative():
    description = dataset_description("wf", "1.0", "https://github.com/o/wf", ["file:///bids"])
    assert description["DatasetType"] == "derivative"
    assert description["GeneratedBy"] == [
        {"Name": "wf", "Version": "1.0", "CodeURL": "https://github.com/o/wf"}
    ]
    assert description["SourceDatasets"] == [{"URL": "file:///bids"}]
    # no address: no CodeURL (never a checkout's local path)
    assert dataset_description("wf", "1.0")["GeneratedBy"] == [{"Name": "wf", "Version": "1.0"}]
    assert "SourceDatasets" not in dataset_description("wf", "1.0")
    json.dumps(description)


def test_bep017_metadata():
    denoising = Denoising(None, [0, 1, 3], 5, {"columns": ["trans_x", "csf"]})
    metadata = timeseries_metadata(denoising, 2.0, 0.12)
    assert metadata == {
        "ConfoundRegressors": ["trans_x", "csf"],
        "NumberOfVolumesDiscardedByMotionScrubbing": 2,
        "MeanFramewiseDisplacement": 0.12,
        "SamplingFrequency": 0.5,
    }
    assert timeseries_metadata(denoising, None, None)["SamplingFrequency"] is None
    for kind in CONNECTIVITY_KINDS:
        relmat = relmat_metadata(kind, ["a_timeseries.tsv"])
        assert relmat["Measure"] == CONNECTIVITY_KINDS[kind].measure
        assert relmat["Directed"] is False and relmat["StorageFormat"] == "Full"
        assert relmat["Sources"] == ["a_timeseries.tsv"] and kind in relmat["MeasureDescription"]


def test_outputs_table_names_the_input_of_each_run_file():
    prefixes = run_prefixes(["01_ses-1_task-rest", "01_ses-2_task-rest", "02"])
    files = [
        "results/sub-01/ses-1/func/sub-01_ses-1_task-rest_timeseries.tsv",
        "results/sub-01/ses-2/func/sub-01_ses-2_task-rest_space-MNI_seg-X_meas-tangent_relmat.tsv",
        "results/sub-02/func/sub-02_task-rest_qc.tsv",
        "results/figures/quality/sub-02_task-rest_quality.png",
        "results/group/meas-correlation_relmat.tsv",
        "results/sub-02/func/sub-02_task-rest_qc.tsv",  # once only
    ]
    table = outputs_table(files, prefixes)
    assert table["file"].tolist() == sorted(set(files))
    owners = table["input"].astype(object).where(table["input"].notna(), None)
    assert dict(zip(table["file"], owners, strict=True)) == {
        files[0]: "01_ses-1_task-rest",
        files[1]: "01_ses-2_task-rest",
        files[2]: "02",
        files[3]: "02",
        files[4]: None,
    }


def test_stale_outputs_are_what_the_configuration_does_not_produce(tmp_path):
    results = tmp_path / "results"
    run = "sub-01/func/sub-01_task-rest"
    run2 = "sub-01/func/sub-01_task-rest_run-2"  # a second run of the subject, removed
    gone = "sub-02/func/sub-02_task-rest"  # a subject removed
    files = {
        f"{run}_qc.tsv": False,
        f"{run}_space-MNI_desc-epi_mask.nii.gz": False,
        f"{run}_space-MNI_seg-DictLearning_timeseries.tsv": False,
        f"{run}_space-MNI_seg-DictLearning_meas-correlation_relmat.tsv": False,
        f"{run}_space-MNI_seg-DictLearning_meas-covariance_relmat.tsv": True,  # kind dropped
        f"{run}_space-MNI_seg-CanICA_timeseries.tsv": True,  # other regions
        f"{run2}_qc.tsv": True,
        f"{gone}_space-MNI_seg-DictLearning_timeseries.tsv": True,
        "group/meas-correlation_relmat.tsv": False,
        "group/meas-covariance_relmat.tsv": True,
        "group/exclusions.tsv": True,
        "figures/network-0.png": False,
        "figures/network-7.png": True,
        "figures/matrix_meas-covariance.png": True,
        f"checks/{run}.json": False,
        f"checks/{gone}.json": True,
        f"logs/subject_timeseries/{run}.log": False,
        f"logs/subject_timeseries/{gone}.log": True,
        f"benchmarks/reduce_subject/{run2}.tsv": True,
        "logs/group_connectivity/meas-correlation.log": False,
        "logs/plot_matrix/matrix_meas-covariance.log": True,
        "logs/decompose.log": False,
        "benchmarks/demo_subject/sub-07.tsv": False,  # the demo cohort's, not a run's
    }
    for name in files:
        (results / name).parent.mkdir(parents=True, exist_ok=True)
        (results / name).write_text("x")
    stale = stale_outputs(
        results, {run}, "MNI", "DictLearning", {"correlation"}, range(5), ["group/exclusions.tsv"]
    )
    assert sorted(p.relative_to(results).as_posix() for p in stale) == sorted(
        name for name, is_stale in files.items() if is_stale
    )
    folder = set_aside(results, stale, "20261127T120000")
    assert folder == results / ".stale" / "20261127T120000"
    for name, is_stale in files.items():
        assert (results / name).exists() != is_stale
        assert (folder / name).exists() == is_stale


def test_results_hold_only_the_current_run_after_a_subject_and_a_kind_are_removed(tmp_path):
    """For real: two runs in one folder, pybids asked afterwards."""
    import warnings

    from bids import BIDSLayout

    sheet = write_cohort(tmp_path / "cohort", n_subjects=4)
    config = {"subjects": str(sheet), "mask": "template",
              "connectivity_kinds": ["correlation", "covariance"]}  # fmt: skip
    run_snakemake(tmp_path, config=config)
    first_three = tmp_path / "cohort" / "first_three.tsv"
    first_three.write_text("".join(sheet.read_text().splitlines(keepends=True)[:4]))
    smaller = {"subjects": str(first_three), "connectivity_kinds": ["correlation"]}
    run_snakemake(tmp_path, config=config | smaller)
    results = tmp_path / "results"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no valid datasets": no derivatives/
        layout = BIDSLayout(results, validate=False, derivatives=True)
    runs = {"suffix": "timeseries", "extension": ".tsv", "return_type": "id"}
    assert layout.get(target="subject", **runs) == ["01", "02", "03"]
    names = [Path(f).name for f in layout.get(return_type="filename")]
    assert names and not [n for n in names if "sub-04" in n or "meas-covariance" in n]
    assert not list((results / "group").glob("meas-covariance*"))
    assert not (results / "figures" / "matrix_meas-covariance.png").exists()
    (stale,) = (results / ".stale").iterdir()
    assert list(stale.glob("sub-04/func/*_timeseries.tsv"))
    assert (stale / "group" / "meas-covariance_relmat.tsv").is_file()


def test_the_schema_states_the_label_alphabet_of_the_code():
    """A BIDS label's characters: in the code once (LABEL), and in the schema's patterns."""
    import yaml

    from helpers import PROJECT
    from regions_connectome.derivatives import LABEL, RUN_PATTERN
    from regions_connectome.inputs import INPUT_LABEL

    schema = (PROJECT / "workflow" / "schemas" / "config.schema.yaml").read_text()
    patterns = re.findall(r"pattern: (.+)", schema)
    labels = [p for p in patterns if "A-Za-z" in p]
    assert len(labels) == 3 and all(LABEL in p for p in labels)
    properties = yaml.safe_load(schema)["properties"]
    assert properties["regions"]["properties"]["name"]["pattern"] == f"^{LABEL}$"
    assert INPUT_LABEL.fullmatch("01_ses-A_task-rest_run-2") and not INPUT_LABEL.fullmatch("0-1")
    assert re.fullmatch(RUN_PATTERN, "sub-01/ses-A/func/sub-01_ses-A_task-rest")
