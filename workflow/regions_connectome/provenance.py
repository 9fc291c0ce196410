"""Provenance of a run: config, software versions, input files, methods text."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = ("snakemake", "nilearn", "numpy", "scipy", "scikit-learn", "pandas", "nibabel",
            "matplotlib")  # fmt: skip

REFERENCES = {
    "nilearn": "Abraham A. et al. (2014). Machine learning for neuroimaging with "
    "scikit-learn. Frontiers in Neuroinformatics 8:14. doi:10.3389/fninf.2014.00014",
    "dictlearning": "Mensch A., Mairal J., Thirion B., Varoquaux G. (2016). Dictionary "
    "learning for massive matrix factorization. ICML 2016, PMLR 48:1737-1746",
    "canica": "Varoquaux G. et al. (2010). A group model for stable multi-subject ICA on "
    "fMRI datasets. NeuroImage 51(1):288-299. doi:10.1016/j.neuroimage.2010.02.010",
    "regions": "Abraham A. et al. (2014). Region segmentation for sparse decompositions: "
    "better brain parcellations from rest fMRI. Sparsity Techniques in Medical Imaging, "
    "MICCAI 2014. arXiv:1412.3925",
    "ledoit_wolf": "Ledoit O., Wolf M. (2004). A well-conditioned estimator for "
    "large-dimensional covariance matrices. Journal of Multivariate Analysis 88(2):365-411",
    "tangent": "Varoquaux G. et al. (2010). Detection of brain functional-connectivity "
    "difference in post-stroke patients using group-level covariance modeling. MICCAI 2010, "
    "LNCS 6361:200-208",
    "fd": "Power J.D. et al. (2012). Spurious but systematic correlations in functional "
    "connectivity MRI networks arise from subject motion. NeuroImage 59(3):2142-2154",
    "maxt": "Nichols T.E., Holmes A.P. (2002). Nonparametric permutation tests for "
    "functional neuroimaging: a primer with examples. Human Brain Mapping 15(1):1-25",
    "nbs": "Zalesky A., Fornito A., Bullmore E.T. (2010). Network-based statistic: "
    "identifying differences in brain networks. NeuroImage 53(4):1197-1207",
    "migp": "Smith S.M., Hyvärinen A., Varoquaux G., Miller K.L., Beckmann C.F. (2014). "
    "Group-PCA for very large fMRI datasets. NeuroImage 101:738-749. "
    "doi:10.1016/j.neuroimage.2014.07.051",
    "snakemake": "Mölder F. et al. (2021). Sustainable data analysis with Snakemake. "
    "F1000Research 10:33. doi:10.12688/f1000research.29032.2",
}


def sha256(path, chunk=1 << 20):
    """SHA-256 of a file, read in chunks.

    Parameters
    ----------
    path : str or pathlib.Path
        File to hash.
    chunk : int, default=1 MiB
        Read size.

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_stamp(path):
    """What changes when a file may have changed, read from its status alone.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    list of int
        Size, modification time, status-change time (ns) and inode. The last
        two change when a file is replaced even with its size and modification
        time kept (``cp -p``, a restore from backup, ``rsync -t``).
    """
    stat = os.stat(path)
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def content_identity(path, seen, known):
    """A string that changes when the file's content does, reading it only if needed.

    Size and modification time name the content, as Snakemake trusts them.
    A file whose status changed with its size equal to that of the last
    provenance record is read: the same checksum gives back the identity of
    that content (a file restored as it was reruns nothing), another checksum
    a new identity even where size and modification time were kept (``cp -p``,
    ``rsync -t``, a restore from backup of other data).

    Parameters
    ----------
    path : str
        The file.
    seen : dict
        Each file's :func:`file_stamp` and identity at the last look; updated.
    known : dict
        Checksums of the provenance records (see :func:`file_record`).

    Returns
    -------
    str
    """
    stamp = file_stamp(path)
    earlier = seen.get(path)
    if earlier is not None and earlier["stamp"] == stamp:
        return earlier["identity"]
    identity = f"bytes:{stamp[0]}:mtime:{stamp[1]}"
    recorded = known.get(path)
    if earlier is not None and recorded is not None and recorded["stamp"][0] == stamp[0]:
        digest = sha256(path)
        if digest == recorded["sha256"]:
            identity = f"bytes:{recorded['stamp'][0]}:mtime:{recorded['stamp'][1]}"
        elif identity == earlier["identity"]:
            identity = f"sha256:{digest}"
    seen[path] = {"stamp": stamp, "identity": identity}
    return identity


