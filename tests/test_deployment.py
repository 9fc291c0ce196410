"""Deployed as Snakemake users deploy workflows: a module, and snakedeploy.

The workflow is committed to a git repository made from this checkout and
tagged; git's ``url.<base>.insteadOf`` maps the GitHub address users would
deploy from to that repository, so that snakedeploy's clone and Snakemake's
``github(...)`` source run for real without the network (the only part
mocked). Snakemake's source cache goes to a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from cohorts import SMALL_DEMO
from helpers import PROJECT, SNAKEMAKE
from regions_connectome import __version__

REPOSITORY = "example/regions-connectome"
URL = f"https://github.com/{REPOSITORY}"
TAG = f"v{__version__}"
# The deploying folder's own settings: the small demo.
DEPLOYED_CONFIG = {"demo": SMALL_DEMO, "decomposition": {"n_components": 5}}


def git(folder, *args):
    command = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A tagged git repository of this checkout's files, and git and Snakemake settings."""
    folder = tmp_path_factory.mktemp("source")
    files = git(PROJECT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    repository = folder / "regions-connectome"
    for name in files:
        source_file = PROJECT / name
        if not source_file.exists() and not source_file.is_symlink():
            continue  # deleted in the working tree
        target = repository / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source_file.is_symlink():
            target.symlink_to(os.readlink(source_file))
        else:
            target.write_bytes(source_file.read_bytes())
    git(repository, "init", "-q")
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "release")
    git(repository, "tag", TAG)
    gitconfig = folder / "gitconfig"
    gitconfig.write_text(f'[url "{repository}"]\n\tinsteadOf = {URL}\n')
    env = os.environ | {
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "PYTHONHASHSEED": "0",
    }
    return repository, env


def deploying_folder(folder, module_source, env, prefix=""):
    """A folder deploying the workflow as a module, with its own config; run it."""
    (folder / "config").mkdir(parents=True)
    (folder / "workflow").mkdir()
    defaults = yaml.safe_load((PROJECT / "config" / "config.yaml").read_text())
    config = defaults | {key: defaults[key] | value for key, value in DEPLOYED_CONFIG.items()}
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "workflow" / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        f"module regions_connectome:\n    snakefile:\n        {module_source}\n"
        "    config:\n        config\n\n\n"
        f"use rule * from regions_connectome{prefix}\n\n\n"
        "onstart:\n    regions_connectome.onstart()\n"
    )
    return run(folder, env)


