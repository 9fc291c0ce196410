"""A systematic guard on the checks before any job (hypothesis).

Configurations drawn from the schema's own choices, and cohorts drawn from a
zoo of real files a lab meets (images on other grids or cut short, 3D
images, confounds missing, short, empty, with gaps, applied atlases with
lookup tables that fit or not). Every draw goes through what the workflow
does at parse time: the schema's validation, then ``resolve_inputs`` (input
checks, exclusions, settings against inputs, applied regions) and the
ledger. The outcome is either a stop that names a key, a subject or a file
(``InputError``, or the schema's ``ValidationError``), or inputs whose ledger
accounts for every row of the sample sheet: never another exception.
"""

from __future__ import annotations

import copy
import gzip
import shutil

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st
from snakemake.utils import validate

from cohorts import Grid
from helpers import PROJECT, run_snakemake
from regions_connectome.inputs import InputError, ledger, resolve_inputs

SCHEMA = PROJECT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULTS = yaml.safe_load((PROJECT / "config.yaml").read_text())


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Files of every kind, each under a name that says what it is."""
    folder = tmp_path_factory.mktemp("zoo")
    grid = Grid()
    rng = np.random.default_rng(0)
    files = {}
    for name, n_volumes in (("good_a", 60), ("good_b", 60), ("good_c", 80)):
        grid.image(n_volumes, seed=len(files)).to_filename(folder / f"{name}.nii.gz")
        files[name] = n_volumes
    Grid(voxel_size=7.0).image(60, seed=9).to_filename(folder / "other_grid.nii.gz")
    img = grid.image(60, seed=10)
    data = np.asarray(img.dataobj).copy()
    data[:, :, data.shape[2] // 2 :] = 0  # a partial field of view
    nib.Nifti1Image(data, img.affine, img.header).to_filename(folder / "partial_fov.nii.gz")
    nib.Nifti1Image(data[..., 0], img.affine).to_filename(folder / "three_d.nii.gz")
    raw = (folder / "good_a.nii.gz").read_bytes()
    (folder / "truncated.nii.gz").write_bytes(raw[: len(raw) // 4])
    (folder / "not_gzip.nii.gz").write_bytes(gzip.compress(b"not a nifti header"))
    motion = pd.DataFrame(
        rng.normal(0, 0.2, (60, 6)).cumsum(axis=0),
        columns=["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"],
    )
    motion.to_csv(folder / "conf_60.tsv", sep="\t", index=False)
    motion.iloc[:50].to_csv(folder / "conf_50.tsv", sep="\t", index=False)
    with_gap = motion.assign(extra=1.0)
    with_gap.loc[20, "extra"] = np.nan
    with_gap.to_csv(folder / "conf_gap_unused.tsv", sep="\t", index=False, na_rep="n/a")
    gap_used = motion.copy()
    gap_used.loc[20, "trans_x"] = np.nan
    gap_used.to_csv(folder / "conf_gap_used.tsv", sep="\t", index=False, na_rep="n/a")
    (folder / "conf_empty.tsv").write_text("")
    (folder / "conf_text.tsv").write_text("trans_x\ttrans_y\nabc\t1\n" * 3)
    big_motion = motion * 20
    big_motion.to_csv(folder / "conf_moving.tsv", sep="\t", index=False)
    pd.concat([motion, motion.iloc[:20]]).to_csv(folder / "conf_80.tsv", sep="\t", index=False)
    # an atlas of labels on the data grid, and lookup tables that fit it or not
    mask = grid.mask.get_fdata() > 0
    labels = np.zeros(mask.shape, np.int16)
    labels[mask] = 1 + (np.indices(mask.shape)[0][mask] * 3 // mask.shape[0])
    nib.Nifti1Image(labels, grid.mask.affine).to_filename(folder / "atlas.nii.gz")
    (folder / "atlas_fits.lut").write_text(
        "1 0.1 0.2 0.3 Left part\n2 0 0 0 Middle\n3 1 1 1 Right\n"
    )
    (folder / "atlas_other.txt").write_text("7 Precentral_L 2001\n8 Precentral_R 2002\n")
    (folder / "atlas_twice.tsv").write_text("index\tname\n1\tsame\n2\tsame\n3\tother\n")
    shutil.copy(folder / "atlas.nii.gz", folder / "atlas_copy.nii.gz")
    return folder


IMAGES = ["good_a", "good_b", "good_c", "other_grid", "partial_fov", "three_d", "truncated",
          "not_gzip", "missing"]  # fmt: skip
CONFOUNDS = [None, "conf_60", "conf_50", "conf_80", "conf_gap_unused", "conf_gap_used",
             "conf_empty", "conf_text", "conf_moving", "missing"]  # fmt: skip
# each image once (two rows naming one image is its own, well-tested stop);
# the good files more often, so that draws get past the first check
rows = st.lists(
    st.tuples(
        st.sampled_from(IMAGES + ["good_a", "good_b", "good_c"] * 2),
        st.sampled_from(CONFOUNDS + ["conf_60"] * 4),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda row: row[0],
)
changes = st.fixed_dictionaries(
    {
        "mask": st.sampled_from(["epi", "template"]),
        "inputs": st.fixed_dictionaries({"grid_mismatch": st.sampled_from(["stop", "resample"])}),
        "exclusions": st.fixed_dictionaries(
            {
                "min_volumes": st.sampled_from([None, 10, 55, 1000]),
                "max_mean_fd": st.sampled_from([None, 0.05, 5.0]),
                "unusable": st.sampled_from(["stop", "exclude"]),
            }
        ),
        "confounds": st.fixed_dictionaries(
            {"columns": st.sampled_from(["all", ["trans_x", "rot_z"], ["csf"]])}
        ),
        "decomposition": st.fixed_dictionaries(
            {
                "n_components": st.sampled_from([1, 5, 70]),
                "low_pass": st.sampled_from([None, 0.1]),
                "t_r": st.sampled_from([None, 2.0]),
            }
        ),
        "regions": st.fixed_dictionaries(
            {
                "apply": st.sampled_from(
                    [None] * 6 + ["atlas.nii.gz", "atlas.nii.gz", "good_a.nii.gz", "missing.nii"]
                ),
                "apply_labels": st.sampled_from(
                    [None, "atlas_fits.lut", "atlas_other.txt", "atlas_twice.tsv"]
                ),
                "high_pass": st.sampled_from([None, 0.01, 0.2]),
                "low_pass": st.sampled_from([None, 0.1]),
                "t_r": st.sampled_from([None, 2.0]),
            }
        ),
        "connectivity_kinds": st.sampled_from([["correlation"], ["correlation", "tangent"]]),
        "group_unit": st.sampled_from(["participant", "run"]),
    }
)


def named_in_stops(labels, sheet, zoo):
    """What a stop's message must name one of: a subject, a file or a config key."""
    return [*labels, str(sheet), str(zoo), "regions.", "decomposition.", "bids.",
            "connectivity_kinds", "exclusions", "every subject"]  # fmt: skip


