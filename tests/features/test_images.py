"""File patterns of a folder of fields: one '*', a {field} placeholder, a regex."""

from __future__ import annotations

import numpy as np
import pytest

from napari_cne.features.images import field_regex, find_sources


@pytest.fixture
def plate(tmp_path):
    """A plate's file names: well and site, a channel, a random acquisition id."""
    for i, (well, site) in enumerate([("A01", 1), ("A01", 2), ("B12", 1)]):
        stem = f"Plate1_{well}_s{site}"
        np.save(tmp_path / f"{stem}_labels.npy", np.zeros((4, 4), int))
        np.save(tmp_path / f"{stem}_w1_{1000 + 7 * i:X}.npy", np.zeros((4, 4)))
        np.save(tmp_path / f"{stem}_w2_{2000 + 3 * i:X}.npy", np.zeros((4, 4)))
    return tmp_path


def test_a_field_placeholder_with_wildcards_pairs_real_plate_names(plate):
    sources = find_sources(
        plate,
        "Plate1_{field}_labels.npy",
        channels={"DNA": "Plate1_{field}_w1_*.npy", "actin": "Plate1_{field}_w2_*.npy"},
    )
    assert [s.name for s in sources] == ["A01_s1", "A01_s2", "B12_s1"]
    assert sources[2].images["DNA"].name.startswith("Plate1_B12_s1_w1_")
    assert sources[2].images["actin"].name.startswith("Plate1_B12_s1_w2_")


def test_a_regular_expression_names_the_field_by_its_group(plate):
    sources = find_sources(
        plate,
        r"re:Plate1_(?P<field>[A-P]\d\d_s\d)_labels\.npy",
        channels={"DNA": r"re:Plate1_(?P<field>\w+?)_w1_[0-9A-F]+\.npy"},
    )
    assert [s.name for s in sources] == ["A01_s1", "A01_s2", "B12_s1"]


def test_one_star_still_works_and_bad_patterns_say_what_is_wanted(plate):
    assert len(find_sources(plate, "*_labels.npy")) == 3
    assert field_regex("*_labels.tif").fullmatch("w3_labels.tif")["field"] == "w3"
    for bad, said in [
        ("labels.tif", "'{field}'"),
        ("*_*_labels.tif", "'{field}'"),
        ("re:Plate1_(.*)", "(?P<field>"),
        ("re:(", "no regular expression"),
        ("{field}_{field}.tif", "more than one"),
    ]:
        with pytest.raises(ValueError, match=re_escape(said)):
            field_regex(bad)
    # a pattern that fits two files of one field is refused, not guessed
    with pytest.raises(ValueError, match="narrower"):
        find_sources(
            plate, "Plate1_{field}_labels.npy", channels={"x": "Plate1_{field}_*.npy"}
        )


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_the_foreground_of_an_image_is_its_bright_part_also_lazily():
    import dask.array as da

    from napari_cne.features.pixels import foreground_mask

    yy, xx = np.mgrid[0:120, 0:100]
    gradient = xx / 100.0  # an illumination gradient behind the specimen
    blob = (yy - 60) ** 2 + (xx - 50) ** 2 < 30**2
    image = np.stack([gradient + 3.0 * blob, gradient + 2.0 * blob])
    image[0, 0, 0] = np.nan
    fg = foreground_mask(image, channel_axis=0)
    assert fg.shape == (120, 100) and fg.dtype == bool
    assert (fg == blob).mean() > 0.99 and not fg[0, 0]
    lazy = foreground_mask(da.from_array(image, chunks=(1, 40, 40)), channel_axis=0)
    np.testing.assert_array_equal(lazy, fg)
    with pytest.raises(ValueError, match="one value"):
        foreground_mask(np.ones((10, 10)), channel_axis=None)