def run(folder, env, *args):
    process = subprocess.run(
        [SNAKEMAKE, "--cores", "2", *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.returncode == 0, process.stdout[-6000:]
    return process


def assert_complete_results(folder):
    results = folder / "results"
    outputs = (results / "group" / "outputs.tsv").read_text().splitlines()[1:]
    assert len(outputs) > 20
    assert all((folder / line.split("\t")[0]).is_file() for line in outputs)
    return json.loads((results / "dataset_description.json").read_text())


def test_a_module_from_a_local_path(source, tmp_path):
    """The repository's root Snakefile, its rules renamed (``use rule * from … as …``)."""
    repository, env = source
    folder = tmp_path / "deployed"
    process = deploying_folder(folder, f'"{repository / "Snakefile"}"', env, " as rc_*")
    assert "rc_reduce_subject" in process.stdout
    description = assert_complete_results(folder)
    # a local path is no address to share
    assert "CodeURL" not in description["GeneratedBy"][0]
    record = json.loads((folder / "results" / "provenance.json").read_text())["workflow"]
    assert record["commit"] == git(repository, "rev-parse", "HEAD")
    assert record["modified"] is False


def test_a_module_from_a_git_source_then_a_stale_file_set_aside(source, tmp_path):
    repository, env = source
    folder = tmp_path / "deployed"
    deploying_folder(folder, f'github("{REPOSITORY}", path="workflow/Snakefile", tag="{TAG}")', env)
    description = assert_complete_results(folder)
    assert description["GeneratedBy"][0]["CodeURL"] == URL
    record = json.loads((folder / "results" / "provenance.json").read_text())["workflow"]
    assert record["commit"] == TAG and record["version"] == __version__
    # the package was read through Snakemake's source cache, not this checkout
    copies = list((folder / ".snakemake" / "regions_connectome" / "source").glob("*"))
    assert len(copies) == 1 and (copies[0] / "regions_connectome" / "job.py").is_file()
    # the module's onstart, called by the deploying Snakefile, sets stale files
    # aside when a run has jobs to do (here the figures, at another resolution)
    stale = folder / "results" / "sub-99" / "func" / "sub-99_task-rest_timeseries.tsv"
    stale.parent.mkdir(parents=True)
    stale.write_text("old\n")
    process = run(folder, env, "--config", "figures={dpi: 90}")
    assert "plot_regions" in process.stdout and "reduce_subject" not in process.stdout
    assert not stale.exists()
    assert list((folder / "results" / ".stale").rglob(stale.name))


def test_snakedeploy_then_snakemake(source, tmp_path):
    """What a user types: snakedeploy deploy-workflow, edit the config, run."""
    _, env = source
    folder = tmp_path / "deployed"
    snakedeploy = str(Path(SNAKEMAKE).with_name("snakedeploy"))
    subprocess.run(
        [snakedeploy, "deploy-workflow", URL, str(folder), "--tag", TAG],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    snakefile = (folder / "workflow" / "Snakefile").read_text()
    assert f'github("{REPOSITORY}", path="workflow/Snakefile", tag="{TAG}")' in snakefile
    assert (folder / "profiles" / "slurm" / "config.yaml").is_file()
    assert (folder / "LICENSE").is_file()
    config_file = folder / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    for key, value in DEPLOYED_CONFIG.items():
        config[key] |= value
    config_file.write_text(yaml.safe_dump(config))
    run(folder, env)
    assert_complete_results(folder)


def test_two_checkouts_give_byte_identical_results(source, tmp_path):
    """No path of the machine or of the checkout goes into the results."""
    repository, env = source
    subprocess.run(["git", "clone", "-q", str(repository), str(tmp_path / "other")], check=True)
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump(DEPLOYED_CONFIG))
    for checkout, run_folder in ((repository, "first"), (tmp_path / "other", "second")):
        (tmp_path / run_folder).mkdir()
        run(tmp_path / run_folder, env, "--snakefile", str(checkout / "Snakefile"),
            "--configfile", str(checkout / "config.yaml"), str(config))  # fmt: skip

    def files(folder):
        results = tmp_path / folder / "results"
        return {
            path.relative_to(results): path.read_bytes()
            for path in sorted(results.rglob("*"))
            if path.is_file() and path.relative_to(results).parts[0] not in ("logs", "benchmarks")
        }

    first, second = files("first"), files("second")
    assert len(first) > 40 and first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_the_catalog_lists_it_with_standardized_usage():
    """The Snakemake workflow catalog's criteria, checked on this repository."""
    readme = (PROJECT / "README.md").read_text().lower()
    assert "snakemake" in readme and "workflow" in readme
    assert (PROJECT / "workflow" / "Snakefile").is_file()
    assert list((PROJECT / "workflow" / "rules").glob("*.smk"))
    assert (PROJECT / "config" / "README.md").is_file()
    usage = yaml.safe_load((PROJECT / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert any(usage["software-stack-deployment"].values()) and usage["report"] is True
    assert usage["mandatory-flags"]["flags"] and usage["mandatory-flags"]["desc"]
    assert "BSD 3-Clause" in (PROJECT / "LICENSE").read_text()
    changelog = (PROJECT / "CHANGELOG.md").read_text()
    # the newest entry is the version of the package (stated there once)
    assert changelog.split("\n## ", 2)[1].startswith(f"{__version__}\n")