def write_input_stamps(table, folder, checksums):
    """For each input file, a stamp rewritten only when the file changed.

    The rules that read an input's image (or confounds) also read its stamp,
    so that Snakemake reruns them when the content changed although the
    modification time is not newer (a file replaced by ``cp -p`` or restored
    from backup), which its own test of modification times misses.

    Parameters
    ----------
    table : pandas.DataFrame
        Inputs by label, with ``func`` and ``confounds`` (None if none).
    folder : str or pathlib.Path
        Where the stamps (``<label>_func.txt``, ``<label>_confounds.txt``) and
        their cache are kept.
    checksums : str or pathlib.Path
        The provenance job's checksums (see :func:`file_record`).
    """
    from regions_connectome.io import atomic_output, read_json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "seen.json"
    seen = read_json(cache, if_missing={})
    known = read_json(checksums, if_missing={})
    for label, row in table.iterrows():
        for key in ("func", "confounds"):
            path = row[key]
            identity = content_identity(str(path), seen, known) if isinstance(path, str) else ""
            stamp = folder / f"{label}_{key}.txt"
            if not stamp.is_file() or stamp.read_text() != identity:
                # written whole, then renamed (atomic_output's search for
                # leftovers would cost a scan of the folder per stamp)
                partial = stamp.with_name(f".{stamp.name}.partial")
                partial.write_text(identity)
                os.replace(partial, stamp)
    with atomic_output(cache) as tmp:
        tmp.write_text(json.dumps(seen))


def file_record(path, known=None):
    """Path, size and checksum of one input file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    known : dict or None, default=None
        Checksums of earlier records by path, each with the file's
        :func:`file_stamp` then: a file whose stamp is unchanged is not read
        again. Updated.

    Returns
    -------
    dict
        ``path`` as the workflow names it (sample-sheet files absolute, the
        demo's relative to the working directory, so that the record does not
        depend on where a run happens), ``bytes`` and ``sha256``.
    """
    path = Path(path)
    stamp = file_stamp(path)
    earlier = (known or {}).get(str(path))
    if earlier is not None and earlier["stamp"] == stamp:
        digest = earlier["sha256"]
    else:
        digest = sha256(path)
        if known is not None:
            known[str(path)] = {"stamp": stamp, "sha256": digest}
    return {"path": str(path), "bytes": stamp[0], "sha256": digest}


def software_versions():
    """Versions of Python and of the packages the results depend on.

    Returns
    -------
    dict of str to str
    """
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def workflow_record(folder, ref=None):
    """Name, version and git commit of the workflow's code.

    Parameters
    ----------
    folder : str or pathlib.Path or None
        The workflow's folder in a checkout, or None for a module read from
        a git source.
    ref : str or None, default=None
        That git source's commit or tag.

    Returns
    -------
    dict
        ``name``, ``version`` (the package's), ``commit`` (the checkout's
        ``HEAD`` or the source's ``ref``; None outside a git checkout) and
        ``modified`` (whether tracked files differ from that commit; None
        where it cannot be told).
    """
    import subprocess

    from regions_connectome import __version__

    def git(*args):
        try:
            process = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return process.stdout.strip() if process.returncode == 0 else None

    commit = git("rev-parse", "HEAD") if folder is not None else ref
    status = git("status", "--porcelain", "--untracked-files=no") if folder and commit else None
    return {
        "name": "regions_connectome",
        "version": __version__,
        "commit": commit,
        "modified": None if status is None else bool(status),
    }


