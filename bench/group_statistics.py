"""Group statistics on edges: their speed, and their error rates on synthetic cohorts.

Speed: 10,000 permutations x 5,050 edges (101 regions) x 200 participants,
max-T (nilearn's permuted_ols) and the network-based statistic together, as
the ``edge_statistics`` job runs them (one BLAS thread).

Error rates: cohorts of two groups drawn by the demo generator
(``regions_connectome.synthetic``: AR(1) network timecourses with the
demo's coupling; in the patients, the coupling of planted network pairs
moved by Cohen's d), each participant's correlation matrix between the
networks, then ``regions_connectome.statistics`` as the workflow runs it.
Under no planted effect: the family-wise false positive rate (any edge with
p_FWE < alpha; any NBS component). With the planted effect: the power per
planted edge, the chance of finding at least one of them, the NBS's power,
and false positives outside the planted edges. 95 % Clopper-Pearson
intervals, and the time per cohort.

The cohort is the networks' own timecourses (no images, no region
extraction): it tests the inference, not the regions.

Usage::

    python bench/group_statistics.py [--cohorts 1000] [--per-group 40] [--skip-speed]
"""

from __future__ import annotations

import os

# the job's threads: 1
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from regions_connectome import statistics, synthetic  # noqa: E402

# Five planted edges among 20 networks, none of them coupled in the controls,
# joined in one component (the network-based statistic's case).
PLANTED = [(0, 4), (4, 8), (8, 12), (0, 8), (12, 16)]


def speed(n_participants=200, n_regions=101, n_permutations=10_000, seed=0):
    """Seconds of :func:`statistics.edge_statistics` at the issue's size."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "group": ["patient", "control"] * (n_participants // 2),
            "age": rng.uniform(8, 16, n_participants).astype(str),
        },
        index=[f"{k:03d}" for k in range(n_participants)],
    )
    design = statistics.design(table, table.index, "group", ["patient", "control"], ["age"])
    matrices = np.tanh(rng.normal(0, 0.3, (n_participants, n_regions, n_regions)))
    matrices = (matrices + matrices.transpose(0, 2, 1)) / 2
    values, pairs = statistics.edge_values(matrices, "correlation")
    start = time.perf_counter()
    statistics.edge_statistics(design, values, pairs, n_regions, n_permutations, 0, 3.0)
    return time.perf_counter() - start, values.shape


def cohort(rng, per_group, n_networks, pairs, cohens_d, n_volumes):
    """One synthetic cohort: its design and the participants' edge values."""
    coupling = synthetic.coupling_matrix(n_networks)
    labels = [f"{k:03d}" for k in range(1, 2 * per_group + 1)]
    groups = [synthetic.demo_group(label) for label in labels]
    matrices = []
    for group in groups:
        moved = synthetic.group_coupling(coupling, group, pairs, cohens_d, n_volumes)
        series = synthetic.network_timecourses(rng, moved, n_volumes)
        matrices.append(np.corrcoef(series.T))
    table = pd.DataFrame({"group": groups}, index=labels)
    design = statistics.design(table, labels, "group", ["patient", "control"])
    values, edges = statistics.edge_values(matrices, "correlation")
    return design, values, edges


def interval(successes, n):
    """A rate with its 95 % Clopper-Pearson interval."""
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(0.95)
    return f"{successes / n:.3f} [{ci.low:.3f}, {ci.high:.3f}] ({successes}/{n})"


