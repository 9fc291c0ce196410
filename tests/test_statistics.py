"""regions_connectome.statistics: edge-wise group statistics.

The t statistics are checked against statsmodels' OLS, the permutations
against nilearn's permuted_ols, the network-based statistic against bctpy's
nbs_bct; then a real run of the demo with a planted group difference.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from helpers import run_snakemake
from regions_connectome import statistics
from regions_connectome.statistics import ModelError

# t statistics computed two ways agree to rounding.
T_RTOL = 1e-9


def participants_table(n, rng):
    return pd.DataFrame(
        {
            "group": ["patient", "control"] * (n // 2),
            "age": rng.normal(30, 5, n).round(1).astype(str),
            "sex": rng.choice(["F", "M"], n),
        },
        index=pd.Index([f"{k:02d}" for k in range(1, n + 1)], name="participant"),
    )


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    table = participants_table(30, rng)
    design = statistics.design(table, table.index, "group", ["patient", "control"], ["age", "sex"])
    return design, rng.standard_normal((30, 45))


def test_t_values_equal_statsmodels_ols_per_edge(model):
    import statsmodels.api as sm

    design, values = model
    pairs = np.triu_indices(10, 1)
    table = statistics.edge_statistics(design, values, pairs, 10, 200, 0, 3.0)
    exog = np.column_stack([np.ones(len(values)), design.tested, design.covariates])
    fits = [sm.OLS(values[:, e], exog).fit() for e in range(values.shape[1])]
    np.testing.assert_allclose(table["t"], [f.tvalues[1] for f in fits], rtol=T_RTOL)
    np.testing.assert_allclose(table["effect"], [f.params[1] for f in fits], rtol=T_RTOL)
    # the tested column is patient (1) against control (0): the sign is patient - control
    assert design.description == "group: patient - control"
    assert design.covariate_names == ["age", "sex[M]"]


def nilearn_permutations(random_state, n_permutations, n):
    """The row orders permuted_ols draws with n_jobs=1 (it shuffles cumulatively)."""
    from sklearn.utils import check_random_state

    seed = check_random_state(random_state).randint(1, np.iinfo(np.int32).max - 1)
    rng, order, orders = np.random.RandomState(seed), np.arange(n), []
    for _ in range(n_permutations):
        order = order[rng.permutation(n)]
        orders.append(order)
    return np.array(orders)


def test_permuted_t_is_permuted_ols_under_its_permutations(model):
    """The network-based statistic permutes as nilearn does.

    With permuted_ols' own row orders: the same maximum |t| in every permutation.
    """
    from nilearn.mass_univariate import permuted_ols

    design, values = model
    reference = permuted_ols(
        design.tested, values, design.covariates, model_intercept=True, n_perm=100,
        random_state=3, n_jobs=1, output_type="dict", verbose=0,
    )  # fmt: skip
    orders = nilearn_permutations(3, 100, len(values))
    maxima = np.abs(statistics.permuted_t(design, values, orders)).max(axis=1)
    np.testing.assert_allclose(np.sort(maxima), np.sort(reference["h0_max_t"][0]), rtol=T_RTOL)
    observed = statistics.permuted_t(design, values, np.arange(len(values))[None])[0]
    np.testing.assert_allclose(observed, reference["t"][0], rtol=T_RTOL)


def test_network_based_statistic_equals_bctpy():
    import bct

    rng = np.random.default_rng(2)
    n_regions, n_x, n_y, n_perm = 12, 10, 12, 300

    def population(size, shift):
        matrices = rng.standard_normal((size, n_regions, n_regions))
        matrices = (matrices + matrices.transpose(0, 2, 1)) / 2
        matrices[:, :6, :6] += shift
        return matrices

    x, y = population(n_x, 1.5), population(n_y, 0.0)
    with contextlib.redirect_stdout(io.StringIO()):
        p_bct, _, null_bct = bct.nbs_bct(
            x.transpose(1, 2, 0), y.transpose(1, 2, 0), 3.0, k=n_perm, seed=5
        )
    groups = pd.DataFrame(
        {"group": ["x"] * n_x + ["y"] * n_y},
        index=[f"{k:02d}" for k in range(n_x + n_y)],
    )
    design = statistics.design(groups, groups.index, "group")
    values, pairs = statistics.edge_values(np.concatenate([x, y]), "covariance")
    # bctpy takes its permutation's first n_x columns as x: the row order that
    # gives each participant the group of the one whose place it takes
    state = np.random.RandomState(5)
    orders = np.array([np.argsort(state.permutation(n_x + n_y)) for _ in range(n_perm)])
    component, p_fwe, null = statistics.network_based_statistic(
        design, values, pairs, n_regions, 3.0, orders
    )
    np.testing.assert_array_equal(null, null_bct)
    # bctpy's p is #{null >= size} / k; ours adds the observed to both counts
    expected = np.sort((1 + p_bct * n_perm) / (1 + n_perm))
    found = np.sort(np.unique(p_fwe[component >= 0]))
    np.testing.assert_allclose(found, expected, rtol=1e-12)
    assert (p_fwe < 0.05).any(), "the planted block is a significant component"


def test_max_t_finds_a_planted_edge_and_holds_the_others():
    rng = np.random.default_rng(4)
    table = participants_table(40, rng)
    design = statistics.design(table, table.index, "group", ["patient", "control"])
    values = rng.standard_normal((40, 66))
    values[:, 7] += 2.0 * design.tested[:, 0]
    result = statistics.edge_statistics(design, values, np.triu_indices(12, 1), 12, 999, 0, 3.0)
    assert result.loc[7, "p_fwe"] < 0.01
    assert (result.drop(index=7)["p_fwe"] > 0.05).all()
    assert result.loc[7, "t"] > 0


def test_edges_a_participant_lacks_are_not_tested(model):
    design, values = model
    values = values.copy()
    values[3, 5] = np.nan
    table = statistics.edge_statistics(design, values, np.triu_indices(10, 1), 10, 100, 0, 3.0)
    assert not table.loc[5, "tested"] and np.isnan(table.loc[5, "t"])
    assert table.drop(index=5)["tested"].all()


def test_fisher_z_for_correlations_only():
    matrix = np.array([[1.0, 0.5], [0.5, 1.0]])
    values, _ = statistics.edge_values([matrix], "correlation")
    np.testing.assert_allclose(values, [[np.arctanh(0.5)]])
    values, _ = statistics.edge_values([matrix], "tangent")
    np.testing.assert_allclose(values, [[0.5]])


def test_design_leaves_out_and_records_who_cannot_be_modelled():
    table = pd.DataFrame(
        {"dx": ["ADHD", "TDC", "ADHD", "TDC", "other", np.nan, "ADHD", "TDC"],
         "age": ["9", "10", np.nan, "11", "12", "8", "10", "9.5"]},
        index=pd.Index(["01", "02", "03", "04", "05", "06", "07", "08"], name="participant"),
    )  # fmt: skip
    design = statistics.design(table, [*table.index, "09"], "dx", ["ADHD", "TDC"], ["age"])
    assert design.participants == ["01", "02", "04", "07", "08"]
    assert design.left_out == {
        "09": "not in the participants table",
        "03": "no value of age",
        "06": "no value of dx",
        "05": "dx is other, not compared",
    }
    assert design.label == "ADHDVsTDC"
    written = design.table()
    assert list(written["participant"]) == sorted(written["participant"])
    assert written.set_index("participant").loc["03", "reason"] == "no value of age"


def test_a_number_is_tested_by_its_slope():
    table = pd.DataFrame(
        {"score": ["1.5", "2", "3", "4.25", "5"]}, index=pd.Index(list("abcde"), name="p")
    )
    design = statistics.design(table, table.index, "score")
    assert design.description == "slope of score" and design.label == "score"
    np.testing.assert_array_equal(design.tested[:, 0], [1.5, 2, 3, 4.25, 5])


@pytest.mark.parametrize(
    ("variable", "groups", "covariates", "message"),
    [
        ("diagnosis", [], [], "'diagnosis' is not a column of"),
        ("site", [], [], "name the two groups"),
        ("group", ["patient", "healthy"], [], "['healthy'] of 'group' not found"),
        ("group", [], ["sex2"], "rank deficient"),
        ("group", [], ["constant"], "rank deficient"),
    ],
)
def test_a_model_the_table_cannot_give_is_refused(variable, groups, covariates, message):
    table = participants_table(12, np.random.default_rng(1))
    table["site"] = ["A", "B", "C"] * 4
    table["sex2"] = table["sex"]
    table["constant"] = "1"
    with pytest.raises(ModelError) as error:
        statistics.design(table, table.index, variable, groups, ["sex", *covariates])
    assert message in str(error.value)


def test_groups_of_one_participant_are_refused():
    table = pd.DataFrame({"g": ["a", "b", "b", "b"]}, index=list("wxyz"))
    with pytest.raises(ModelError, match="each needs at least two"):
        statistics.design(table, table.index, "g")


def test_read_participants_reads_bids_and_sample_sheets(tmp_path):
    bids = tmp_path / "participants.tsv"
    bids.write_text("participant_id\tage\tgroup\nsub-01\t9\tADHD\nsub-02\tn/a\tTDC\n")
    table = statistics.read_participants(bids)
    assert list(table.index) == ["01", "02"]
    assert table.loc["01", "group"] == "ADHD" and pd.isna(table.loc["02", "age"])
    sheet = tmp_path / "subjects.tsv"
    sheet.write_text("subject\tfunc\tconfounds\tdx\nA1\ta.nii.gz\t\tpatient\n")
    assert list(statistics.read_participants(sheet).columns) == ["dx"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tage\nsub-01\t9\n")
    with pytest.raises(ModelError, match=r"bad\.tsv has none of the columns"):
        statistics.read_participants(bad)
    twice = tmp_path / "twice.tsv"
    twice.write_text("participant_id\tage\nsub-01\t9\n01\t10\n")
    with pytest.raises(ModelError, match=r"\['01'\] listed twice"):
        statistics.read_participants(twice)


def test_mean_fd_is_the_qc_measure_and_may_not_be_a_column():
    table = participants_table(8, np.random.default_rng(3))
    model = {"variable": "group", "groups": [], "covariates": ["mean_fd"]}
    # runs of the QC table averaged per participant: 01 has two
    fd = np.linspace(0.1, 0.3, 9)
    qc = pd.DataFrame({"mean_fd": fd}, index=["01_run-1", "01_run-2", *table.index[1:]])
    design = statistics.model_design(table, table.index, model, "p.tsv", qc)
    np.testing.assert_allclose(design.covariates[:, 0], [fd[:2].mean(), *fd[2:]])
    with pytest.raises(ModelError, match="rename the column"):
        statistics.model_design(table.assign(mean_fd="1"), table.index, model, "p.tsv")


def test_a_design_reads_back_as_written(model):
    design, _ = model
    record = statistics.design_sidecar(design, {"variable": "group", "groups": [],
                                                "covariates": ["age", "sex"]}, "p.tsv")  # fmt: skip
    table = design.table()
    table["participant"] = table["participant"].astype(str)
    again = statistics.read_design(table, record)
    assert again.participants == design.participants
    np.testing.assert_array_equal(again.tested, design.tested)
    np.testing.assert_array_equal(again.covariates, design.covariates)


# The demo's planted difference: patients' coupling of networks 0 and 2.
PLANTED = {"n_subjects": 16, "group_difference": {"pairs": [[0, 2]], "cohens_d": 4.0}}
MODEL = {"variable": "group", "groups": ["patient", "control"], "covariates": ["mean_fd"],
         "n_permutations": 2000}  # fmt: skip


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("statistics")
    config = {"demo": PLANTED, "statistics": MODEL}
    run_snakemake(workdir, config=config)
    return workdir, config


def test_a_real_run_finds_the_planted_difference_and_nothing_else(planted_run):
    import nibabel as nib

    workdir, _ = planted_run
    results = workdir / "results"
    edges = pd.read_csv(
        results / "group/contrast-patientVscontrol_meas-correlation_edges.tsv", sep="\t"
    )
    regions = pd.read_csv(results / "group/regions.tsv", sep="\t")
    # each region's network: the planted map it overlaps most
    truth = nib.load(results / "sourcedata/demo/ground_truth/networks.nii.gz").get_fdata()
    learned = nib.load(results / "group/regions.nii.gz").get_fdata()
    overlap = np.einsum("xyzr,xyzn->rn", learned, truth)
    network = dict(zip(regions["label"], overlap.argmax(axis=1), strict=True))
    ends = zip(edges["region_a"], edges["region_b"], strict=True)
    found = {frozenset((network[a], network[b])) for a, b in ends}
    assert (edges["p_fwe"] < 0.05).any()
    assert found == {frozenset((0, 2))}, edges
    assert (edges["t"] > 0).all(), "patients' coupling was raised"
    t = pd.read_csv(
        results / "group/contrast-patientVscontrol_meas-correlation_stat-t_relmat.tsv",
        sep="\t", index_col=0,
    )  # fmt: skip
    assert t.shape == (len(regions), len(regions)) and np.isnan(np.diag(t)).all()
    methods = (results / "methods.md").read_text()
    assert "network-based statistic" in methods and "2000 permutations" in methods
    assert (results / "figures/contrast-patientVscontrol_meas-correlation_statistics.png").is_file()


def planned_rules(workdir, config):
    from test_rebuilds import planned_jobs

    output = run_snakemake(workdir, "--dry-run", config=config).stdout
    return {rule for rule, _ in planned_jobs(output)}


def test_a_new_contrast_or_permutations_rerun_only_the_statistics(planted_run):
    workdir, config = planted_run
    statistics_rules = {"statistics_design", "edge_statistics", "plot_statistics", "provenance"}
    permutations = {**config, "statistics": {**MODEL, "n_permutations": 1000}}
    assert planned_rules(workdir, permutations) == {
        "edge_statistics",
        "plot_statistics",
        "provenance",
    }
    covariates = {**config, "statistics": {**MODEL, "covariates": ["age"]}}
    assert planned_rules(workdir, covariates) == statistics_rules


def test_a_column_the_table_lacks_stops_before_any_job(planted_run):
    workdir, config = planted_run
    wrong = {**config, "statistics": {**MODEL, "covariates": ["handedness"]}}
    process = run_snakemake(workdir, "--dry-run", config=wrong, check=False)
    assert process.returncode != 0
    assert "'handedness' is not a column of results/sourcedata/demo/participants.tsv" in (
        process.stdout
    )


def test_another_contrast_sets_the_former_contrasts_files_aside(planted_run):
    """Last in this module: it changes the run the others read."""
    workdir, config = planted_run
    reversed_groups = {**config, "statistics": {**MODEL, "groups": ["control", "patient"]}}
    run_snakemake(workdir, config=reversed_groups)
    results = workdir / "results"
    assert not list(results.glob("*/contrast-patientVscontrol*"))
    assert list(results.glob(".stale/*/group/contrast-patientVscontrol_design.tsv"))
    t_before = pd.read_csv(
        next(results.glob(".stale/*/group/contrast-patientVscontrol_meas-correlation_stat-t_relmat.tsv")),
        sep="\t", index_col=0,
    )  # fmt: skip
    t_after = pd.read_csv(
        results / "group/contrast-controlVspatient_meas-correlation_stat-t_relmat.tsv",
        sep="\t", index_col=0,
    )  # fmt: skip
    np.testing.assert_allclose(t_after, -t_before, rtol=T_RTOL)


def test_the_seeds_adhd200_phenotypes_give_a_diagnosis_model(tmp_path):
    """The real ADHD-200 phenotypic table nilearn fetches, as a participants table."""
    import os

    from cohorts import adhd_labels
    from regions_connectome.inputs import fetcher_participants, write_if_changed
    from testdata import ADHD_PHENOTYPES

    labels = adhd_labels()
    phenotypic = pd.read_csv(ADHD_PHENOTYPES)
    table = fetcher_participants(phenotypic, labels)
    path = tmp_path / "participants-adhd.tsv"
    write_if_changed(table, path)
    before = os.stat(path).st_mtime_ns
    write_if_changed(table, path)
    assert os.stat(path).st_mtime_ns == before, "rewritten unchanged: the design would rerun"
    participants = statistics.read_participants(path)
    assert list(participants.index) == labels and "Unnamed: 0" not in participants.columns
    design = statistics.design(participants, labels, "adhd", covariates=["age"])
    by_id = phenotypic.set_index("Subject")
    expected = [by_id.loc[int(label), "adhd"] for label in design.participants]
    np.testing.assert_array_equal(design.tested[:, 0], expected)
    assert design.description == "slope of adhd" and len(design.participants) == len(labels)


def test_the_participants_table_follows_the_source(tmp_path):
    sheet, fetched = tmp_path / "subjects.tsv", tmp_path / "participants-adhd.tsv"
    sheet.write_text("subject\tfunc\tconfounds\tdx\n")
    unset = {"participants": None}
    demo = "results/sourcedata/demo/participants.tsv"
    assert statistics.participants_file(unset, "demo", "demo", demo) == demo
    assert statistics.participants_file(unset, "sheet", str(sheet), demo) == str(sheet)
    with pytest.raises(ModelError, match="participants-adhd.tsv does not exist"):
        statistics.participants_file(unset, "fetcher", "adhd", demo, str(fetched))
    fetched.write_text("participant_id\tadhd\n")
    assert statistics.participants_file(unset, "fetcher", "adhd", demo, str(fetched)) == str(
        fetched
    )
    with pytest.raises(ModelError, match=r"bids/participants.tsv does not exist"):
        statistics.participants_file(unset, "bids", str(tmp_path / "bids"), demo)
    given = {"participants": str(sheet)}
    assert statistics.participants_file(given, "bids", "x", demo) == str(sheet)