def merged(base, change):
    config = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict):
            config[key].update(value)
        else:
            config[key] = value
    return config


def drawn_config(zoo, folder, rows, change):
    """The config of a draw, its sample sheet written in ``folder``; and its labels."""
    sheet = folder / "subjects.tsv"
    labels = [f"s{k}" for k in range(len(rows))]
    table = pd.DataFrame(
        {
            "subject": labels,
            "func": [str(zoo / f"{image}.nii.gz") for image, _ in rows],
            "confounds": [str(zoo / f"{c}.tsv") if c else "" for _, c in rows],
        }
    )
    table.to_csv(sheet, sep="\t", index=False)
    for key in ("apply", "apply_labels"):
        if change["regions"].get(key):
            change["regions"][key] = str(zoo / change["regions"][key])
    return merged(DEFAULTS, change | {"subjects": str(sheet)}), labels


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(rows=rows, change=changes)
def test_every_outcome_is_an_accounted_run_or_a_named_stop(zoo, tmp_path, rows, change):
    config, labels = drawn_config(zoo, tmp_path, rows, change)
    sheet = config["subjects"]
    try:
        validate(config, str(SCHEMA))
    except Exception as error:  # snakemake's WorkflowError around the schema's message
        assert "ValidationError" in repr(error) or "validat" in str(error).lower(), error
        event("stopped by the schema")
        return
    try:
        inputs = resolve_inputs(config, True, folder=tmp_path / "state")
    except InputError as error:
        message = str(error)
        assert any(name in message for name in named_in_stops(labels, sheet, zoo)), message
        event(f"stopped: {message.split(':')[0][:40]}")
        return
    event(f"runs, {sum(inputs['excluded'].notna()) if 'excluded' in inputs else 0} excluded")
    records = ledger(inputs)
    assert [r["input"] for r in records] == sorted(labels)
    for record in records:
        assert record["status"] in ("included", "excluded")
        assert (record["status"] == "excluded") == bool(record["reason"])


