"""Results people can read and reuse: all kinds, sidecars, long table, views, report.

One real run of the workflow with every connectivity kind on a small demo
cohort; the interactive pages are opened in a real headless Chromium.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from browser import DRAWN_EDGES, browser_page, needs_chromium
from cohorts import SMALL_DEMO
from helpers import run_file, run_snakemake
from regions_connectome.denoising import read_confounds
from regions_connectome.figures import edge_cutoff
from regions_connectome.kinds import CONNECTIVITY_KINDS
from regions_connectome.quality import framewise_displacement

SUBJECTS = ("01", "02", "03")
KINDS = ["correlation", "partial correlation", "covariance", "precision", "tangent"]
CONFIG = {
    "demo": SMALL_DEMO,
    "connectivity_kinds": KINDS,
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("results")
    run_snakemake(workdir, config=CONFIG)
    return workdir


def read(path):
    return pd.read_csv(path, sep="\t", index_col=0)


def test_every_kind_per_subject_and_group(run):
    results = run / "results"
    labels = read(results / "group" / "meas-correlation_relmat.tsv").index.tolist()
    for kind in KINDS:
        name = kind.replace(" ", "")
        group = read(results / "group" / f"meas-{name}_relmat.tsv")
        assert group.index.tolist() == labels == group.columns.tolist()
        subjects = [read(run_file(results, s, f"_meas-{name}_relmat.tsv")) for s in SUBJECTS]
        for matrix in subjects:
            assert matrix.index.tolist() == labels and np.isfinite(matrix.to_numpy()).all()
        if kind == "tangent":
            sidecar = json.loads((results / "group" / f"meas-{name}_relmat.json").read_text())
            assert "geometric mean" in sidecar["Statistic"]
            assert np.linalg.eigvalsh(group.to_numpy()).min() > 0
        else:
            np.testing.assert_allclose(
                group.to_numpy(), np.mean([m.to_numpy() for m in subjects], axis=0), atol=1e-8
            )
        assert (
            results / "figures" / f"matrix{'' if name == 'correlation' else f'_meas-{name}'}.png"
        ).is_file()


def test_sidecars_say_what_made_each_matrix(run):
    results = run / "results"
    for subject in SUBJECTS:
        timeseries = json.loads(run_file(results, subject, "_timeseries.json").read_text())
        assert timeseries["ConfoundRegressors"] == [
            "trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"
        ]  # fmt: skip
        assert timeseries["NumberOfVolumesKept"] == 60
        relmat = json.loads(
            (run_file(results, subject, "_meas-partialcorrelation_relmat.json")).read_text()
        )
        assert relmat["ConnectivityKind"] == "partial correlation"
        assert relmat["Estimator"]["name"] == "nilearn.connectome.ConnectivityMeasure"
        assert relmat["RegionsImage"].endswith("regions.nii.gz")
        assert relmat["ConfoundsFile"].endswith(f"sub-{subject}_desc-confounds_timeseries.tsv")
        assert relmat["NumberOfVolumesKept"] == 60
    group = json.loads((results / "group" / "meas-correlation_relmat.json").read_text())
    assert group["InputLabels"] == list(SUBJECTS) and group["NumberOfInputs"] == 3


def test_long_table_holds_every_matrix(run):
    results = run / "results"
    table = pd.read_csv(results / "group" / "relmats_long.tsv", sep="\t", dtype={"input": str})
    assert table.columns.tolist() == ["input", "kind", "region_a", "region_b", "value"]
    n_regions = len(read(results / "group" / "meas-correlation_relmat.tsv"))
    assert len(table) == len(KINDS) * len(SUBJECTS) * n_regions * (n_regions + 1) // 2
    matrix = read(run_file(results, "02", "_meas-covariance_relmat.tsv"))
    row = table.query("input == '02' and kind == 'covariance'").iloc[1]
    assert row["value"] == pytest.approx(matrix.loc[row["region_a"], row["region_b"]], rel=1e-8)


def test_quality_figures_and_provenance(run):
    results = run / "results"
    figures = [f"quality/sub-{s}_task-rest_quality.png" for s in SUBJECTS] + ["quality_group.png"]
    for name in figures:
        assert (results / "figures" / name).read_bytes().startswith(b"\x89PNG")
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["config"]["connectivity_kinds"] == KINDS
    for package in ("python", "snakemake", "nilearn", "numpy", "scikit-learn"):
        assert provenance["software"][package][0].isdigit(), package
    func = provenance["inputs"]["02"]["func"]
    assert (
        func["bytes"]
        == (results / "sourcedata" / "demo" / "sub-02" / "sub-02_bold.nii.gz").stat().st_size
    )
    assert len(func["sha256"]) == 64 and provenance["inputs"]["02"]["n_volumes"] == 60
    methods = (results / "methods.md").read_text()
    assert "3 subjects (60 volumes each)" in methods and "DictLearning" in methods
    assert "tangent" in methods and "Mensch" in methods and "Mölder" in methods


@needs_chromium
@pytest.mark.parametrize("page", ["connectome.html", "regions.html"])
def test_interactive_pages_render_in_a_real_browser(run, page, tmp_path):
    results = run / "results"
    with browser_page() as (tab, errors):
        tab.goto((results / "figures" / page).as_uri(), wait_until="load")
        tab.wait_for_timeout(1500)
        drawn = tab.evaluate("document.querySelectorAll('canvas').length")
        if page == "connectome.html":
            edges = tab.evaluate(DRAWN_EDGES)
        else:
            legend = tab.evaluate(
                "[...document.querySelectorAll('#regions-legend li')].map(li => li.textContent)"
            )
        tab.screenshot(path=str(tmp_path / page.replace(".html", ".png")))
    assert errors == []
    assert drawn > 0
    assert (tmp_path / page.replace(".html", ".png")).stat().st_size > 10_000
    table = pd.read_csv(results / "group" / "regions.tsv", sep="\t")
    if page == "connectome.html":
        # the edges of connectome.png: 90% over the edges, not the diagonal
        matrix = read(results / "group" / "meas-correlation_relmat.tsv").to_numpy()
        off_diagonal = np.abs(matrix[np.tril_indices_from(matrix, k=-1)])
        assert edges == (off_diagonal >= edge_cutoff(matrix, "90%")).sum() > 0
    else:
        assert legend == table["label"].tolist()


def test_snakemake_report_has_every_figure(run):
    report = run / "report.zip"
    run_snakemake(run, "--report", str(report), config=CONFIG)
    with zipfile.ZipFile(report) as archive:
        names = archive.namelist()
        text = "".join(
            archive.read(n).decode(errors="ignore")
            for n in names
            if not n.endswith((".png", ".svg", "/"))
        )
    figures = [n for n in names if n.endswith(".png")]
    # a matrix per kind, a figure per network, components, regions,
    # connectome, quality per subject and for the group, QC-FC
    assert len(figures) == len(KINDS) + 5 + 3 + len(SUBJECTS) + 1 + 1, figures
    assert "qcfc.png" in {n.rsplit("/", 1)[-1] for n in names}
    assert {"connectome.html", "regions.html"} <= {n.rsplit("/", 1)[-1] for n in names}
    for category in ("Decomposition", "Regions", "Connectivity", "Per network", "Quality"):
        assert category in text, category
    assert "ratio_n_voxels" in text  # a caption states its parameters


@needs_chromium
def test_interactive_pages_show_inside_the_snakemake_report(run, tmp_path):
    """The zip report, opened and clicked through in Chromium, shows both pages.

    The single-file report embeds each result as a data URI, which Chromium
    refuses in a frame above 2 MB: the connectome page (plotly, 2.5 MB) needs
    ``--report report.zip``, as Snakemake advises for large results.
    """
    report = run / "report.zip"
    if not report.exists():
        run_snakemake(run, "--report", str(report), config=CONFIG)
    with zipfile.ZipFile(report) as archive:
        archive.extractall(tmp_path)
    shown = {}
    with browser_page(1400, 1000) as (tab, errors):
        tab.goto((tmp_path / "report" / "report.html").as_uri(), wait_until="load")
        tab.wait_for_timeout(1000)
        for category, page in [("Connectivity", "connectome.html"), ("Regions", "regions.html")]:
            tab.get_by_text("Results", exact=True).first.click()
            tab.get_by_text(category, exact=True).first.click()
            entry = tab.locator("tr, li, div").filter(has_text=f"results/figures/{page}").last
            entry.locator("svg, button, a").first.click()  # the "view" icon
            tab.wait_for_timeout(2500)
            frame = tab.frames[-1]
            shown[page] = (
                frame.url,
                frame.evaluate("document.querySelectorAll('canvas').length"),
                frame.evaluate(DRAWN_EDGES) if page == "connectome.html" else None,
            )
    assert errors == []
    for page, (url, canvases, _) in shown.items():
        assert url.endswith(page) and canvases > 0, (page, url)
    assert shown["connectome.html"][2] > 0


def test_results_are_a_bids_derivatives_dataset_pybids_reads(run):
    """BIDSLayout finds every subject's timeseries and matrices by their entities."""
    from bids import BIDSLayout

    results = run / "results"
    description = json.loads((results / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative"
    assert description["GeneratedBy"][0]["Name"] == "regions_connectome"
    with pytest.warns(UserWarning, match="no valid datasets were found"):  # no derivatives/
        layout = BIDSLayout(results, validate=False, derivatives=True)
    runs = {"suffix": "timeseries", "extension": ".tsv", "return_type": "id"}
    assert layout.get(target="subject", **runs) == list(SUBJECTS)
    assert layout.get(target="task", **runs) == ["rest"]
    common = {"task": "rest", "space": "MNI152NLin2009aSym", "segmentation": "DictLearning"}
    for subject in SUBJECTS:
        found = layout.get(subject=subject, suffix="timeseries", extension=".tsv", **common)
        assert [f.path for f in found] == [str(run_file(results, subject, "_timeseries.tsv"))]
        metadata = found[0].get_metadata()
        assert metadata["SamplingFrequency"] == 0.5 and metadata["ConfoundRegressors"]
        assert metadata["NumberOfVolumesDiscardedByMotionScrubbing"] == 0
        relmats = layout.get(subject=subject, suffix="relmat", extension=".tsv", **common)
        assert len(relmats) == len(KINDS)
        # pybids 0.22 does not know BEP017's meas- entity: it would merge every
        # kind's sidecar, so each matrix's own sidecar is read beside it.
        for relmat in relmats:
            metadata = json.loads(Path(relmat.path).with_suffix(".json").read_text())
            assert metadata["Measure"] and metadata["Directed"] is False
            kind = CONNECTIVITY_KINDS[metadata["ConnectivityKind"]]
            assert f"_meas-{kind.label}_" in relmat.filename
    # The demo cohort (sourcedata/) and the group files are not subjects' runs.
    assert not layout.get(subject=SUBJECTS[0], desc="truth")
    assert "sourcedata/" not in (results / ".bidsignore").read_text()


def test_every_run_has_a_qc_row_and_the_group_table_gathers_them(run):
    results = run / "results"
    group = pd.read_csv(results / "group/qc.tsv", sep="\t", dtype={"input": str})
    assert list(group["input"]) == list(SUBJECTS)
    for subject, row in zip(SUBJECTS, group.itertuples(index=False), strict=True):
        confounds = run / f"results/sourcedata/demo/sub-{subject}"
        fd = framewise_displacement(
            read_confounds(confounds / f"sub-{subject}_desc-confounds_timeseries.tsv")
        )
        assert row.n_volumes == row.n_volumes_kept == 60
        assert row.mean_fd == pytest.approx(fd.mean(), rel=1e-8)
        assert row.max_fd == pytest.approx(fd.max(), rel=1e-8)
        assert np.isnan(row.mean_dvars)  # the demo's confounds have no DVARS
        sidecar = json.loads(run_file(results, subject, "_timeseries.json").read_text())
        assert sidecar["MeanFramewiseDisplacement"] == pytest.approx(row.mean_fd, rel=1e-8)
    summary = json.loads((results / "group/qcfc.json").read_text())
    assert (
        summary["NumberOfUnits"] == len(SUBJECTS) and summary["ConnectivityKind"] == "correlation"
    )
    assert (results / "figures/qcfc.png").stat().st_size > 10_000
