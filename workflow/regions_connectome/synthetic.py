"""A synthetic resting-state cohort with known ground truth.

The cohort lives in MNI space on the grid of nilearn's MNI152 brain mask
resampled to a chosen voxel size. A handful of *networks* are planted, each made
of several spatially separate Gaussian blobs (a bilateral pair, then further
blobs anywhere in the brain), so that region extraction has something to split.
Network timecourses share a known coupling (correlation) matrix; six motion-like
confounds contaminate the signal through smooth spatial gradients, so that the
connectome is biased unless they are regressed out; white noise is added last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MOTION_COLUMNS = ("trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z")

# Extent of nilearn's MNI152 2 mm grid (91 x 109 x 91 voxels), in mm.
_MNI_ORIGIN = np.array([-90.0, -126.0, -72.0])
_MNI_EXTENT = np.array([180.0, 216.0, 180.0])


def mni_grid(voxel_size):
    """Affine and shape of an MNI grid covering nilearn's MNI152 template.

    Parameters
    ----------
    voxel_size : float
        Isotropic voxel size in mm. 3 gives the seed's 61 x 73 x 61 grid.

    Returns
    -------
    affine : numpy.ndarray, shape (4, 4)
    shape : tuple of int, length 3
    """
    if voxel_size <= 0:
        raise ValueError(f"voxel_size must be positive, got {voxel_size}")
    affine = np.diag([voxel_size, voxel_size, voxel_size, 1.0])
    affine[:3, 3] = _MNI_ORIGIN
    shape = tuple(int(n) for n in np.floor(_MNI_EXTENT / voxel_size + 1e-6) + 1)
    return affine, shape


def brain_mask(voxel_size):
    """Nilearn's MNI152 brain mask resampled (nearest) to :func:`mni_grid`.

    Parameters
    ----------
    voxel_size : float
        Isotropic voxel size in mm.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
        Binary (uint8) 3D mask.
    """
    import nibabel as nib

    from regions_connectome.niimg import template_mask

    affine, shape = mni_grid(voxel_size)
    return template_mask(nib.Nifti1Image(np.zeros(shape, np.uint8), affine))


def coupling_matrix(n_networks):
    """The known correlation between network timecourses.

    Neighbouring networks alternate between a positive coupling (0.4)
    for pairs ``(0, 1), (2, 3), ...`` and a weaker negative one (-0.3) for
    ``(1, 2), (3, 4), ...``; all other pairs are uncoupled.

    Parameters
    ----------
    n_networks : int
        Number of planted networks.

    Returns
    -------
    numpy.ndarray, shape (n_networks, n_networks)
        Symmetric positive-definite matrix with unit diagonal.
    """
    coupling = np.eye(n_networks)
    for k in range(n_networks - 1):
        coupling[k, k + 1] = coupling[k + 1, k] = 0.4 if k % 2 == 0 else -0.3
    # The tridiagonal pattern is positive definite for the sizes used here;
    # guard against any size where it is not.
    if np.linalg.eigvalsh(coupling).min() <= 0.05:
        raise ValueError(f"coupling matrix not positive definite for {n_networks}")
    return coupling


def plant_networks(mask_img, n_networks, blobs_per_network, blob_sigma_mm, rng):
    """Place networks of separate Gaussian blobs inside a brain mask.

    Parameters
    ----------
    mask_img : nibabel.nifti1.Nifti1Image
        Binary brain mask defining the grid.
    n_networks : int
        Number of networks.
    blobs_per_network : int
        Blobs per network (>= 2): a bilateral pair first, then random places.
    blob_sigma_mm : float
        Standard deviation of each Gaussian blob, in mm.
    rng : numpy.random.Generator
        Random generator for the blob centres.

    Returns
    -------
    maps_img : nibabel.nifti1.Nifti1Image
        4D float32 image, one volume per network, peak 1 at each blob centre.
    blobs : pandas.DataFrame
        One row per blob: ``network, blob, x, y, z, sigma_mm`` (MNI, mm).
    """
    import nibabel as nib
    from scipy import ndimage

    mask = np.asarray(mask_img.dataobj) > 0
    affine = mask_img.affine
    voxel = float(abs(affine[0, 0]))
    # Centres at least 2 sigma inside the brain, blobs 4.5 sigma apart.
    depth = ndimage.distance_transform_edt(mask) * voxel
    candidates = np.argwhere(depth >= 2.0 * blob_sigma_mm)
    if len(candidates) == 0:
        raise ValueError("brain mask too small for the requested blob size")
    cand_mm = nib.affines.apply_affine(affine, candidates)
    min_distance = 4.5 * blob_sigma_mm
    lateral = cand_mm[np.abs(cand_mm[:, 0]) >= min_distance / 2]

    centres, rows = [], []
    for network in range(n_networks):
        for _attempt in range(10_000):
            first = lateral[rng.integers(len(lateral))]
            mirror = first * np.array([-1.0, 1.0, 1.0])
            chosen = [first, mirror]
            while len(chosen) < blobs_per_network:
                chosen.append(cand_mm[rng.integers(len(cand_mm))])
            points = np.array(chosen)
            everything = np.vstack([*centres, points]) if centres else points
            d = np.linalg.norm(everything[:, None] - everything[None], axis=-1)
            if d[np.triu_indices(len(everything), 1)].min() >= min_distance:
                break
        else:
            raise ValueError(
                f"could not place {n_networks} networks of {blobs_per_network} "
                f"blobs {min_distance:.0f} mm apart; use fewer or smaller blobs"
            )
        centres.extend(points)
        for blob, (x, y, z) in enumerate(points):
            rows.append((network, blob, x, y, z, blob_sigma_mm))

    ijk = np.indices(mask.shape).reshape(3, -1).T
    xyz = nib.affines.apply_affine(affine, ijk).reshape(*mask.shape, 3)
    maps = np.zeros((*mask.shape, n_networks), dtype=np.float32)
    for network, _blob, x, y, z, sigma in rows:
        d2 = np.sum((xyz - np.array([x, y, z])) ** 2, axis=-1)
        bump = np.exp(-d2 / (2 * sigma**2))
        bump[d2 > (2.5 * sigma) ** 2] = 0
        maps[..., network] += bump.astype(np.float32)
    maps *= mask[..., None]
    blobs = pd.DataFrame(rows, columns=["network", "blob", "x", "y", "z", "sigma_mm"])
    return nib.Nifti1Image(maps, affine), blobs


def _ar1(rng, n_volumes, n_series, phi):
    """Unit-variance AR(1) series, the same filter for every column."""
    white = rng.standard_normal((n_volumes + 50, n_series))
    out = np.empty_like(white)
    out[0] = white[0]
    for t in range(1, len(white)):
        out[t] = phi * out[t - 1] + np.sqrt(1 - phi**2) * white[t]
    return out[50:]


# Autocorrelation of the network timecourses (AR(1) at lag one volume).
NETWORK_PHI = 0.6
# The demo's groups: odd subject numbers are controls, even ones patients.
DEMO_GROUPS = ("control", "patient")


def network_timecourses(rng, coupling, n_volumes):
    """Unit-variance AR(1) network timecourses whose correlation is ``coupling``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    coupling : numpy.ndarray, shape (n_networks, n_networks)
        Positive-definite correlation matrix.
    n_volumes : int
        Number of volumes.

    Returns
    -------
    numpy.ndarray, shape (n_volumes, n_networks)
    """
    chol = np.linalg.cholesky(coupling)
    return _ar1(rng, n_volumes, len(coupling), phi=NETWORK_PHI) @ chol.T


def fisher_z_sd(n_volumes, phi=NETWORK_PHI):
    """The standard deviation of the Fisher z of two AR(1) series' sample correlation.

    Bartlett's (1946) large-sample variance, ``(1 + phi^2) / ((1 - phi^2) n)``:
    the spread of a subject's estimated coupling around its true value.

    Parameters
    ----------
    n_volumes : int
        Length of the series.
    phi : float, default=NETWORK_PHI
        Their lag-one autocorrelation.

    Returns
    -------
    float
    """
    return float(np.sqrt((1 + phi**2) / ((1 - phi**2) * n_volumes)))


def group_coupling(coupling, group, pairs, cohens_d, n_volumes):
    """A group's coupling: the patients' planted pairs moved by ``cohens_d``.

    In the patients (:data:`DEMO_GROUPS`' second), each pair's coupling is
    moved by ``cohens_d`` times :func:`fisher_z_sd` in Fisher's z, so that
    the two groups' estimated couplings differ by Cohen's d; controls keep
    ``coupling`` as it is (the default cohort is unchanged).

    Parameters
    ----------
    coupling : numpy.ndarray, shape (n_networks, n_networks)
        The controls' coupling (:func:`coupling_matrix`).
    group : str
        One of :data:`DEMO_GROUPS`.
    pairs : sequence of (int, int)
        Network pairs (from 0).
    cohens_d : float
        The patients' shift of each pair, in Cohen's d.
    n_volumes : int
        Volumes per subject (the estimates' spread depends on it).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        If a pair names a network that is not planted, or the moved coupling
        is not positive definite.
    """
    coupling = np.array(coupling, dtype=float)
    if group == DEMO_GROUPS[0] or not len(pairs):
        return coupling
    shift = cohens_d * fisher_z_sd(n_volumes)
    for a, b in pairs:
        if not (0 <= a < len(coupling) and 0 <= b < len(coupling)) or a == b:
            raise ValueError(
                f"demo.group_difference.pairs: [{a}, {b}] is not a pair of the "
                f"{len(coupling)} planted networks (0 to {len(coupling) - 1})"
            )
        coupling[a, b] = coupling[b, a] = np.tanh(np.arctanh(coupling[a, b]) + shift)
    if np.linalg.eigvalsh(coupling).min() <= 0:
        raise ValueError(
            f"demo.group_difference: moving pairs {list(map(list, pairs))} by d={cohens_d} "
            "makes the patients' coupling not positive definite; choose other pairs or a "
            "smaller effect"
        )
    return coupling


def demo_group(subject):
    """The demo subject's group (:data:`DEMO_GROUPS`) from its number."""
    return DEMO_GROUPS[1 - int(subject) % 2]


def demo_participants(labels, seed):
    """The demo cohort's participants table (BIDS ``participants.tsv``).

    Parameters
    ----------
    labels : sequence of str
        Subject labels (``01``...).
    seed : int
        The demo's seed (ages are drawn from their own generator).

    Returns
    -------
    pandas.DataFrame
        ``participant_id`` (``sub-<label>``), ``group`` (:func:`demo_group`)
        and ``age`` (years, uniform on 8-16, unrelated to the data).
    """
    ages = np.random.default_rng([seed, 0]).uniform(8.0, 16.0, size=len(labels))
    return pd.DataFrame(
        {
            "participant_id": [f"sub-{label}" for label in labels],
            "group": [demo_group(label) for label in labels],
            "age": np.round(ages, 1),
        }
    )


def simulate_motion(rng, n_volumes):
    """Six smooth, drifting motion parameters with a few sudden jumps.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    n_volumes : int
        Number of volumes.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MOTION_COLUMNS` (translations in mm, rotations in
        degrees), zero-mean drift plus jumps.
    """
    steps = rng.normal(0.0, 0.04, size=(n_volumes, 6))
    n_jumps = max(1, n_volumes // 60)
    for t in rng.integers(1, n_volumes, size=n_jumps):
        steps[t] += rng.normal(0.0, 0.4, size=6)
    motion = np.cumsum(steps, axis=0)
    motion -= motion.mean(axis=0)
    return pd.DataFrame(motion, columns=list(MOTION_COLUMNS))


def _motion_artefacts(motion, xyz, leak, rng, n_patterns=30, sigma_mm=30.0):
    """Signal motion leaves behind, in proportion to each volume's displacement.

    A global change and broad local patterns (the same for every subject, as
    the artefacts of one scanner and head coil would be), each with a random
    sign in every volume: nearby regions share more of it than distant ones.
    """
    from regions_connectome.quality import framewise_displacement_array

    # simulate_motion's rotations are in degrees; FD is computed as the
    # confounds file (radians) will give it.
    radians = motion.copy()
    rotations = [c for c in MOTION_COLUMNS if c.startswith("rot_")]
    radians[rotations] = np.deg2rad(radians[rotations])
    fd = framewise_displacement_array(radians.to_numpy(), radians.columns)
    centres = xyz[np.random.default_rng(n_patterns).choice(len(xyz), n_patterns, replace=False)]
    squared = ((xyz[:, None, :] - centres[None]) ** 2).sum(axis=2)
    patterns = np.column_stack([np.ones(len(xyz)), np.exp(-squared / (2 * sigma_mm**2))])
    signs = rng.choice([-1.0, 1.0], size=(n_patterns + 1, len(fd)))
    return (leak * patterns.astype(np.float32) @ (signs * fd).astype(np.float32)).astype(np.float32)


def simulate_subject(
    networks_img,
    mask_img,
    coupling,
    n_volumes,
    rng,
    signal_amplitude=50.0,
    motion_amplitude=15.0,
    noise_sd=15.0,
    baseline=1000.0,
    motion_spread=0.0,
    motion_leak=0.0,
):
    """Simulate one subject's 4D BOLD image and its motion confounds.

    The voxel signal is
    ``baseline + signal_amplitude * maps @ networks(t)
    + motion_amplitude * gradients @ motion(t) + noise``, where ``networks(t)``
    are AR(1) timecourses with correlation ``coupling`` and ``gradients`` are
    smooth spatial patterns, one per motion parameter. With ``motion_leak``,
    each volume also carries ``motion_leak * FD(t) * field(t)``: a random mix
    of broad Gaussian patterns (30 mm) drawn anew for each volume, which the
    motion parameters cannot regress out, so that connectivity grows with a
    subject's motion, most between nearby regions (Power et al. 2012).

    Parameters
    ----------
    networks_img : nibabel.nifti1.Nifti1Image
        4D network maps from :func:`plant_networks`.
    mask_img : nibabel.nifti1.Nifti1Image
        Brain mask on the same grid.
    coupling : numpy.ndarray
        Correlation between network timecourses.
    n_volumes : int
        Number of volumes.
    rng : numpy.random.Generator
        Random generator (one per subject).
    signal_amplitude, motion_amplitude, noise_sd, baseline : float
        Scale of the network signal, of the motion contamination (per mm or
        degree), of the white noise, and the brain's mean intensity.
    motion_spread : float, default=0.0
        The subject's motion is scaled by ``exp(motion_spread * N(0, 1))``.
    motion_leak : float, default=0.0
        Signal per mm of framewise displacement left by motion in the data.
        The scale and the artefacts are drawn from a child of ``rng``: with
        both 0 the subject is the same as without them.

    Returns
    -------
    bold : numpy.ndarray, shape (x, y, z, n_volumes), float32
        The image data (brain and a dim, noisy background).
    confounds : pandas.DataFrame
        Motion parameters, one row per volume: translations in mm, rotations
        in radians (fMRIPrep's names and units).
    timecourses : numpy.ndarray, shape (n_volumes, n_networks)
        The ground-truth network timecourses.
    """
    import nibabel as nib

    mask = np.asarray(mask_img.dataobj) > 0
    maps = np.asarray(networks_img.dataobj, dtype=np.float32)[mask]
    timecourses = network_timecourses(rng, coupling, n_volumes)
    confounds = simulate_motion(rng, n_volumes)
    motion_rng = rng.spawn(1)[0]
    confounds *= np.exp(motion_spread * motion_rng.standard_normal())

    ijk = np.argwhere(mask)
    xyz = nib.affines.apply_affine(mask_img.affine, ijk)
    centred = (xyz - xyz.mean(axis=0)) / 70.0
    # One smooth spatial pattern per motion parameter: translations act along
    # their axis, rotations as products of the two other axes.
    gradients = np.column_stack(
        [
            centred[:, 0],
            centred[:, 1],
            centred[:, 2] + 0.5,
            centred[:, 1] * centred[:, 2] * 4 + 0.3,
            centred[:, 0] * centred[:, 2] * 4 + 0.3,
            centred[:, 0] * centred[:, 1] * 4 + 0.3,
        ]
    ).astype(np.float32)

    tissue = baseline * (1.0 + 0.1 * rng.standard_normal(len(ijk)))
    inside = (
        tissue[:, None]
        + signal_amplitude * maps @ timecourses.T.astype(np.float32)
        + motion_amplitude * gradients @ confounds.to_numpy().T.astype(np.float32)
        + noise_sd * rng.standard_normal((len(ijk), n_volumes))
    ).astype(np.float32)
    if motion_leak:
        inside += _motion_artefacts(confounds, xyz, motion_leak, motion_rng)
    bold = np.abs(rng.normal(0.0, 0.02 * baseline, size=(*mask.shape, n_volumes))).astype(
        np.float32
    )
    bold[mask] = inside
    # Written with fMRIPrep's names, so in fMRIPrep's units: rotations in
    # radians (a rescaled column regresses out exactly the same signal).
    rotations = [c for c in MOTION_COLUMNS if c.startswith("rot_")]
    confounds[rotations] = np.deg2rad(confounds[rotations])
    return bold, confounds, timecourses


def write_cohort(
    folder,
    n_subjects=3,
    n_volumes=60,
    voxel_size=6.0,
    seed=0,
    n_networks=5,
    blobs_per_network=3,
    blob_sigma_mm=8.0,
    t_r=2.0,
):
    """Write a synthetic cohort and its sample sheet outside the workflow.

    Subject ``k`` uses the generator seeded ``[seed, k]``, as the workflow's
    demo rules do, so a larger cohort extends a smaller one with the same
    subjects.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where to write ``sub-XX_bold.nii.gz``, ``sub-XX_confounds.tsv``,
        ``networks.nii.gz``, ``blobs.tsv`` and ``subjects.tsv``.
    n_subjects, n_volumes : int
        Cohort size.
    voxel_size, t_r : float
        Grid (mm) and repetition time (s).
    seed : int
        Random seed.
    n_networks, blobs_per_network : int
        Planted networks and blobs per network.
    blob_sigma_mm : float
        Blob size.

    Returns
    -------
    pathlib.Path
        The sample sheet (relative paths).
    """
    from pathlib import Path

    import nibabel as nib

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mask = brain_mask(voxel_size)
    networks, blobs = plant_networks(
        mask, n_networks, blobs_per_network, blob_sigma_mm, np.random.default_rng(seed)
    )
    networks.to_filename(folder / "networks.nii.gz")
    blobs.to_csv(folder / "blobs.tsv", sep="\t", index=False)
    coupling = coupling_matrix(n_networks)
    rows = []
    for number in range(1, n_subjects + 1):
        label = f"{number:02d}"
        bold, confounds, _ = simulate_subject(
            networks, mask, coupling, n_volumes, np.random.default_rng([seed, number])
        )
        img = nib.Nifti1Image(bold, mask.affine)
        img.header.set_zooms((voxel_size,) * 3 + (t_r,))
        img.header.set_xyzt_units("mm", "sec")
        img.to_filename(folder / f"sub-{label}_bold.nii.gz")
        confounds.to_csv(folder / f"sub-{label}_confounds.tsv", sep="\t", index=False)
        rows.append((label, f"sub-{label}_bold.nii.gz", f"sub-{label}_confounds.tsv"))
    sheet = folder / "subjects.tsv"
    pd.DataFrame(rows, columns=["subject", "func", "confounds"]).to_csv(
        sheet, sep="\t", index=False
    )
    return sheet


def network_recovery(networks_img, components_img, mask_img):
    """How well learned components recover the planted networks.

    Each planted network is paired with one component (the pairing that
    maximises the summed absolute spatial correlation, no component used
    twice) and the correlation of their maps over the mask is reported.

    Parameters
    ----------
    networks_img : Niimg-like
        4D planted network maps (the demo's ``ground_truth/networks.nii.gz``).
    components_img : Niimg-like
        4D learned components on the same grid.
    mask_img : Niimg-like
        Group mask on that grid: the voxels compared.

    Returns
    -------
    pandas.DataFrame
        One row per network: ``network``, its ``component`` (None when there
        are fewer components than networks) and ``spatial_r`` (the absolute
        correlation; a component's sign is arbitrary).

    Raises
    ------
    ValueError
        If the three images are not on one grid.
    """
    import os

    import nibabel as nib
    from scipy.optimize import linear_sum_assignment

    networks, components, mask = (
        nib.load(img) if isinstance(img, str | os.PathLike) else img
        for img in (networks_img, components_img, mask_img)
    )
    from regions_connectome.niimg import same_grid

    if not (same_grid(networks, components) and same_grid(networks, mask)):
        raise ValueError("the planted networks and the components are not on one grid")
    inside = np.asarray(mask.dataobj) > 0
    truth = np.asarray(networks.dataobj, dtype=float)[inside]
    learned = np.asarray(components.dataobj, dtype=float)[inside]
    n_networks = truth.shape[1]
    r = np.abs(np.corrcoef(truth.T, learned.T)[:n_networks, n_networks:])
    r = np.nan_to_num(r, nan=0.0)
    rows, columns = linear_sum_assignment(-r)
    paired = dict(zip(rows, columns, strict=True))
    return pd.DataFrame(
        {
            "network": range(n_networks),
            "component": pd.array([paired.get(k) for k in range(n_networks)], dtype="Int64"),
            "spatial_r": [r[k, paired[k]] if k in paired else 0.0 for k in range(n_networks)],
        }
    )


def write_reduced_cohort(folder, n_subjects, n_rows, voxel_size=3.0, seed=0):
    """Demo subjects' reduced data and group mask, where the workflow keeps them.

    For the group decomposition at scale without running every subject's
    jobs: each subject's rows mix 50 smooth patterns of decreasing weight,
    plus unit noise, on :func:`brain_mask`'s voxels. Snakemake then plans
    the decomposition only (the reduced files exist).

    Parameters
    ----------
    folder : pathlib.Path
        The workflow's working directory (``results/`` is written in it).
    n_subjects, n_rows : int
        Demo subjects (labelled as the demo labels them) and rows each.
    voxel_size : float, default=3.0
        Grid (mm).
    seed : int, default=0
        Random seed.

    Returns
    -------
    int
        Voxels in the mask.
    """
    from regions_connectome.inputs import demo_subjects

    rng = np.random.default_rng(seed)
    results = folder / "results"
    (results / "group").mkdir(parents=True, exist_ok=True)
    mask = brain_mask(voxel_size)
    mask.to_filename(results / "group" / "mask.nii.gz")
    n_voxels = int(np.count_nonzero(np.asarray(mask.dataobj)))
    kernel = np.hanning(41).astype(np.float32)
    patterns = (
        np.stack(
            [np.convolve(row, kernel, mode="same") for row in rng.standard_normal((50, n_voxels))]
        ).astype(np.float32)
        * np.linspace(3, 0.3, 50, dtype=np.float32)[:, None]
    )
    for label in demo_subjects(n_subjects):
        path = demo_reduced_path(results, label)
        path.parent.mkdir(parents=True, exist_ok=True)
        mixing = rng.standard_normal((n_rows, 50)).astype(np.float32)
        noise = rng.standard_normal((n_rows, n_voxels), dtype=np.float32)
        np.save(path, mixing @ patterns + noise)
    return n_voxels


def demo_reduced_path(results, label):
    """Where the workflow keeps a demo subject's reduced data under ``results``."""
    from regions_connectome.derivatives import DEMO_SPACE, output_entities, run_prefix

    return results / f"{run_prefix(label)}{output_entities(DEMO_SPACE)}_desc-reduced_data.npy"
