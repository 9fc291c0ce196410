"""Benchmark: the plain nilearn script against the workflow, on one cohort.

Generates a synthetic cohort of the seed's geometry (20 subjects, 61x73x61
voxels at 3 mm, 176 volumes; ``--small`` for a quick one), then times

(a) the example's steps as one plain nilearn script, ``n_jobs=2``;
(b) the workflow cold at ``--cores 2`` (EPI mask, as the seed);
(c) the workflow again with nothing changed;
(d) the workflow after adding one subject, with a fixed mask: a second
    workflow folder runs cold with ``mask:`` the group mask file of (b)
    (time reported as b'), then one subject is added;
(e) the workflow of (b) after ``regions.threshold`` changed;
(f) the workflow cold with the regions of (b) applied (``regions.apply``);
(g) the workflow of (f) after adding one subject;
(h) dry runs of 1000, 2000 and 5000 tiny subjects (planning: parse and DAG),
    with the EPI mask and with a mask file.

It prints wall time and peak memory (``/usr/bin/time -v``; for the workflow
also the largest job's ``max_rss`` from the ``benchmark:`` files), the ratios
to the targets, the jobs per rule with their seconds, the start-up of a
per-subject job and of a nilearn job, and checks that (a) and (b) give the
same regions and mean connectome (within ``CONNECTOME_ATOL``). The script
runs with single-threaded BLAS: nilearn's result depends on the BLAS thread
count, and Snakemake runs ``threads: 1`` jobs single-threaded.

Usage::

    python bench/benchmark.py [--small] [--workdir DIR] [--cores 2]
    python bench/benchmark.py --planning      # (h) only
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "workflow"))

from regions_connectome.synthetic import write_cohort  # noqa: E402

BIN = Path(sys.executable).parent
# Largest difference allowed between the script's mean connectome and the
# workflow's (nilearn's float32 least squares against the workflow's float64).
CONNECTOME_ATOL = 1e-4
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
# Cohort sizes of the planning benchmark (h).
DRY_RUN_COHORTS = (1000, 2000, 5000)


def timed(command, cwd, env=None):
    """Run a command under /usr/bin/time -v; return (seconds, peak MB, stdout)."""
    start = time.perf_counter()
    process = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        cwd=cwd,
        env=os.environ | (env or {}),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{process.stdout[-3000:]}{process.stderr[-3000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", process.stderr)[1])
    return seconds, peak_kb / 1024, process.stdout + process.stderr


def largest_job_mb(results):
    """Largest max_rss (MB) over the workflow's benchmark: files."""
    files = list((results / "benchmarks").rglob("*.tsv"))
    return max(pd.read_csv(f, sep="\t")["max_rss"].max() for f in files) if files else 0.0


def jobs_by_rule(results, since=0.0):
    """Jobs per rule from the ``benchmark:`` files written after ``since``.

    Returns a frame indexed by rule: number of jobs, how many of them are
    per-subject jobs, mean and total seconds, largest ``max_rss`` (MB).
    """
    rows = []
    for path in (results / "benchmarks").rglob("*.tsv"):
        if path.stat().st_mtime < since:
            continue
        rule = path.relative_to(results / "benchmarks").parts[0].removesuffix(".tsv")
        record = pd.read_csv(path, sep="\t").iloc[0]
        rows.append((rule, path.name.startswith("sub-"), record["s"], record["max_rss"]))
    frame = pd.DataFrame(rows, columns=["rule", "subject", "s", "max_rss"])
    return (
        frame.groupby("rule")
        .agg(
            jobs=("s", "size"),
            per_subject=("subject", "sum"),
            mean_s=("s", "mean"),
            total_s=("s", "sum"),
            mb=("max_rss", "max"),
        )
        .sort_values("total_s", ascending=False)
    )