def study(n_cohorts, per_group, n_networks, cohens_d, n_volumes, n_permutations, alpha, threshold):
    """Print the error rates under the null and the power under the planted effect."""
    from scipy.stats import nct

    for planted, label in (([], "null"), (PLANTED, f"planted d={cohens_d}")):
        any_max_t = any_nbs = outside = 0
        found_edges, found_any, found_nbs, seconds, observed_d = [], 0, 0, [], []
        for k in range(n_cohorts):
            rng = np.random.default_rng([2027, len(planted), k])
            design, values, edges = cohort(rng, per_group, n_networks, planted, cohens_d, n_volumes)
            start = time.perf_counter()
            table = statistics.edge_statistics(
                design, values, edges, n_networks, n_permutations, k, threshold
            )
            seconds.append(time.perf_counter() - start)
            is_planted = np.array(
                [(i, j) in planted or (j, i) in planted for i, j in zip(*edges, strict=True)]
            )
            max_t = table["p_fwe"].to_numpy() < alpha
            nbs = table["p_nbs"].fillna(1).to_numpy() < alpha
            any_max_t += bool(max_t.any())
            any_nbs += bool(nbs.any())
            outside += bool(max_t[~is_planted].any())
            if planted:
                found_edges.append(max_t[is_planted].mean())
                found_any += bool(max_t[is_planted].any())
                found_nbs += bool(nbs[is_planted].any())
                patients = design.tested[:, 0] == 1
                z = values[:, is_planted]
                pooled = np.sqrt((z[patients].var(0, ddof=1) + z[~patients].var(0, ddof=1)) / 2)
                observed_d.extend((z[patients].mean(0) - z[~patients].mean(0)) / pooled)
        print(f"\n{label}: {n_cohorts} cohorts of {per_group} + {per_group} participants, "
              f"{n_networks} networks ({values.shape[1]} edges), {n_volumes} volumes, "
              f"{n_permutations} permutations, alpha {alpha}, NBS |t| > {threshold}")  # fmt: skip
        print(f"  time per cohort (statistics): {np.median(seconds):.2f} s median")
        if not planted:
            print(f"  family-wise false positives, max-T: {interval(any_max_t, n_cohorts)}")
            print(f"  family-wise false positives, NBS:   {interval(any_nbs, n_cohorts)}")
            continue
        n = 2 * per_group
        delta = cohens_d * np.sqrt(per_group / 2)
        print(f"  Cohen's d of the planted edges, as drawn: {np.mean(observed_d):.3f}")
        print(f"  power per planted edge, max-T:        {np.mean(found_edges):.3f}")
        print(f"  at least one planted edge, max-T:     {interval(found_any, n_cohorts)}")
        print(f"  a planted edge in an NBS component:   {interval(found_nbs, n_cohorts)}")
        print(f"  false positives outside, max-T (FWE): {interval(outside, n_cohorts)}")
        # the best any family-wise method can do per edge: a t test at the
        # Bonferroni level of this many edges
        critical = critical_t(values.shape[1], alpha, n - 2)
        bound = nct.sf(critical, n - 2, delta) + nct.cdf(-critical, n - 2, delta)
        print(f"  per-edge power of a t test at alpha/{values.shape[1]} (|t| > {critical:.2f}): "
              f"{bound:.3f}; at alpha uncorrected: "
              f"{nct.sf(critical_t(1, alpha, n - 2), n - 2, delta):.3f}")  # fmt: skip
        needed = next(
            m for m in range(per_group, 10 * per_group)
            if nct.sf(critical_t(values.shape[1], alpha, 2 * m - 2), 2 * m - 2,
                      cohens_d * np.sqrt(m / 2)) >= 0.8
        )  # fmt: skip
        print(f"  participants per group for per-edge power 0.8 at alpha/{values.shape[1]}: "
              f"{needed}")  # fmt: skip


def critical_t(n_tests, alpha, dof):
    """The two-sided critical |t| at the Bonferroni level of ``n_tests``."""
    from scipy.stats import t

    return float(t.isf(alpha / n_tests / 2, dof))


def main(argv=None):
    """Print the speed, then the error-rate study."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, default=1000)
    parser.add_argument("--per-group", type=int, default=40)
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--cohens-d", type=float, default=0.8)
    parser.add_argument("--volumes", type=int, default=150)
    parser.add_argument("--permutations", type=int, default=1000)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_speed:
        seconds, shape = speed()
        print(f"speed: 10000 permutations x {shape[1]} edges x {shape[0]} participants "
              f"(max-T and NBS, 1 BLAS thread): {seconds:.1f} s (target 120 s)")  # fmt: skip
    if args.cohorts:
        study(args.cohorts, args.per_group, args.networks, args.cohens_d, args.volumes,
              args.permutations, 0.05, 3.0)  # fmt: skip


if __name__ == "__main__":
    main()
