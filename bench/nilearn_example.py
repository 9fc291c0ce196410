"""The seed: nilearn's example as one plain script, the workflow's reference.

"Regions extraction using Dictionary Learning and functional connectomes"
(nilearn gallery, ADHD-200 version), with its parameters, run in one process.
The equivalence test and the benchmark compare the workflow against
:func:`run_example`.

Usage::

    python bench/nilearn_example.py subjects.tsv OUTDIR [--n-jobs 2] [--figures]

nilearn's result depends on the number of BLAS threads (with 2 threads the
dictionary learning can converge to components in another order): run it with
``OMP_NUM_THREADS=1``, as Snakemake runs every ``threads: 1`` job, to compare.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def run_example(func_filenames, confounds, n_jobs=1, method="dictlearning", figures_dir=None):
    """Run the example's steps on the given subjects.

    Parameters
    ----------
    func_filenames : list of str
        4D images, one per subject.
    confounds : list of str or None
        Confounds files (any separator nilearn reads), one per subject.
    n_jobs : int, default=1
        Passed to the decomposition estimator.
    method : {"dictlearning", "canica"}, default="dictlearning"
        Decomposition estimator, the example's parameters either way.
    figures_dir : path or None, default=None
        Where to save the example's figures; ``None`` for no figures.

    Returns
    -------
    dict
        ``mask_img``, ``components_img``, ``regions_img``, ``index`` and
        ``mean_correlations``, plus ``timings`` (seconds per step).
    """
    from nilearn.connectome import ConnectivityMeasure
    from nilearn.decomposition import CanICA, DictLearning
    from nilearn.regions import RegionExtractor

    timings = {}
    start = time.perf_counter()
    estimator = DictLearning if method == "dictlearning" else CanICA
    decomposition = estimator(n_components=5, smoothing_fwhm=6.0, random_state=0, n_jobs=n_jobs)
    decomposition.fit(func_filenames)
    components_img = decomposition.components_img_
    timings["decomposition"] = time.perf_counter() - start

    start = time.perf_counter()
    extractor = RegionExtractor(
        components_img,
        threshold=0.5,
        thresholding_strategy="ratio_n_voxels",
        extractor="local_regions",
        standardize=True,
        min_region_size=1350,
    )
    extractor.fit()
    regions_extracted_img = extractor.regions_img_
    regions_index = extractor.index_
    n_regions_extracted = regions_extracted_img.shape[-1]
    timings["regions"] = time.perf_counter() - start

    start = time.perf_counter()
    correlations = []
    connectome_measure = ConnectivityMeasure(kind="correlation")
    for filename, confound in zip(func_filenames, confounds, strict=True):
        timeseries_each_subject = extractor.transform(filename, confounds=confound)
        correlation = connectome_measure.fit_transform([timeseries_each_subject])
        correlations.append(correlation)
    mean_correlations = np.mean(correlations, axis=0).reshape(
        n_regions_extracted, n_regions_extracted
    )
    timings["connectivity"] = time.perf_counter() - start

    if figures_dir is not None:
        start = time.perf_counter()
        _figures(
            components_img, regions_extracted_img, regions_index, mean_correlations, figures_dir
        )
        timings["figures"] = time.perf_counter() - start

    return {
        "mask_img": decomposition.mask_img_,
        "components_img": components_img,
        "regions_img": regions_extracted_img,
        "index": [int(i) for i in regions_index],
        "mean_correlations": mean_correlations,
        "timings": timings,
    }


def _figures(components_img, regions_img, regions_index, mean_correlations, outdir):
    """The example's figures, saved instead of shown."""
    import matplotlib

    matplotlib.use("Agg")
    from nilearn import image, plotting

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    n_regions = regions_img.shape[-1]
    plotting.plot_prob_atlas(
        components_img, view_type="filled_contours", title="Dictionary Learning maps"
    ).savefig(outdir / "components.png")
    plotting.plot_prob_atlas(
        regions_img, view_type="filled_contours", title=f"{n_regions} regions"
    ).savefig(outdir / "regions.png")
    title = f"Correlation between {n_regions} regions"
    plotting.plot_matrix(mean_correlations, vmax=1, vmin=-1, colorbar=True, title=title)
    import matplotlib.pyplot as plt

    plt.savefig(outdir / "matrix.png")
    coords = plotting.find_probabilistic_atlas_cut_coords(regions_img)
    plotting.plot_connectome(mean_correlations, coords, edge_threshold="90%", title=title).savefig(
        outdir / "connectome.png"
    )
    img = image.index_img(components_img, 4)
    coords = plotting.find_xyz_cut_coords(img)
    plotting.plot_stat_map(img, cut_coords=coords, colorbar=False).savefig(outdir / "network.png")
    display = plotting.plot_anat(cut_coords=coords, title="Regions from this network")
    for region, color in zip(np.where(np.array(regions_index) == 4)[0], "rgbcmyk", strict=False):
        display.add_overlay(
            image.index_img(regions_img, region), cmap=plotting.cm.alpha_cmap(color)
        )
    display.savefig(outdir / "network_regions.png")
    plt.close("all")


def main(argv=None):
    """Run the example on a sample sheet and save its numbers."""
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample_sheet", help="TSV: subject, func, confounds")
    parser.add_argument("outdir")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--method", choices=["dictlearning", "canica"], default="dictlearning")
    parser.add_argument("--figures", action="store_true")
    args = parser.parse_args(argv)
    sheet_path = Path(args.sample_sheet)
    sheet = pd.read_csv(sheet_path, sep="\t", dtype=str, keep_default_na=False)
    folder = sheet_path.resolve().parent
    funcs = [str(folder / f) for f in sheet["func"]]
    confounds = [str(folder / c) if c else None for c in sheet["confounds"]]
    outdir = Path(args.outdir)
    result = run_example(
        funcs,
        confounds,
        n_jobs=args.n_jobs,
        method=args.method,
        figures_dir=outdir if args.figures else None,
    )
    outdir.mkdir(parents=True, exist_ok=True)
    result["mask_img"].to_filename(outdir / "mask.nii.gz")
    result["components_img"].to_filename(outdir / "components.nii.gz")
    result["regions_img"].to_filename(outdir / "regions.nii.gz")
    np.savetxt(outdir / "index.txt", result["index"], fmt="%d")
    np.save(outdir / "mean_correlations.npy", result["mean_correlations"])
    for step, seconds in result["timings"].items():
        print(f"{step}: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
