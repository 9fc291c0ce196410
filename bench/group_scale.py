"""Benchmark: the group decomposition from 20 to 999 subjects, and its two paths.

Memory and time (``--cohorts``): for N subjects of 20 reduced rows each on
the 3 mm brain mask (69,798 voxels; synthetic rows, mixtures of 50 smooth
patterns and noise, as many as the reduction gives), the workflow's own
``decompose`` job runs through Snakemake on them, once with the default
budget (``decomposition.memory_mb``: every row below it, MIGP past it) and
once learning from every row (``memory_mb: null``, up to ``--exact-up-to``
subjects). Its ``max_rss`` and seconds come from the job's ``benchmark:``
file.

Agreement (``--agreement RESULTS``): on a finished demo run's reduced data
(the 200-subject demo of the issue: 60 volumes, 3 mm, 30 components), the
components learned from every row, from every row with the subjects in
reverse order, and within each budget of ``--agreement-budgets`` (MIGP's
rows where every row does not fit), for the first 100 subjects and all 200:
how the components match (best |r| each), how each planted network is
recovered (best spatial r with the ground truth) and how many regions
RegionExtractor draws from them.

The decomposition runs with one BLAS thread, as its rule does.

Usage::

    python bench/group_scale.py [--cohorts 20 100 300 999] [--exact-up-to 300]
                                [--agreement /path/to/demo/workdir] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread from the start, as Snakemake gives a threads: 1 job
# (threadpoolctl cannot limit a library loaded after it is entered, and
# DictLearning's components change with the thread count).
os.environ.update({k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "workflow"))

from benchmark import snakemake  # noqa: E402

from regions_connectome.inputs import demo_subjects  # noqa: E402
from regions_connectome.synthetic import demo_reduced_path, write_reduced_cohort  # noqa: E402

ROWS_PER_SUBJECT = 20


def run_decompose(folder, n_subjects, memory_mb):
    """The workflow's decompose job on the folder's reduced data; its benchmark row."""
    config = {
        "demo": {"n_subjects": n_subjects, "n_volumes": 60, "voxel_size": 3.0},
        "decomposition": {"n_components": ROWS_PER_SUBJECT, "memory_mb": memory_mb},
    }
    configfile = folder / f"config-{memory_mb}.yaml"
    configfile.write_text(yaml.safe_dump(config))
    command = snakemake(
        folder, 1, {}, [configfile], ["results/group/components.nii.gz", "--forcerun", "decompose"]
    )
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode:
        sys.exit(f"decompose failed:\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}")
    row = pd.read_csv(folder / "results" / "benchmarks" / "decompose.tsv", sep="\t").iloc[-1]
    record = json.loads((folder / "results" / "group" / "components.json").read_text())
    return row, record


def cohorts(sizes, exact_up_to, work):
    """Print the decompose job's memory and time per N, for both paths."""
    print(f"{'N':>5s} {'rows':>6s} {'data MB':>8s} {'path':>6s} {'kept':>5s} "
          f"{'max_rss MB':>10s} {'s':>7s} {'variance kept':>13s}")  # fmt: skip
    for n_subjects in sizes:
        folder = work / f"cohort-{n_subjects}"
        shutil.rmtree(folder, ignore_errors=True)
        n_voxels = write_reduced_cohort(folder, n_subjects, ROWS_PER_SUBJECT)
        data_mb = n_subjects * ROWS_PER_SUBJECT * n_voxels * 4 / 2**20
        budgets = [2000] + ([None] if n_subjects <= exact_up_to else [])
        for memory_mb in budgets:
            row, record = run_decompose(folder, n_subjects, memory_mb)
            path = "exact" if memory_mb is None else record["Method"]
            print(
                f"{n_subjects:5d} {record['Rows']:6d} {data_mb:8.0f} {path:>6s} "
                f"{record.get('RowsKept', record['Rows']):5d} {row['max_rss']:10.0f} "
                f"{row['s']:7.1f} {record.get('VarianceKept', 1.0):13.4f}",
                flush=True,
            )
        shutil.rmtree(folder)