def provenance(
    config, subjects, n_volumes, group_mask=None, regions=None, excluded=None, known=None,
    code=None, group_reduction=None,
):  # fmt: skip
    """The provenance record of a run.

    Parameters
    ----------
    config : dict
        The resolved configuration (defaults filled in).
    subjects : dict of str to dict
        Per input label, ``func`` and ``confounds`` paths (``None`` if none).
    n_volumes : dict of str to int
        Volumes of each subject's image.
    group_mask : str or None, default=None
        The group mask the run used to learn its regions (with ``mask: epi``,
        computed from the data).
    regions : str or None, default=None
        The regions image the run applied (``regions.apply``).
    excluded : dict of str to dict or None, default=None
        Inputs left out before the group stages, with their files and
        ``reason``.
    known : dict or None, default=None
        Checksums of earlier runs (see :func:`file_record`); updated.
    code : dict or None, default=None
        The workflow's :func:`workflow_record` when this record was written.
    group_reduction : dict or None, default=None
        How the decomposition learned its components (the record of
        :func:`regions_connectome.decomposition.decompose`).

    Returns
    -------
    dict
        ``workflow`` (``code``), ``config``, ``software``, ``platform``, ``inputs`` (per subject:
        each file's path, size and SHA-256, and the number of volumes),
        ``group_mask`` and ``applied_regions`` (path, size and SHA-256, or
        None), ``group_reduction`` and ``excluded``.
    """
    inputs = {}
    for label, files in subjects.items():
        inputs[label] = {
            key: None if value is None else file_record(value, known)
            for key, value in files.items()
        } | {"n_volumes": int(n_volumes[label])}
    return {
        "workflow": code,
        "config": config,
        "software": software_versions(),
        "platform": platform.platform(),
        "inputs": inputs,
        "group_mask": None if group_mask is None else file_record(group_mask),
        "applied_regions": None if regions is None else file_record(regions),
        "group_reduction": group_reduction,
        "excluded": excluded or {},
    }


def _confounds_sentence(columns, n_subjects, without_confounds):
    if len(without_confounds) >= n_subjects:
        return "No confounds were regressed out."
    if columns == "all":
        text = "Every column of each subject's confounds file was regressed out"
    else:
        text = "The confounds " + ", ".join(f"`{c}`" for c in columns) + " were regressed out"
    if without_confounds:
        text += (
            f" ({len(without_confounds)} subject(s) without a confounds file, "
            f"{', '.join(without_confounds)}, were not denoised)"
        )
    return text


