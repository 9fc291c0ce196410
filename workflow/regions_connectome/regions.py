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
    from nilearn.regions import RegionExtractor

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


def regions_masker(regions_img, params):
    """The masker RegionExtractor uses to extract timeseries from regions.

    Parameters
    ----------
    regions_img : Niimg-like
        4D regions image.
    params : dict
        RegionExtractor signal parameters (``smoothing_fwhm``,
        ``standardize``, ``standardize_confounds``, ``detrend``, ``low_pass``,
        ``high_pass``, ``t_r``); missing keys take RegionExtractor's defaults.

    Returns
    -------
    nilearn.maskers.NiftiMapsMasker
        Fitted, with RegionExtractor's defaults (no mask, maps resampled to
        the data).
    """
    from nilearn.maskers import NiftiMapsMasker

    defaults = {"smoothing_fwhm": 6, "standardize": False, "detrend": False}
    kwargs = defaults | _kwargs(params, MASKER_KEYS)
    masker = NiftiMapsMasker(regions_img, resampling_target="data", **kwargs)
    return masker.fit()
