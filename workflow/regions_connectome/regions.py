"""Region extraction from component maps (nilearn's RegionExtractor)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# RegionExtractor parameters used for extraction (its smoothing included), and
# those its masker uses to extract timeseries afterwards.
EXTRACTION_KEYS = (
    "threshold",
    "thresholding_strategy",
    "extractor",
    "min_region_size",
    "smoothing_fwhm",
)
MASKER_KEYS = (
    "smoothing_fwhm",
    "standardize",
    "standardize_confounds",
    "detrend",
    "low_pass",
    "high_pass",
    "t_r",
)
# What the timeseries job uses: the masker's parameters, and the coverage a
# region needs in a subject's image to have a signal.
TIMESERIES_KEYS = MASKER_KEYS + ("min_coverage",)


def _kwargs(params, keys):
    """The ``keys`` present in ``params``, a None included.

    ``smoothing_fwhm: null`` means no smoothing, not nilearn's default.
    """
    return {key: params[key] for key in keys if key in params}


def extract_regions(components_img, params):
    """Split each component map into connected regions.

    Parameters
    ----------
    components_img : Niimg-like
        4D component maps.
    params : dict
        RegionExtractor parameters: ``threshold``, ``thresholding_strategy``,
        ``extractor``, ``min_region_size`` (mm^3) and ``smoothing_fwhm``;
        missing keys take nilearn's defaults.

    Returns
    -------
    regions_img : nibabel.nifti1.Nifti1Image
        4D image, one volume per region.
    index : list of int
        For each region, the component it came from (nilearn's ``index_``).

    Raises
    ------
    ValueError
        If no region survives the threshold and ``min_region_size``.
    """
    from nilearn.image import load_img
    from nilearn.regions import RegionExtractor

    components_img = load_img(components_img)
    if not np.asarray(components_img.dataobj).any():
        raise ValueError(
            "every component map is zero: the decomposition found no structure in so "
            "few data (too few subjects or volumes for decomposition.n_components); "
            "add subjects or lower decomposition.n_components (the region thresholds "
            "cannot help)"
        )
    extractor = RegionExtractor(
        components_img,
        **_kwargs(params, EXTRACTION_KEYS),
    )
    try:
        extractor.fit()
    except TypeError:
        # nilearn warns, leaves regions_img_ as None and then fails to fit
        # its masker on it.
        if getattr(extractor, "regions_img_", "unset") is not None:
            raise
    if extractor.regions_img_ is None:
        raise ValueError(
            "no region survived the extraction: lower regions.threshold or regions.min_region_size"
        )
    return extractor.regions_img_, [int(i) for i in extractor.index_]


def region_labels(regions, components):
    """Labels that say which component each region came from.

    Parameters
    ----------
    regions : sequence of int
        Region numbers (volume index in the regions image).
    components : sequence of int
        Component of each region.

    Returns
    -------
    list of str
        ``"r<region>_c<component>"``, e.g. ``"r03_c1"``.
    """
    return [f"r{r:02d}_c{c}" for r, c in zip(regions, components, strict=True)]


def regions_table(regions_img, index):
    """Describe extracted regions: source component, size and cut coordinates.

    Parameters
    ----------
    regions_img : Niimg-like
        4D regions image from :func:`extract_regions`.
    index : sequence of int
        Component of each region.

    Returns
    -------
    pandas.DataFrame
        Columns ``region`` (volume index, from 0), ``component``,
        ``n_voxels`` (non-zero voxels), ``x, y, z`` (MNI mm, from
        ``find_probabilistic_atlas_cut_coords``) and ``label``.
    """
    from nilearn.image import load_img
    from nilearn.plotting import find_probabilistic_atlas_cut_coords

    img = load_img(regions_img)
    data = np.asarray(img.dataobj)
    coords = np.asarray(find_probabilistic_atlas_cut_coords(img)).reshape(-1, 3)
    regions = np.arange(data.shape[-1])
    table = pd.DataFrame(
        {
            "region": regions,
            "component": np.asarray(index, dtype=int),
            "n_voxels": np.count_nonzero(data, axis=(0, 1, 2)),
            "x": coords[:, 0],
            "y": coords[:, 1],
            "z": coords[:, 2],
        }
    )
    table["label"] = region_labels(table["region"], table["component"])
    return table


def read_region_names(path):
    """Region names from a labels table.

    Parameters
    ----------
    path : str or pathlib.Path
        One of: a BIDS-style table (tab-separated, or comma-separated if
        named ``.csv``) with a ``name`` column and an ``index`` column (the
        label's value in a labels image, or the volume of a 4D image of maps,
        see :func:`match_region_names`; row order if absent); this
        workflow's ``regions.tsv`` (``region``, ``label``); or a lookup table
        without a header, one ``<index> … <name> …`` line per region, ``#``
        comments skipped (FSL/FSLeyes, FreeSurfer, MRIcron: the name is what
        lies between the leading and trailing numbers, spaces kept).

    Returns
    -------
    dict of int to str

    Raises
    ------
    ValueError
        If the file has none of these forms, or lists an index twice.
    """
    import re
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"regions labels file {path} is empty")
    lines = [line for line in lines if not line.lstrip().startswith("#")]
    if lines and re.match(r"^\s*\d+\s", lines[0]):
        indices, names = [], {}
        for line in lines:
            index, *rest = line.split()
            if not index.isdigit():
                raise ValueError(f"regions labels file {path}: line {line!r} starts with no index")
            indices.append(int(index))
            names[int(index)] = _name_between_numbers(rest) or " ".join(rest)
    else:
        separator = "," if Path(path).suffix.lower() == ".csv" else "\t"
        table = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
        index_column, name_column = (
            ("region", "label") if {"region", "label"} <= set(table) else ("index", "name")
        )
        if name_column not in table:
            raise ValueError(
                f"regions labels file {path} has no 'name' column (its columns: "
                f"{list(table.columns)}): give a table with columns index and name, or "
                "lines of '<index> <name>'"
            )
        indices = (
            [int(i) for i in table[index_column]]
            if index_column in table
            else list(range(len(table)))
        )
        names = dict(zip(indices, table[name_column], strict=True))
    if len(names) != len(indices):
        raise ValueError(f"regions labels file {path} lists an index twice")
    return names


def _is_number(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


def _name_between_numbers(tokens):
    """The name in a lookup-table line's fields after its index.

    FSL's and FSLeyes' tables put the colour first (``1 0.5 0.2 0.1 Frontal
    Pole``), FreeSurfer's after the name (``2 Left-Cerebral-White-Matter 245
    245 245 0``), MRIcron's a code (``1 Precentral_L 2001``): the name is what
    lies between the leading and the trailing numbers, spaces kept.
    """
    start, end = 0, len(tokens)
    while start < end and _is_number(tokens[start]):
        start += 1
    while end > start and _is_number(tokens[end - 1]):
        end -= 1
    return " ".join(tokens[start:end])


def load_regions_image(path):
    """A regions image as nilearn's maskers read it.

    A 4D image of one volume of integer values is an image of labels saved
    with a time axis (x, y, z, 1): it is read as the 3D labels it is, as
    ``NiftiLabelsMasker`` does, not as one weighted map.

    Parameters
    ----------
    path : str or pathlib.Path
        The image.

    Returns
    -------
    nibabel.nifti1.Nifti1Image
    """
    import nibabel as nib

    img = nib.load(path)
    if img.ndim == 4 and img.shape[3] == 1:
        data = np.asanyarray(img.dataobj)
        if np.array_equal(data, np.round(data)) and len(np.unique(data)) > 2:
            return nib.funcs.squeeze_image(img)
    return img


def match_region_names(names, indices, maps, path):
    """Region names keyed by the image's own indices, checked against it.

    Parameters
    ----------
    names : dict of int to str
        From :func:`read_region_names`.
    indices : list of int
        The image's regions (:func:`region_indices`).
    maps : bool
        Whether the image holds maps (volumes from 0) rather than labels.
    path : str or pathlib.Path
        The names file, for messages.

    Returns
    -------
    dict of int to str

    Raises
    ------
    ValueError
        If the table names regions the image does not have. For maps, a
        table numbered 1 to N for N volumes is read as numbered from 1 (the
        image decides, not a guess: numbered 0 to N - 1 it is read from 0).
    """
    if not names:
        return {}
    if maps and sorted(names) == list(range(1, len(indices) + 1)):
        return {index - 1: name for index, name in names.items()}
    unknown = sorted(set(names) - set(indices))
    if unknown:
        what = (
            f"volumes 0 to {len(indices) - 1} (or 1 to {len(indices)})"
            if maps
            else f"labels {indices[:8]}{' …' if len(indices) > 8 else ''}"
        )
        raise ValueError(
            f"regions labels file {path} names regions {unknown[:8]} that the image does "
            f"not have (it has {what}): is it the table of another atlas?"
        )
    return names


def region_names(path, indices, maps):
    """The names a labels file gives an image's regions: read, then matched.

    Parameters
    ----------
    path : str or pathlib.Path or None
        ``regions.apply_labels`` (:func:`read_region_names`); None: no names.
    indices : list of int
        The image's regions (:func:`region_indices`).
    maps : bool
        Whether the image holds maps rather than labels.

    Returns
    -------
    dict of int to str
        See :func:`match_region_names`.
    """
    if not path:
        return {}
    return match_region_names(read_region_names(path), indices, maps, path)


def resample_regions(regions_img, reference):
    """Regions given by the user, on the data's grid.

    Region maps (4D) are resampled with linear interpolation, as
    ``NiftiMapsMasker(resampling_target="data")`` does; an image of integer
    labels (3D) with nearest-neighbour interpolation, as ``NiftiLabelsMasker``
    does. An image already on the grid is kept as it is.

    Parameters
    ----------
    regions_img : str or pathlib.Path
        4D region maps (a probabilistic atlas, a previous run's
        ``regions.nii.gz``) or a 3D image of integer labels (0 the background).
    reference : str or pathlib.Path
        An image on the data's grid (only its header is read).

    Returns
    -------
    regions : nibabel.nifti1.Nifti1Image
        float32 maps or int32 labels on the reference's grid.
    indices : list of int
        The regions: volumes of the maps (from 0), or every non-zero label of
        the source image (a label that resampling leaves empty stays listed).

    Raises
    ------
    ValueError
        If the image is neither, e.g. a 3D image of non-integer values.
    """
    import nibabel as nib
    from nilearn.image import resample_img

    from regions_connectome.niimg import same_grid

    img = load_regions_image(regions_img)
    target = nib.load(reference)
    indices = region_indices(img, regions_img)
    kind, dtype = ("nearest", np.int32) if img.ndim == 3 else ("linear", np.float32)
    if not same_grid(img, target):
        img = resample_img(
            img,
            target_affine=target.affine,
            target_shape=target.shape[:3],
            interpolation=kind,
            force_resample=True,
            copy_header=True,
        )
    data = np.asarray(img.dataobj, dtype=dtype)
    if not data.any():
        raise ValueError(
            f"regions image {regions_img} does not overlap the data's field of view "
            f"({reference}): are they in the same space?"
        )
    out = nib.Nifti1Image(data, target.affine)
    out.header.set_xyzt_units("mm")
    return out, indices


def region_indices(img, path):
    """The regions of a regions image, checked.

    Parameters
    ----------
    img : nibabel.nifti1.Nifti1Image
        4D region maps or a 3D image of integer labels.
    path : str or pathlib.Path
        Its file, for messages.

    Returns
    -------
    list of int
        The volumes of the maps (from 0), or every non-zero label.

    Raises
    ------
    ValueError
        If the image is neither (a 3D image of non-integer values, a 2D
        image), or holds no region.
    """
    if img.ndim == 4:
        return list(range(img.shape[3]))
    if img.ndim != 3:
        raise ValueError(
            f"regions image {path} has shape {img.shape}: a 3D image of labels or a 4D "
            "image of region maps is needed"
        )
    data = np.asanyarray(img.dataobj)
    if not np.array_equal(data, np.round(data)):
        raise ValueError(
            f"regions image {path} is 3D but not integer labels: give a 3D image of "
            "labels (a deterministic atlas) or a 4D image of region maps"
        )
    indices = sorted(int(v) for v in np.unique(data) if v != 0)
    if not indices:
        raise ValueError(f"regions image {path} holds no label other than 0")
    return indices


def applied_regions_table(regions_img, indices, names=None):
    """Describe applied regions: label, size on the data's grid, centre.

    Parameters
    ----------
    regions_img : nibabel.nifti1.Nifti1Image
        From :func:`resample_regions`.
    indices : sequence of int
        The regions (label values, or volumes of the maps).
    names : dict of int to str or None, default=None
        Region names by index (:func:`read_region_names`); ``region<index>``
        for those it lacks.

    Returns
    -------
    pandas.DataFrame
        Columns ``region`` (label value or volume), ``component`` (empty:
        the regions were not learned), ``n_voxels`` on the data's grid,
        ``x, y, z`` (world mm: each region's centre as nilearn's
        ``find_parcellation_cut_coords`` or ``find_probabilistic_atlas_cut_coords``
        finds it; empty for a region the grid leaves empty) and ``label``.
    """
    from nilearn.plotting import (
        find_parcellation_cut_coords,
        find_probabilistic_atlas_cut_coords,
    )

    data = np.asanyarray(regions_img.dataobj)
    coords = np.full((len(indices), 3), np.nan)
    if data.ndim == 3:
        sizes = np.array([np.count_nonzero(data == index) for index in indices])
        present = sizes > 0
        if present.any():
            found, found_labels = find_parcellation_cut_coords(regions_img, return_label_names=True)
            where = {int(label): xyz for label, xyz in zip(found_labels, found, strict=True)}
            coords = np.array([where.get(int(i), [np.nan] * 3) for i in indices], dtype=float)
    else:
        sizes = np.count_nonzero(data, axis=(0, 1, 2))
        present = sizes > 0
        if present.any():
            import nibabel as nib

            kept = nib.Nifti1Image(data[..., present], regions_img.affine)
            coords[present] = np.asarray(find_probabilistic_atlas_cut_coords(kept)).reshape(-1, 3)
    names = names or {}
    return pd.DataFrame(
        {
            "region": list(indices),
            "component": pd.array([pd.NA] * len(indices), dtype="Int64"),
            "n_voxels": sizes,
            "x": coords[:, 0],
            "y": coords[:, 1],
            "z": coords[:, 2],
            "label": [names.get(int(i), f"region{int(i):03d}") for i in indices],
        }
    )