def methods_text(
    config, n_subjects, n_volumes, without_confounds=(), regions=None, excluded=None,
    n_regions=None, software=None, code=None, resampled=None, n_participants=None,
    design=None, group_reduction=None,
):  # fmt: skip
    """A methods paragraph generated from the configuration, with references.

    Parameters
    ----------
    config : dict
        The resolved configuration.
    n_subjects : int
        Number of subjects.
    n_volumes : sequence of int
        Volumes of each subject's image.
    without_confounds : sequence of str, default=()
        The subjects that had no confounds file (not denoised).
    regions : dict or None, default=None
        The applied regions image's record (:func:`file_record`), or None for
        regions learned from the cohort.
    excluded : dict of str to dict or None, default=None
        Subjects left out before the group stages, with their ``reason``.
    n_regions : int or None, default=None
        Number of regions the connectomes are made of.
    software : dict or None, default=None
        :func:`software_versions`, named in the text.
    code : dict or None, default=None
        :func:`workflow_record`, named in the text.
    resampled : dict or None, default=None
        ``subjects`` whose images were resampled ``to`` the grid of a subject.
    n_participants : int or None, default=None
        Number of participants, where inputs are runs (several per
        participant); the group unit is ``config["group_unit"]``.
    design : dict or None, default=None
        The group model's design sidecar
        (:func:`regions_connectome.statistics.design_sidecar`): who was
        modelled and who left out, when ``config["statistics"]`` asks for one.
    group_reduction : dict or None, default=None
        How the decomposition learned its components (from every row, or
        MIGP's), as :func:`provenance` records it.

    Returns
    -------
    str
        Markdown: a paragraph, then the references it cites.
    """
    regions_config = config["regions"]
    kinds = config["connectivity_kinds"]
    cited = []

    def cite(key):
        cited.append(key)
        return f"[{len(cited)}]"

    lengths = sorted(set(int(n) for n in n_volumes))
    volumes = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]} to {lengths[-1]}"
    software = software or {}
    nilearn = f"nilearn {software['nilearn']}" if "nilearn" in software else "nilearn"
    if n_participants is not None and n_participants != n_subjects:
        unit = config.get("group_unit", "participant")
        who = f"{n_participants} participants ({n_subjects} runs, {volumes} volumes each)"
        counted = (
            "Group statistics count each participant once, its runs averaged first. "
            if unit == "participant"
            else "Group statistics count each run as a unit. "
        )
    else:
        who, counted = f"{n_subjects} subjects ({volumes} volumes each)", ""
    text = (
        f"Resting-state fMRI data of {who} were analysed with {nilearn} {cite('nilearn')}. "
        + counted
    )
    if config.get("subjects") == "demo":
        demo = config["demo"]
        text += (
            "These data were synthetic: the workflow's demo cohort, "
            f"{demo['n_networks']} planted networks of {demo['blobs_per_network']} Gaussian "
            f"blobs each with known coupling, head motion and noise (seed {demo['seed']}). "
            "They show how the workflow runs and what it recovers, not brain function. "
        )
    if excluded:
        text += (
            f"{len(excluded)} further input(s) were excluded before the analysis: "
            + "; ".join(f"{label} ({record['reason']})" for label, record in excluded.items())
            + ". "
        )
    if resampled and resampled["subjects"]:
        text += (
            f"The images of {', '.join(resampled['subjects'])} were on other grids and were "
            f"resampled (third-order spline) to the grid of {resampled['to']}, the grid most "
            "inputs share. "
        )
    if regions is None:
        text += _learned_regions_sentences(config, cite, group_reduction)
    else:
        text += (
            f"Regions were not learned from these data: the regions image "
            f"`{Path(regions['path']).name}` (SHA-256 {regions['sha256']}) was applied, "
            "resampled once to the data's grid (nearest-neighbour interpolation for an "
            "image of labels, linear for region maps, as nilearn's maskers do). "
        )
    if n_regions is not None:
        text += f"The connectomes are made of {n_regions} regions. "
    text += (
        f"Regional timeseries were extracted after {regions_config['smoothing_fwhm']} mm "
        f"smoothing{', standardised' if regions_config['standardize'] else ''}, from the "
        "voxels where each subject's image has signal; a region with signal in less than "
        f"{regions_config['min_coverage']:.0%} of its voxels was reported as not available "
        "for that subject (it still entered the estimation of the subject's other pairs, "
        "which do not depend on this threshold). "
        f"{_confounds_sentence(config['confounds']['columns'], n_subjects, without_confounds)}"
        f"{' (confounds standardised).' if len(without_confounds) < n_subjects else ''} "
        f"Connectivity ({', '.join(kinds)}) was estimated with nilearn's "
        f"ConnectivityMeasure and the Ledoit-Wolf covariance estimator {cite('ledoit_wolf')}"
    )
    if "tangent" in kinds:
        text += f", the tangent space being fitted on the whole group {cite('tangent')}"
    group = "the mean of the subjects' matrices"
    if "tangent" in kinds:
        group += " (for the tangent kind, the group reference covariance)"
    text += f". Group matrices are {group}. "
    if design is not None:
        text += _statistics_sentences(config["statistics"], design, cite)
    text += (
        f"Head motion was summarised by framewise "
        f"displacement {cite('fd')}. The analysis ran as a Snakemake workflow "
        f"{cite('snakemake')}{_code_phrase(code)}{_versions_phrase(software)}."
    )
    references = "\n".join(f"{n}. {REFERENCES[key]}" for n, key in enumerate(cited, start=1))
    return f"# Methods\n\n{text}\n\n## References\n\n{references}\n"