def _match(first, second):
    """Each column of ``first``: its best |r| with a column of ``second``."""
    k = first.shape[1]
    return np.abs(np.corrcoef(first.T, second.T)[:k, k:]).max(axis=1)


def agreement(workdir, sizes, budgets, forced_rows=()):
    """Print how MIGP's components agree with every row's on a demo run."""
    from regions_connectome.decomposition import decompose, fit_components
    from regions_connectome.regions import extract_regions

    config = yaml.safe_load((PROJECT / "config.yaml").read_text())
    for extra in sorted(workdir.glob("*.yaml")):
        for key, value in (yaml.safe_load(extra.read_text()) or {}).items():
            config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    params = config["decomposition"]
    results = workdir / "results"
    mask = nib.load(results / "group" / "mask.nii.gz")
    inside = np.asarray(mask.dataobj) != 0
    truth = nib.load(results / "sourcedata" / "demo" / "ground_truth" / "networks.nii.gz")
    truth = np.asarray(truth.dataobj)[inside]
    labels = demo_subjects(config["demo"]["n_subjects"])
    regions_params = config["regions"]
    for n_subjects in sizes:
        paths = [demo_reduced_path(results, label) for label in labels[:n_subjects]]
        runs = {}
        for name, order, budget in (
            ("every row", paths, None),
            ("every row, again", paths, None),
            ("every row, reversed", paths[::-1], None),
            *((f"within {budget} MB", paths, budget) for budget in budgets),
            *((f"MIGP of {rows} rows", paths, rows) for rows in forced_rows),
        ):
            start = time.perf_counter()
            if name.startswith("MIGP of"):
                image, stream = fit_components(order, mask, params["method"], params, budget)
                record = {"Method": "MIGP", "RowsKept": budget,
                          "VarianceKept": stream.variance_kept}  # fmt: skip
            else:
                image, record = decompose(order, mask, params["method"], params, budget)
            seconds = time.perf_counter() - start
            maps = np.asarray(image.dataobj)[inside]
            _, index = extract_regions(image, regions_params)
            runs[name] = (maps, len(index), seconds, record)
        reference = runs["every row"][0]
        print(f"\nN = {n_subjects}, {params['n_components']} components")
        print(f"{'components':24s} {'path':>6s} {'kept':>5s} {'variance':>8s} {'s':>6s} "
              f"{'median |r|':>10s} {'>= 0.98':>7s} {'networks r (median, min)':>25s} "
              f"{'regions':>7s}")  # fmt: skip
        for name, (maps, n_regions, seconds, record) in runs.items():
            matched = _match(maps, reference)
            networks = _match(truth, maps)
            print(
                f"{name:24s} {record['Method']:>6s} {record.get('RowsKept', '-')!s:>5s} "
                f"{record.get('VarianceKept', 1.0):8.4f} {seconds:6.0f} "
                f"{np.median(matched):10.3f} {int((matched >= 0.98).sum()):7d} "
                f"{np.median(networks):12.3f} {networks.min():12.3f} {n_regions:7d}"
            )


def main(argv=None):
    """Run the chosen parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, nargs="*", default=[20, 100, 300, 999])
    parser.add_argument("--exact-up-to", type=int, default=300)
    parser.add_argument("--agreement", type=Path, help="a finished demo run's folder")
    parser.add_argument("--agreement-sizes", type=int, nargs="*", default=[100, 200])
    parser.add_argument("--agreement-budgets", type=int, nargs="*", default=[2000])
    parser.add_argument(
        "--agreement-rows", type=int, nargs="*", default=[], help="MIGP of these rows, forced"
    )
    parser.add_argument("--workdir", type=Path, default=Path("bench-scale"))
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.cohorts:
        cohorts(args.cohorts, args.exact_up_to, work)
    if args.agreement:
        agreement(
            args.agreement.resolve(),
            args.agreement_sizes,
            args.agreement_budgets,
            args.agreement_rows,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
