"""regions_connectome.regions: region extraction."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.image import resample_img

from helpers import NILEARN_FLOAT32_ATOL, SIGNAL_PARAMS, timeseries_of
from regions_connectome.regions import (
    applied_regions_table,
    extract_regions,
    load_regions_image,
    match_region_names,
    read_region_names,
    region_indices,
    region_labels,
    regions_table,
    resample_regions,
)


def test_regions_split_a_bilateral_network(planted):
    _, networks, blobs = planted
    regions_img, index = extract_regions(
        networks, {"threshold": 0.5, "extractor": "connected_components", "min_region_size": 1350}
    )
    # each network is three separate blobs: several regions each
    counts = np.bincount(index, minlength=4)
    assert (counts >= 2).all() and (counts <= 3).all(), counts
    table = regions_table(regions_img, index)
    assert table["label"].tolist() == region_labels(table["region"], table["component"])


def test_no_region_surviving_is_a_clear_error(planted):
    _, networks, _ = planted
    with pytest.raises(ValueError, match="no region survived"):
        extract_regions(networks, {"threshold": 0.5, "min_region_size": 1e9})


AAL = Path("/usr/share/mricron/templates/aal.nii.gz")


@pytest.fixture(scope="module")
def atlas_files(tmp_path_factory, planted):
    """A 3D labels atlas and 4D maps on a 4 mm grid, and the 6 mm data grid."""
    folder = tmp_path_factory.mktemp("atlas")
    mask, networks, _ = planted
    data_img = nib.Nifti1Image(np.zeros(mask.shape + (2,), np.float32), mask.affine)
    reference = folder / "bold.nii.gz"
    nib.save(data_img, reference)
    fine = resample_img(
        networks, target_affine=np.diag([4.0, 4, 4]), interpolation="continuous",
        force_resample=True, copy_header=True,
    )  # fmt: skip
    maps = np.asarray(fine.dataobj)
    labels = np.where(maps.max(axis=3) > 0.3, 10 * (maps.argmax(axis=3) + 1), 0)
    # label 99: one 4 mm voxel that no 6 mm voxel centre falls in (nothing of
    # it is left on the data's grid)
    centres = np.indices(mask.shape).reshape(3, -1)
    world = mask.affine[:3, :3] @ centres + mask.affine[:3, 3:]
    sampled = np.round(np.linalg.inv(fine.affine[:3, :3]) @ (world - fine.affine[:3, 3:]))
    hit = np.zeros(labels.shape, dtype=bool)
    inside = ((sampled >= 0) & (sampled < np.array(labels.shape)[:, None])).all(axis=0)
    hit[tuple(sampled[:, inside].astype(int))] = True
    labels[tuple(np.argwhere(~hit & (labels > 0))[0])] = 99
    labels_file, maps_file = folder / "labels.nii.gz", folder / "maps.nii.gz"
    nib.save(nib.Nifti1Image(labels.astype(np.int16), fine.affine), labels_file)
    nib.save(fine, maps_file)
    return reference, labels_file, maps_file


@pytest.mark.parametrize("kind", ["labels", "maps"])
def test_applied_regions_give_nilearns_timeseries(atlas_files, subject, kind):
    """Regions on another grid: resampled once, then extracted as nilearn does.

    nilearn's NiftiLabelsMasker / NiftiMapsMasker with resampling_target="data".
    """
    from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker

    img, confounds, _, _ = subject
    reference, labels_file, maps_file = atlas_files
    source = labels_file if kind == "labels" else maps_file
    regions, indices = resample_regions(source, reference)
    support = np.asarray(regions.dataobj) != 0
    support = support.any(axis=3) if support.ndim == 4 else support
    mask_img = nib.Nifti1Image(support.astype(np.uint8), img.affine)
    ours, coverage = timeseries_of(img, mask_img, regions, confounds.to_numpy(), indices=indices)
    masker_class = NiftiLabelsMasker if kind == "labels" else NiftiMapsMasker
    masker = masker_class(str(source), resampling_target="data", **SIGNAL_PARAMS)
    expected = masker.fit_transform(img, confounds=confounds.to_numpy())
    if kind == "labels":  # label 99 has no voxel left at 6 mm: n/a, nilearn drops it
        assert indices[-1] == 99 and coverage[-1] == 0 and np.isnan(ours[:, -1]).all()
        ours = ours[:, :-1]
    np.testing.assert_allclose(ours, expected, atol=NILEARN_FLOAT32_ATOL)


def test_the_table_names_regions_and_keeps_those_the_grid_loses(atlas_files, tmp_path):
    reference, labels_file, _ = atlas_files
    names_file = tmp_path / "names.tsv"
    names_file.write_text("index\tname\n10\tvisual\n20\tmotor\n99\tcorner\n")
    img, indices = resample_regions(labels_file, reference)
    table = applied_regions_table(img, indices, read_region_names(names_file))
    assert table["label"].tolist() == ["visual", "motor", "region030", "region040", "corner"]
    corner = table.set_index("label").loc["corner"]
    assert corner["n_voxels"] == 0 and pd.isna(corner["x"])
    assert (table["n_voxels"][:4] > 0).all() and np.isfinite(table[["x", "y", "z"]][:4]).all().all()


def test_region_names_in_every_form(tmp_path):
    bids = tmp_path / "atlas_dseg.tsv"
    bids.write_text("index\tname\tcolor\n1\tPrecentral_L\t#ff0000\n2\tPrecentral_R\t#00ff00\n")
    lut = tmp_path / "aal.nii.txt"
    lut.write_text("1 Precentral_L 2001\n2 Precentral_R 2002\n")
    ordered = tmp_path / "maps.csv"
    ordered.write_text("name\nDMN\nvisual\n")
    ours = tmp_path / "regions.tsv"
    ours.write_text("region\tcomponent\tn_voxels\tx\ty\tz\tlabel\n0\t0\t9\t1\t2\t3\tr00_c0\n")
    expected = {1: "Precentral_L", 2: "Precentral_R"}
    assert read_region_names(bids) == expected == read_region_names(lut)
    assert read_region_names(ordered) == {0: "DMN", 1: "visual"}
    assert read_region_names(ours) == {0: "r00_c0"}
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tlabel_name\n1\tx\n")
    with pytest.raises(ValueError, match="has no 'name' column"):
        read_region_names(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # FSL / FSLeyes lookup table: index, colour as three floats, name with spaces
        ("1 0.50 0.20 0.10 Frontal Pole\n2 1.0 0.0 0.0 Insular Cortex\n",
         {1: "Frontal Pole", 2: "Insular Cortex"}),
        # FreeSurfer's ColorLUT: comments, index, name, R G B A
        ("#No. Label Name:  R G B A\n\n2  Left-Cerebral-White-Matter  245 245 245 0\n"
         "3  Left-Cerebral-Cortex  205 62  78  0\n",
         {2: "Left-Cerebral-White-Matter", 3: "Left-Cerebral-Cortex"}),
        # index<TAB>name without a header, names with spaces
        ("1\tLeft Frontal Pole\n2\tRight Frontal Pole\n",
         {1: "Left Frontal Pole", 2: "Right Frontal Pole"}),
        # MRIcron's AAL table: index, name, code
        ("1 Precentral_L 2001\n2 Precentral_R 2002\n", {1: "Precentral_L", 2: "Precentral_R"}),
    ],
)  # fmt: skip
def test_lookup_tables_users_have_give_whole_names(tmp_path, text, expected):
    path = tmp_path / "atlas.lut"
    path.write_text(text)
    assert read_region_names(path) == expected


def test_names_are_matched_to_the_image_not_guessed(tmp_path):
    one_based = {1: "DMN", 2: "visual", 3: "motor"}
    assert match_region_names(one_based, [0, 1, 2], True, "maps.tsv") == {
        0: "DMN", 1: "visual", 2: "motor"
    }  # fmt: skip
    zero_based = {0: "DMN", 1: "visual", 2: "motor"}
    assert match_region_names(zero_based, [0, 1, 2], True, "maps.tsv") == zero_based
    # labels keep their own values
    assert match_region_names(one_based, [1, 2, 3], False, "dseg.tsv") == one_based
    with pytest.raises(ValueError, match=r"names regions \[4\] that the image does not have"):
        match_region_names({1: "a", 4: "b"}, [1, 2, 3], False, "dseg.tsv")
    with pytest.raises(ValueError, match=r"volumes 0 to 1 \(or 1 to 2\)"):
        match_region_names(one_based, [0, 1], True, "maps.tsv")


def test_labels_saved_with_a_time_axis_are_read_as_labels(atlas_files, tmp_path):
    """(x, y, z, 1) of integers: labels, as NiftiLabelsMasker reads them."""
    from nilearn.maskers import NiftiLabelsMasker

    reference, labels_file, _ = atlas_files
    img = nib.load(labels_file)
    four_d = tmp_path / "labels_4d.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj)[..., None], img.affine), four_d)
    loaded = load_regions_image(four_d)
    assert loaded.ndim == 3 and region_indices(loaded, four_d) == [10, 20, 30, 40, 99]
    ours, _ = resample_regions(four_d, reference)
    theirs, _ = resample_regions(labels_file, reference)
    np.testing.assert_array_equal(ours.get_fdata(), theirs.get_fdata())
    masker = NiftiLabelsMasker(str(four_d)).fit()
    assert masker.n_elements_ == len(region_indices(loaded, four_d))


def test_an_image_that_is_no_regions_is_refused(atlas_files, tmp_path):
    reference, labels_file, _ = atlas_files
    img = nib.load(labels_file)
    probability = tmp_path / "probability.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj) / 7.0, img.affine), probability)
    with pytest.raises(ValueError, match="is 3D but not integer labels"):
        resample_regions(probability, reference)
    far = tmp_path / "far.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), img.affine @ _shift(1000)), far)
    with pytest.raises(ValueError, match="does not overlap the data's field of view"):
        resample_regions(far, reference)


def _shift(mm):
    shift = np.eye(4)
    shift[:3, 3] = mm
    return shift


def test_aal_from_debian_applies_with_its_names(atlas_files):
    """The AAL atlas as Debian's mricron-data ships it, with its lookup table."""
    reference, _, _ = atlas_files
    img, indices = resample_regions(AAL, reference)
    names = read_region_names(AAL.with_suffix("").with_suffix(".nii.txt"))
    table = applied_regions_table(img, indices, names)
    assert len(table) == 116 and table["label"].iloc[0] == "Precentral_L"
    assert table["label"].is_unique and (table["n_voxels"] > 0).sum() > 100