# What a per-subject job imports (numpy, SciPy, nibabel, ISA-L and the
# package), and what a job that calls nilearn imports, each after Snakemake's
# script preamble.
LEAN_IMPORTS = (
    "import snakemake.script, nibabel, isal.igzip, scipy.ndimage, scipy.linalg;"
    "import regions_connectome.niimg, regions_connectome.signals, regions_connectome.io,"
    " regions_connectome.decomposition, regions_connectome.connectivity,"
    " regions_connectome.denoising"
)
NILEARN_IMPORTS = "import snakemake.script, nilearn.maskers"


def start_up_seconds(imports, repeats=5):
    """Median wall time of a new Python process that runs ``imports``.

    What a job pays before its first line of work.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", imports], check=True, cwd=PROJECT / "workflow")
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def subject_compute_seconds(func, confounds, mask, regions, work):
    """Time, in this process, the computations one subject needs, step by step.

    The workflow's own functions, with ``config.yaml``'s parameters, on one
    subject, in the order its jobs run them: the EPI-mask job's decompression,
    EPI mask and kept copy (``read_images_once``), the reduction's read of
    that copy, its smoothing, then cleaning and SVD (the reduction's time
    less its smoothing), and the timeseries from the smoothed data. No
    process start-up, no import: what the work costs when nothing else does.
    """
    import nibabel as nib
    import yaml
    from threadpoolctl import threadpool_limits

    from regions_connectome.connectivity import subject_timeseries
    from regions_connectome.decomposition import compute_subject_epi_mask, reduce_subject
    from regions_connectome.denoising import read_confounds_array
    from regions_connectome.niimg import (
        keep_decompressed,
        load_functional,
        read_functional,
        smoothed_in_mask,
    )

    threadpool_limits(1)  # as Snakemake runs a threads: 1 job
    config = yaml.safe_load((PROJECT / "config.yaml").read_text())
    reduction = {k: v for k, v in config["decomposition"].items() if k != "method"}
    mask = nib.load(mask)
    in_mask = np.asanyarray(mask.dataobj) != 0
    seconds = {}

    def timed_step(name, step, *args):
        start = time.perf_counter()
        result = step(*args)
        seconds[name] = time.perf_counter() - start
        return result

    img = timed_step("decompression", load_functional, func)
    timed_step("EPI mask", compute_subject_epi_mask, img)
    timed_step("keeping the copy", keep_decompressed, img, func, work / "kept")
    img = timed_step("reading the copy", read_functional, func, None, work / "kept")
    data, fwhm = np.asanyarray(img.dataobj), reduction["smoothing_fwhm"]
    timed_step("smoothing", smoothed_in_mask, data, img.affine, in_mask, fwhm)
    _, smoothed, varies = timed_step("cleaning + SVD", reduce_subject, img, mask, reduction)
    seconds["cleaning + SVD"] -= seconds["smoothing"]
    timed_step(
        "timeseries", subject_timeseries, smoothed, varies, in_mask,
        np.asanyarray(nib.load(regions).dataobj), config["regions"],
        read_confounds_array(confounds)[1],
    )  # fmt: skip
    return seconds


def per_subject_cost(results, n_subjects, start_up, compute):
    """Core-seconds per subject: the per-subject jobs' seconds over the subjects.

    Returns the total, the jobs per subject, and the parts: each step of
    ``compute`` (:func:`subject_compute_seconds`), the jobs' start-up, and
    what remains (writing outputs, Snakemake's script preamble).
    """
    table = jobs_by_rule(results)
    total = table["total_s"][table["per_subject"] > 0].sum() / n_subjects
    jobs = table["per_subject"].sum() / n_subjects
    parts = dict(compute) | {"start-up": jobs * start_up}
    parts["rest"] = total - sum(parts.values())
    return total, jobs, parts


def group_critical_path(results):
    """Seconds from the last reduction to the last output (file times)."""
    outputs = [
        p for p in results.rglob("*")
        if p.is_file() and not {"logs", "benchmarks", ".stale"} & set(p.relative_to(results).parts)
    ]  # fmt: skip
    reductions = [p.stat().st_mtime for p in outputs if p.name.endswith("_desc-reduced_data.npy")]
    return max(p.stat().st_mtime for p in outputs) - max(reductions)


def dry_run(work, n_subjects, fixed_mask=False):
    """A dry run of the whole workflow on ``n_subjects`` tiny subjects.

    What every ``snakemake`` call pays to parse the workflow and plan its
    jobs. One tiny image (20x24x20 voxels, 40 volumes) hard-linked under each
    subject's name in a sample sheet, no confounds; the default EPI mask (three
    jobs per subject) or a mask file (two).

    Returns
    -------
    seconds, peak_mb, n_jobs : float, float, int
        Wall time and the snakemake process's peak memory, and the jobs planned.
    """
    import nibabel as nib

    folder = work / f"dry-{n_subjects}"
    sheet, mask = folder / "subjects.tsv", folder / "mask.nii.gz"
    if not sheet.is_file():
        folder.mkdir()
        rng = np.random.default_rng(0)
        image = folder / "image.nii.gz"
        data = rng.normal(size=(20, 24, 20, 40)).astype(np.float32)
        nib.Nifti1Image(data, np.eye(4)).to_filename(image)
        nib.Nifti1Image(np.ones((20, 24, 20), np.uint8), np.eye(4)).to_filename(mask)
        rows = []
        for k in range(n_subjects):
            label = f"s{k:04d}"
            os.link(image, folder / f"{label}_bold.nii.gz")
            rows.append((label, f"{label}_bold.nii.gz", ""))
        table = pd.DataFrame(rows, columns=["subject", "func", "confounds"])
        table.to_csv(sheet, sep="\t", index=False)
    config = {"subjects": sheet} | ({"mask": mask} if fixed_mask else {})
    run = folder / ("run-mask" if fixed_mask else "run-epi")
    seconds, peak_mb, output = timed([*snakemake(run, 1, config), "--dry-run"], work)
    jobs = re.search(r"^total\s+(\d+)$", output, re.MULTILINE)
    if jobs is None:
        sys.exit(f"the dry run of {n_subjects} subjects planned no job:\n{output[-2000:]}")
    return seconds, peak_mb, int(jobs[1])


def compare_with_script(group, reference):
    """Whether the workflow's regions are the script's, and the connectome difference.

    Returns (same ``index_``, max |difference| of the mean connectomes).
    """
    index = np.loadtxt(reference / "index.txt", dtype=int).tolist()
    table = pd.read_csv(group / "regions.tsv", sep="\t")
    mean = pd.read_csv(group / "meas-correlation_relmat.tsv", sep="\t", index_col=0).to_numpy()
    expected = np.load(reference / "mean_correlations.npy")
    difference = np.abs(mean - expected).max() if mean.shape == expected.shape else np.inf
    return table["component"].tolist() == index, float(difference)


def snakemake(workdir, cores, config, configfiles=(), args=()):
    """The workflow's command line in ``workdir`` with ``config`` overrides.

    ``configfiles`` are read after ``config.yaml`` (nested overrides);
    ``args`` (targets, options) go before the ``--config`` overrides.
    """
    return [
        str(BIN / "snakemake"),
        "--snakefile", str(PROJECT / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(PROJECT / "config.yaml"), *map(str, configfiles),
        "--cores", str(cores), *args,
        "--config", *[f"{key}={value}" for key, value in config.items()],
    ]  # fmt: skip


def print_planning(work, cohorts=DRY_RUN_COHORTS):
    """Print the dry runs' time, memory and jobs for each cohort size, and their growth."""
    for fixed_mask in (False, True):
        figures = {n: dry_run(work, n, fixed_mask) for n in cohorts}
        for n, (seconds, peak_mb, n_jobs) in figures.items():
            print(
                f"dry run of {n} tiny subjects, {'a mask file' if fixed_mask else 'EPI mask'}: "
                f"{seconds:.1f} s, {n_jobs} jobs, snakemake process peak {peak_mb:.0f} MB"
            )
        smallest, largest = min(figures), max(figures)
        print(
            f"  {largest} / {smallest} subjects: "
            f"{figures[largest][0] / figures[smallest][0]:.1f}x the time "
            f"for {largest / smallest:.0f}x the subjects"
        )