# Errors a job may stop with after the checks: each names what went wrong.
NAMED_ERRORS = ("ValueError", "OSError", "FileNotFoundError", "InputError", "ConfoundsError",
                "UnreadableImageError")  # fmt: skip
# Draws that mostly get past the checks: the files and settings that can run,
# and a few that fail only in a job (a truncated image's data).
runnable_rows = st.lists(
    st.tuples(
        st.sampled_from(
            ["good_a", "good_b", "good_c"] * 3 + ["partial_fov", "other_grid", "truncated"]
        ),
        st.sampled_from([None, "conf_60", "conf_gap_unused", "conf_moving"]),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda row: row[0],
)
runnable_changes = st.fixed_dictionaries(
    {
        "mask": st.sampled_from(["epi", "template"]),
        "inputs": st.fixed_dictionaries({"grid_mismatch": st.just("resample")}),
        "exclusions": st.fixed_dictionaries(
            {
                "min_volumes": st.sampled_from([None, 10]),
                "max_mean_fd": st.sampled_from([None, 5.0]),
                "unusable": st.sampled_from(["stop", "exclude"]),
            }
        ),
        "confounds": st.fixed_dictionaries(
            {"columns": st.sampled_from(["all", ["trans_x", "rot_z"]])}
        ),
        "decomposition": st.fixed_dictionaries({"n_components": st.sampled_from([2, 4])}),
        "regions": st.fixed_dictionaries(
            {
                "apply": st.sampled_from([None, None, "atlas.nii.gz"]),
                "high_pass": st.sampled_from([None, 0.01]),
                "t_r": st.just(2.0),
            }
        ),
        "connectivity_kinds": st.sampled_from([["correlation"], ["correlation", "tangent"]]),
        "group_unit": st.sampled_from(["participant", "run"]),
    }
)


# no shrinking: each example is a real run
@settings(max_examples=6, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much, HealthCheck.too_slow])  # fmt: skip
@given(rows=runnable_rows, change=runnable_changes)
def test_a_sample_of_drawn_runs_completes_accounted_or_stops_naming_the_cause(
    zoo, tmp_path_factory, rows, change
):
    """Draws past the checks, run for real with snakemake to the end.

    The checks' own stops are the test above; here the jobs run: the run
    completes with a ledger that accounts for every input and every output,
    or a job stops with an error that names a subject, a file or a key
    (never an unexpected exception type).
    """
    workdir = tmp_path_factory.mktemp("drawn")
    config, labels = drawn_config(zoo, workdir, rows, change)
    try:
        validate(config, str(SCHEMA))
        resolve_inputs(config, True, folder=workdir / "state")
    except Exception:  # a stop of the checks: not this test's draw
        assume(False)
    process = run_snakemake(workdir, config=config, check=False)
    results = workdir / "results"
    if process.returncode != 0:
        logs = sorted((results / "logs").rglob("*.log"))
        failed = [log for log in logs if "Traceback" in log.read_text()]
        assert failed, process.stdout[-3000:]
        for log in failed:
            last = log.read_text().strip().splitlines()[-1]
            assert last.split(":")[0].rsplit(".", 1)[-1] in NAMED_ERRORS, (log, last)
            assert any(n in last for n in named_in_stops(labels, config["subjects"], zoo)), last
        event(f"a job stopped: {last.split(':')[0]} in {failed[0].stem}")
        return
    event("completed")
    inputs = pd.read_csv(results / "group" / "inputs.tsv", sep="\t", dtype={"input": str})
    assert sorted(inputs["input"]) == sorted(labels)
    outputs = pd.read_csv(results / "group" / "outputs.tsv", sep="\t", dtype={"input": str})
    assert all((workdir / path).is_file() for path in outputs["file"])
    included = inputs.loc[inputs["status"] == "included", "input"]
    assert set(outputs["input"].dropna()) == set(included)