def _statistics_sentences(statistics, design, cite):
    """The group statistics' model and inference, from the config and the design."""
    left_out = design["LeftOut"]
    who = f"{design['NumberOfParticipants']} participants" + (
        f" ({len(left_out)} left out: "
        + "; ".join(f"{label}, {reason}" for label, reason in left_out.items())
        + ")"
        if left_out
        else ""
    )
    covariates = [
        "mean framewise displacement" if c == "mean_fd" else c for c in statistics["covariates"]
    ]
    with_covariates = f", with {', '.join(covariates)} as covariates" if covariates else ""
    return (
        f"Which connections differ was tested per edge ({', '.join(statistics['kinds'])}; "
        "correlations Fisher z-transformed; each participant's runs averaged) by a linear "
        f"model ({design['Description']}{with_covariates}) in {who}. "
        f"The family-wise error was controlled by max-T permutation tests "
        f"{cite('maxt')} ({statistics['n_permutations']} permutations, nilearn's "
        "permuted_ols, "
        f"{'two' if statistics['two_sided'] else 'one'}-sided) and, for connected "
        f"components of edges with |t| > {statistics['nbs_threshold']}, by the "
        f"network-based statistic {cite('nbs')} (the same permutation scheme); edges and "
        f"components are reported at a family-wise error rate of {statistics['alpha']}. "
    )


def _code_phrase(code):
    if not code:
        return ""
    commit = f", commit {code['commit'][:12]}" if code.get("commit") else ""
    modified = " with local changes" if code.get("modified") else ""
    return f" ({code['name']} {code['version']}{commit}{modified})"


def _versions_phrase(software):
    named = [f"{name} {version}" for name, version in software.items() if name != "nilearn"]
    return f"; software versions: {', '.join(named)}" if named else ""


def _reduction_phrase(record, cite):
    if record is None:
        return ""
    if record["Method"] == "exact":
        return f" from all {record['Rows']} rows of the subjects' reduced data at once"
    return (
        f" from the {record['RowsKept']} leading principal rows of the subjects' "
        f"{record['Rows']} reduced rows, computed by MIGP {cite('migp')} streamed over "
        f"subjects ({100 * record['VarianceKept']:.1f} % of their variance kept) to hold "
        f"the decomposition within {record['MemoryBudgetMB']} MB"
    )


def _learned_regions_sentences(config, cite, group_reduction=None):
    """How the regions were learned from the cohort, for the methods paragraph."""
    decomposition, regions = config["decomposition"], config["regions"]
    method = decomposition["method"]
    if method == "dictlearning":
        estimator = (
            f"dictionary learning (nilearn's DictLearning, sparsity alpha = "
            f"{decomposition['alpha']}, {decomposition['n_epochs']} epoch(s), batch size "
            f"{decomposition['batch_size']}) {cite(method)}"
        )
    else:
        estimator = (
            f"canonical ICA (nilearn's CanICA, threshold {decomposition['threshold']}, "
            f"{decomposition['n_init']} initialisations) {cite(method)}"
        )
    mask = {
        "epi": "the intersection of the subjects' EPI masks",
        "template": "the MNI152 brain mask resampled to the data",
    }.get(config["mask"], "a user-provided brain mask")
    return (
        f"Within {mask}, each subject's data were spatially "
        f"smoothed ({decomposition['smoothing_fwhm']} mm FWHM), "
        f"{'detrended, ' if decomposition['detrend'] else ''}standardised and reduced by "
        f"SVD, and {decomposition['n_components']} group components were estimated by "
        f"{estimator} (random state {decomposition['random_state']})"
        f"{_reduction_phrase(group_reduction, cite)}. Regions were "
        f"extracted from the component maps with nilearn's RegionExtractor {cite('regions')} "
        f"(thresholding strategy {regions['thresholding_strategy']}, threshold "
        f"{regions['threshold']}, {regions['extractor'].replace('_', ' ')} extractor, "
        f"minimum region size {regions['min_region_size']} mm³). "
    )