def main(argv=None):
    """Run the timings and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="4 subjects, 80 volumes, 4 mm")
    parser.add_argument("--workdir", default="bench-work")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--planning", action="store_true", help="only the dry runs (h)")
    args = parser.parse_args(argv)
    n_subjects, n_volumes, voxel = (4, 80, 4.0) if args.small else (20, 176, 3.0)
    work = Path(args.workdir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if args.planning:
        print_planning(work)
        return 0

    start = time.perf_counter()
    full = write_cohort(work / "cohort", n_subjects + 1, n_volumes, voxel)
    sheet = work / "cohort" / "subjects_first.tsv"
    rows = pd.read_csv(full, sep="\t", dtype=str)
    rows.iloc[:n_subjects].to_csv(sheet, sep="\t", index=False)
    print(
        f"cohort: {n_subjects}(+1) subjects, {n_volumes} volumes, {voxel} mm "
        f"({time.perf_counter() - start:.0f} s to generate)"
    )

    figures = {}
    reference = work / "script"
    figures["a"] = timed(
        [sys.executable, str(PROJECT / "bench" / "nilearn_example.py"), str(sheet),
         str(reference), "--n-jobs", str(args.cores), "--figures"],
        work,
        ONE_THREAD,
    )  # fmt: skip
    cold = work / "workflow"
    figures["b"] = timed(snakemake(cold, args.cores, {"subjects": sheet}), work)
    critical_path = group_critical_path(cold / "results")
    figures["c"] = timed(snakemake(cold, args.cores, {"subjects": sheet}), work)
    same_regions, difference = compare_with_script(cold / "results" / "group", reference)
    fixed = work / "workflow-fixed-mask"
    shutil.copy(cold / "results" / "group" / "mask.nii.gz", work / "fixed_mask.nii.gz")
    fixed_config = {"subjects": sheet, "mask": work / "fixed_mask.nii.gz"}
    figures["b'"] = timed(snakemake(fixed, args.cores, fixed_config), work)
    before_d = time.time()
    figures["d"] = timed(snakemake(fixed, args.cores, fixed_config | {"subjects": full}), work)
    before_e = time.time()
    threshold = work / "threshold.yaml"
    # DictLearning's maps are sparse: with ratio_n_voxels, any ratio above the
    # share of non-zero values keeps them all (0.5 and 0.4 give one result);
    # 0.05 changes the regions, so that (e) times a change that is one.
    threshold.write_text("regions:\n  threshold: 0.05\n")
    voxels_before = np.count_nonzero(nib.load(cold / "results/group/regions.nii.gz").dataobj)
    figures["e"] = timed(snakemake(cold, args.cores, {"subjects": sheet}, [threshold]), work)
    voxels_after = np.count_nonzero(nib.load(cold / "results/group/regions.nii.gz").dataobj)
    applied = work / "workflow-applied"
    regions = work / "applied.yaml"
    regions.write_text(
        f"regions:\n  apply: {cold / 'results/group/regions.nii.gz'}\n"
        f"  apply_labels: {cold / 'results/group/regions.tsv'}\n"
    )
    figures["f"] = timed(snakemake(applied, args.cores, {"subjects": sheet}, [regions]), work)
    before_g = time.time()
    figures["g"] = timed(snakemake(applied, args.cores, {"subjects": full}, [regions]), work)

    labels = {
        "a": f"(a) nilearn script, n_jobs={args.cores}",
        "b": f"(b) workflow cold, --cores {args.cores}",
        "c": "(c) workflow, nothing changed",
        "b'": "(b') workflow cold, fixed mask",
        "d": "(d) workflow, one subject added",
        "e": "(e) workflow, regions.threshold 0.5 -> 0.05",
        "f": "(f) workflow cold, regions applied",
        "g": "(g) regions applied, one subject added",
    }
    print(f"{'run':40s} {'wall s':>8s} {'peak MB':>8s} {'largest job MB':>15s}")
    for key, (seconds, peak, _) in figures.items():
        results = {"b": cold, "b'": fixed, "d": fixed, "e": cold, "f": applied, "g": applied}.get(
            key
        )
        job = f"{largest_job_mb(results / 'results'):15.0f}" if results else f"{'':15s}"
        print(f"{labels[key]:40s} {seconds:8.1f} {peak:8.0f} {job}")
    print(f"ratio (a)/(b): {figures['a'][0] / figures['b'][0]:.2f} (target >= 3.5)")
    fixed_cold = figures["b'"][0]
    print(f"ratio (d)/(b'): {figures['d'][0] / fixed_cold:.2f}")
    print(f"ratio (e)/(b): {figures['e'][0] / figures['b'][0]:.2f} (target <= 1/3)")
    print(f"ratio (g)/(f): {figures['g'][0] / figures['f'][0]:.2f} (target <= 1/10)")
    print(f"ratio (g)/(b): {figures['g'][0] / figures['b'][0]:.2f}")
    print("(c) ran no job:", "Nothing to be done" in figures["c"][2])

    # Where the time goes: every job is a new Python process; the per-subject
    # ones import numpy, SciPy and nibabel only, the group ones nilearn.
    lean, heavy = start_up_seconds(LEAN_IMPORTS), start_up_seconds(NILEARN_IMPORTS)
    print(f"\nstart-up of a per-subject job (lean imports): {lean:.2f} s (target <= 1 s)")
    print(f"start-up of a job that imports nilearn.maskers: {heavy:.2f} s")
    for key, results, since in (
        ("b", cold, 0.0),
        ("d", fixed, before_d),
        ("e", cold, before_e),
        ("f", applied, 0.0),
        ("g", applied, before_g),
    ):
        table = jobs_by_rule(results / "results", since)
        per_subject = table["per_subject"].sum()
        total = table["total_s"].sum()
        print(f"\n{labels[key]}: {table['jobs'].sum()} jobs, {total:.0f} s of job time")
        print(table.round(2).to_string())
        print(
            f"{per_subject} per-subject jobs x {lean:.2f} s start-up / {args.cores} cores = "
            f"{per_subject * lean / args.cores:.0f} s of start-up"
        )
    print(f"3.5x the script needs (b) <= {figures['a'][0] / 3.5:.0f} s")
    first = rows.iloc[0]
    group = cold / "results" / "group"
    compute = subject_compute_seconds(
        work / "cohort" / first["func"],
        work / "cohort" / first["confounds"],
        group / "mask.nii.gz",
        group / "regions.nii.gz",
        work,
    )
    print(
        "one subject's computations in one warm process: "
        + ", ".join(f"{name} {value:.2f} s" for name, value in compute.items())
    )
    total, jobs, parts = per_subject_cost(cold / "results", n_subjects, lean, compute)
    print(
        f"(b) per-subject core-seconds: {total:.2f} (target <= 2.5), {jobs:.0f} jobs per "
        "subject: " + ", ".join(f"{name} {value:.2f}" for name, value in parts.items())
    )
    print(
        f"(b) group critical path, last reduction to last output: "
        f"{critical_path:.1f} s (target <= 15 s)"
    )

    print_planning(work)

    print(f"same regions (index_) as the script: {same_regions}")
    print(f"(e) voxels in the regions: {voxels_before} at threshold 0.5, {voxels_after} at 0.05")
    print(f"mean connectome max |(a)-(b)|: {difference:.2e} (limit {CONNECTOME_ATOL:g})")
    return 0 if same_regions and difference < CONNECTOME_ATOL else 1


if __name__ == "__main__":
    sys.exit(main())
