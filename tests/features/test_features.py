import warnings

import numpy as np
import pandas as pd
import pytest

from napari_cne.features import (
    INTENSITY_STATS,
    SHAPE_FEATURES,
    SHAPE_FEATURES_3D,
    feature_matrix,
    object_features,
    pixel_features,
    pixel_mask,
    pixel_rows,
    read_table,
)


@pytest.fixture
def tiny():
    labels = np.zeros((6, 8), np.uint16)
    labels[1:3, 1:4] = 2  # 2 x 3 rectangle, id 2
    labels[4, 5] = 7  # single pixel, id 7
    image = np.arange(48, dtype=np.uint8).reshape(6, 8)
    return labels, image


def test_exact_values(tiny):
    labels, image = tiny
    df = object_features(labels, {"dna": image})
    assert list(df["label"]) == [2, 7]
    expected = ["label", *SHAPE_FEATURES] + [f"dna_{s}" for s in INTENSITY_STATS]
    assert list(df.columns) == expected
    rect = image[1:3, 1:4].astype(float)  # 9 10 11 / 17 18 19
    row = df.iloc[0]
    assert row["area"] == 6
    assert row["extent"] == pytest.approx(1.0)
    assert row["solidity"] == pytest.approx(1.0)
    assert row["dna_mean"] == pytest.approx(rect.mean()) == pytest.approx(14.0)
    assert row["dna_median"] == pytest.approx(14.0)
    assert row["dna_std"] == pytest.approx(rect.std())
    assert row["dna_min"] == 9
    assert row["dna_max"] == 19
    assert row["dna_integrated"] == pytest.approx(rect.sum()) == pytest.approx(84.0)
    assert row["major_axis_length"] > row["minor_axis_length"] > 0
    assert 0 < row["eccentricity"] < 1
    px = df.iloc[1]
    assert px["area"] == 1
    assert px["dna_mean"] == image[4, 5] == px["dna_integrated"]
    assert px["dna_std"] == 0
    assert px["eccentricity"] == 0


def test_channels_list_single_array_and_spacing(tiny):
    labels, image = tiny
    df = object_features(labels, [image, image * 2])
    assert {"ch0_mean", "ch1_mean"} <= set(df.columns)
    assert np.allclose(df["ch1_mean"], 2 * df["ch0_mean"])
    df = object_features(labels, image)
    assert "intensity_max" in df.columns
    df = object_features(labels, None, spacing=0.5)
    assert df["area"].tolist() == [1.5, 0.25]
    assert list(df.columns) == ["label", *SHAPE_FEATURES]
    with pytest.warns(UserWarning, match="perimeter"):
        df = object_features(labels, None, spacing=(2.0, 1.0))
    assert df["area"].tolist() == [12.0, 2.0]


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.zeros((5, 5), int), "no objects"),
        (np.ones((5, 5), float), "integer"),
        (np.ones((5, 5), bool), "integer"),
        (
            np.ones((2, 3, 5, 5), int),
            r"2-D \(y, x\) or 3-D.*shape \(2, 3, 5, 5\).*time_axis",
        ),
        (np.ones(5, int), "2-D"),
        (-np.ones((5, 5), int), "negative"),
    ],
)
def test_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        object_features(labels)


def test_bad_images(tiny):
    labels, image = tiny
    with pytest.raises(ValueError, match=r"shape \(6, 7\).*labels have shape"):
        object_features(labels, {"dna": image[:, :7]})
    with pytest.raises(ValueError, match="numeric"):
        object_features(labels, {"dna": image.astype(str)})
    with pytest.raises(TypeError, match="dict"):
        object_features(labels, "dna")
    with pytest.raises(ValueError, match="spacing"):
        object_features(labels, spacing=(0, 1))


def test_feature_matrix():
    df = pd.DataFrame(
        {
            "label": [1, 2, 3, 4, 5],
            "a": [1.0, 2.0, 3.0, np.nan, 5.0],
            "b": [2.0, 2.0, 2.0, 2.0, 2.0],  # constant: dropped
            "c": [0, 1, 0, 1, 0],
            "name": list("vwxyz"),
        }
    )
    with pytest.warns(UserWarning, match=r"1 of 5 rows .* \(in 'a'\)"):
        X, kept, used = feature_matrix(df)
    assert used == ["a", "c"]
    assert kept.tolist() == [True, True, True, False, True]
    assert X.dtype == np.float32 and X.shape == (4, 2)
    assert np.allclose(X.mean(0), 0, atol=1e-6) and np.allclose(X.std(0), 1)
    with pytest.warns(UserWarning, match="left out"):
        X, _, _ = feature_matrix(df, ["a"], standardize=False)
    assert X[:, 0].tolist() == [1, 2, 3, 5]
    with pytest.raises(ValueError, match="not numeric"):
        feature_matrix(df, ["name"])
    with pytest.raises(ValueError, match="constant"):
        feature_matrix(df, ["b"])
    with pytest.raises(ValueError, match="not in the table"):
        feature_matrix(df, ["zzz"])
    with pytest.raises(ValueError, match="at least 3"):
        feature_matrix(df.iloc[:2], ["a"])


# ---------------------------------------------------------------- 3-D labels


def _box_surface(n, s):
    """Exact marching-cubes (level 0.5) area of an a x b x c voxel box.

    Flat faces, 45-degree chamfers along the 12 edges, a triangle at each of
    the 8 corners; ``s`` is the voxel size per axis.
    """
    (a, b, c), (sa, sb, sc) = n, s
    flat = 2 * ((a - 1) * sa * (b - 1) * sb + (b - 1) * sb * (c - 1) * sc)
    flat += 2 * (a - 1) * sa * (c - 1) * sc
    edges = 2 * (a - 1) * sa * np.hypot(sb, sc) + 2 * (b - 1) * sb * np.hypot(sa, sc)
    edges += 2 * (c - 1) * sc * np.hypot(sa, sb)
    corners = np.sqrt((sb * sc) ** 2 + (sa * sc) ** 2 + (sa * sb) ** 2)
    return flat + edges + corners


@pytest.fixture
def tiny3d():
    labels = np.zeros((7, 5, 6), np.uint16)
    labels[1:6, 1:4, 2:4] = 3  # 5 x 3 x 2 box = 30 voxels, id 3
    labels[6, 0, 0] = 9  # single voxel, id 9
    image = np.arange(labels.size, dtype=np.float32).reshape(labels.shape)
    return labels, image


def test_3d_exact_values(tiny3d):
    labels, image = tiny3d
    df = object_features(labels, {"dna": image})
    expected = ["label", *SHAPE_FEATURES_3D] + [f"dna_{s}" for s in INTENSITY_STATS]
    assert list(df.columns) == expected
    assert "perimeter" not in df.columns and "eccentricity" not in df.columns
    assert df["label"].tolist() == [3, 9]
    box = image[1:6, 1:4, 2:4].astype(float)
    row = df.iloc[0]
    assert row["volume"] == 30
    assert row["dna_mean"] == pytest.approx(box.mean())
    assert row["dna_integrated"] == pytest.approx(box.sum())
    assert row["dna_median"] == pytest.approx(np.median(box))
    assert row["dna_min"] == box.min() and row["dna_max"] == box.max()
    assert row["extent"] == 1 and row["solidity"] == 1
    # moments of a box: variance of n voxels is (n^2 - 1) / 12 per axis;
    # major = sqrt(20 var_max), minor = sqrt(20 var_min)
    assert row["major_axis_length"] == pytest.approx(np.sqrt(20 * 24 / 12))
    assert row["minor_axis_length"] == pytest.approx(np.sqrt(20 * 3 / 12))
    assert row["equivalent_diameter"] == pytest.approx((6 * 30 / np.pi) ** (1 / 3))
    assert row["surface_area"] == pytest.approx(_box_surface((5, 3, 2), (1, 1, 1)))
    voxel = df.iloc[1]
    assert voxel["volume"] == 1 and voxel["solidity"] == 1
    assert voxel["surface_area"] == pytest.approx(np.sqrt(3))
    assert voxel["dna_mean"] == image[6, 0, 0] == voxel["dna_integrated"]
    assert voxel["major_axis_length"] == 0


def test_3d_anisotropic_spacing(tiny3d):
    labels, _ = tiny3d
    sp = (2.0, 0.5, 0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no perimeter warning in 3-D
        df = object_features(labels, spacing=sp)
    row = df.iloc[0]
    assert df["volume"].tolist() == [30 * 0.25, 0.25]
    var = [s**2 * (n**2 - 1) / 12 for n, s in zip((5, 3, 2), sp, strict=True)]
    assert row["major_axis_length"] == pytest.approx(np.sqrt(20 * max(var)))
    assert row["minor_axis_length"] == pytest.approx(np.sqrt(20 * min(var)))
    assert row["surface_area"] == pytest.approx(_box_surface((5, 3, 2), sp))
    assert row["equivalent_diameter"] == pytest.approx((6 * 7.5 / np.pi) ** (1 / 3))
    assert row["extent"] == 1 and row["solidity"] == 1
    # a scalar spacing scales volume by s^3, lengths by s, surface by s^2
    iso = object_features(labels, spacing=1.0)
    df2 = object_features(labels, spacing=2.0)
    assert np.allclose(df2["volume"], 8 * iso["volume"])
    assert np.allclose(df2["surface_area"], 4 * iso["surface_area"])
    assert np.allclose(df2["major_axis_length"], 2 * iso["major_axis_length"])


def test_3d_solidity_flat_and_matches_skimage():
    from skimage.morphology import convex_hull_image

    labels = np.zeros((3, 7, 7), np.int32)
    labels[1, 3, 1:6] = 1  # a plus sign one voxel thick: 9 voxels
    labels[1, 1:6, 3] = 1
    rng = np.random.default_rng(1)
    blob = ndimage_blob(rng, (12, 14, 13))
    big = np.zeros((14, 16, 15), np.int32)
    big[1:-1, 1:-1, 1:-1] = blob
    df = object_features(labels)
    # hull of the voxel centres pushed half a voxel: |dy| + |dx| <= 2.5 -> 13
    assert df["solidity"].tolist() == [pytest.approx(9 / 13)]
    expected = blob.sum() / convex_hull_image(blob).sum()
    assert object_features(big)["solidity"].iloc[0] == pytest.approx(expected)
    assert expected < 1


def ndimage_blob(rng, shape):
    from scipy import ndimage as ndi

    field = ndi.gaussian_filter(rng.random(shape), 2.0)
    lab, _ = ndi.label(field > np.quantile(field, 0.6))
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    return lab == sizes.argmax()


# ---------------------------------------------------------------- time-lapse


@pytest.fixture
def movie():
    labels = np.zeros((3, 6, 8), np.uint8)
    labels[0, 1:3, 1:3] = 1  # frame 0: id 1, 4 px
    labels[0, 4, 5:7] = 2  # frame 0: id 2, 2 px
    labels[2, 0:2, 4:7] = 1  # frame 2: id 1 again, 6 px; frame 1 is empty
    image = np.arange(labels.size, dtype=np.uint16).reshape(labels.shape)
    return labels, image


def test_time_lapse_2d(movie):
    labels, image = movie
    df = object_features(labels, {"dna": image}, time_axis=0)
    assert list(df.columns[:3]) == ["label", "frame", "area"]
    assert df["label"].tolist() == [1, 2, 1]
    assert df["frame"].tolist() == [0, 0, 2]
    assert df["frame"].dtype == np.int64
    assert df["area"].tolist() == [4, 2, 6]
    assert df["dna_integrated"].tolist() == [
        image[0, 1:3, 1:3].sum(),
        image[0, 4, 5:7].sum(),
        image[2, 0:2, 4:7].sum(),
    ]
    assert df["dna_mean"].iloc[2] == pytest.approx(image[2, 0:2, 4:7].mean())
    assert df.index.tolist() == [0, 1, 2]
    # time as the last axis, negative index: same table
    moved = object_features(
        np.moveaxis(labels, 0, -1), {"dna": np.moveaxis(image, 0, -1)}, time_axis=-1
    )
    pd.testing.assert_frame_equal(moved, df)
    # spacing: the spatial entries, or the full layer scale with the time entry
    full = object_features(labels, spacing=(10.0, 0.5, 0.5), time_axis=0)
    spatial = object_features(labels, spacing=(0.5, 0.5), time_axis=0)
    assert full["area"].tolist() == spatial["area"].tolist() == [1.0, 0.5, 1.5]


def test_time_lapse_3d():
    labels = np.zeros((2, 4, 5, 6), np.int32)
    labels[0, 0:2, 0:2, 0:2] = 5  # 8 voxels
    labels[0, 2:4, 3:5, 3:6] = 6  # 12 voxels
    labels[1, 1:4, 1:4, 1:4] = 5  # 27 voxels
    labels[1, 0, 0, 0] = 2  # 1 voxel
    df = object_features(labels, labels.astype(float), time_axis=0)
    assert list(df.columns[:3]) == ["label", "frame", "volume"]
    assert list(zip(df["frame"], df["label"], strict=True)) == [
        (0, 5),
        (0, 6),
        (1, 2),
        (1, 5),
    ]
    assert df["volume"].tolist() == [8, 12, 1, 27]
    assert df["intensity_integrated"].tolist() == [40, 72, 2, 135]
    df = object_features(labels, spacing=(1.0, 2.0, 1.0, 1.0), time_axis=0)
    assert df["volume"].tolist() == [16, 24, 2, 54]
    df = object_features(labels, time_axis=0, shape=False)
    assert list(df.columns) == ["label", "frame"]


@pytest.mark.parametrize(
    ("labels", "kwargs", "exc", "match"),
    [
        (np.ones((5, 5), int), {"time_axis": 0}, ValueError, r"after removing time"),
        (np.ones((2, 5, 5), int), {"time_axis": 3}, ValueError, "out of range"),
        (np.ones((2, 5, 5), int), {"time_axis": 0.0}, TypeError, "time_axis"),
        (np.zeros((3, 5, 5), int), {"time_axis": 0}, ValueError, "no objects"),
        (np.ones((2, 5, 5), int), {"spacing": (1, 1)}, ValueError, "3 spatial axes"),
        (
            np.ones((2, 5, 5), int),
            {"spacing": (1, 1, 1, 1), "time_axis": 0},
            ValueError,
            r"2 spatial axes \(plus time axis 0\)",
        ),
    ],
)
def test_bad_time_and_spacing(labels, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        object_features(labels, **kwargs)


def test_time_lapse_images_need_the_full_shape(movie):
    labels, image = movie
    with pytest.raises(ValueError, match=r"shape \(6, 8\) but labels have shape"):
        object_features(labels, {"dna": image[0]}, time_axis=0)


# ---------------------------------------------------------------- pixels


def test_pixel_features_rgb_and_columns():
    rgb = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    df = pixel_features(rgb, channel_axis=-1, channel_names=["r", "g", "b"])
    assert list(df.columns) == ["pixel", "y", "x", "r", "g", "b"]
    assert len(df) == 20
    assert df["pixel"].tolist() == list(range(20))
    assert (df["pixel"] == df["y"] * 4 + df["x"]).all()
    assert df["r"].dtype == np.uint8
    row = df.iloc[13]  # y = 3, x = 1
    assert (row["y"], row["x"]) == (3, 1)
    assert [row["r"], row["g"], row["b"]] == rgb[3, 1].tolist()
    # channels first (default), default names; single channel
    chw = np.moveaxis(rgb, -1, 0)
    pd.testing.assert_frame_equal(
        pixel_features(chw).rename(columns={"ch0": "r", "ch1": "g", "ch2": "b"}), df
    )
    single = pixel_features(rgb[..., 0], channel_axis=None)
    assert list(single.columns) == ["pixel", "y", "x", "ch0"]
    assert single["ch0"].tolist() == rgb[..., 0].ravel().tolist()


def test_pixel_features_3d_and_spacing():
    img = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    df = pixel_features(img, channel_axis=0, spacing=(2.0, 0.5, 0.25))
    assert list(df.columns) == [
        "pixel",
        *("z", "y", "x"),
        *("z_scaled", "y_scaled", "x_scaled"),
        *("ch0", "ch1"),
    ]
    assert len(df) == 60
    row = df.iloc[37]
    z, y, x = np.unravel_index(37, (3, 4, 5))
    assert (row["z"], row["y"], row["x"]) == (z, y, x)
    assert (row["z_scaled"], row["y_scaled"], row["x_scaled"]) == (
        2.0 * z,
        0.5 * y,
        0.25 * x,
    )
    assert row["ch1"] == img[1, z, y, x]
    assert df["x"].dtype == np.int64


def test_pixel_features_mask_and_subsample():
    rng = np.random.default_rng(0)
    img = rng.random((2, 40, 50))
    mask = rng.random((40, 50)) < 0.3
    n_in = int(mask.sum())
    df = pixel_features(img, mask=mask)
    assert len(df) == n_in
    assert df["pixel"].tolist() == np.flatnonzero(mask).tolist()
    sub = pixel_features(img, mask=mask, max_pixels=100, random_state=3)
    assert len(sub) == 100
    assert sub["pixel"].is_unique and sub["pixel"].is_monotonic_increasing
    assert mask.ravel()[sub["pixel"]].all()
    assert np.array_equal(sub["ch0"], img[0].ravel()[sub["pixel"]])
    again = pixel_features(img, mask=mask, max_pixels=100, random_state=3)
    pd.testing.assert_frame_equal(sub, again)
    other = pixel_features(img, mask=mask, max_pixels=100, random_state=4)
    assert not np.array_equal(other["pixel"], sub["pixel"])
    # no mask; more pixels allowed than there are: all of them
    sub = pixel_features(img, max_pixels=7, random_state=0)
    assert len(sub) == 7 and sub["pixel"].is_monotonic_increasing
    assert len(pixel_features(img, mask=mask, max_pixels=10**6)) == n_in


def test_pixel_round_trip():
    rng = np.random.default_rng(0)
    img = rng.random((3, 16, 20))
    mask = rng.random((16, 20)) < 0.5
    df = pixel_features(img, mask=mask, max_pixels=90, random_state=1)
    rows = np.sort(rng.choice(len(df), 25, replace=False))
    # row -> pixel -> row, through a painted mask image
    painted = pixel_mask(df.iloc[rows], (16, 20))
    assert painted.shape == (16, 20) and painted.sum() == 25
    assert pixel_rows(df, painted).tolist() == rows.tolist()
    # ... through flat indices, and through an integer (Labels-like) painting
    flat = df["pixel"].to_numpy()[rows]
    assert pixel_rows(df, flat).tolist() == rows.tolist()
    assert pixel_rows(df["pixel"], painted.astype(np.uint8) * 2).tolist() == (
        rows.tolist()
    )
    # pixel -> row -> pixel
    assert np.array_equal(
        pixel_mask(df.iloc[pixel_rows(df, painted)], (16, 20)), painted
    )
    # painting outside the sampled pixels selects nothing
    outside = pixel_mask(np.array([0]), (16, 20)) & ~pixel_mask(df, (16, 20))
    assert pixel_rows(df, outside).size == 0
    with pytest.raises(ValueError, match=r"0 \.\. 319"):
        pixel_mask(np.array([320]), (16, 20))
    with pytest.raises(ValueError, match="only 20 pixels"):
        pixel_rows(df, np.ones((4, 5), bool))
    with pytest.raises(ValueError, match="'pixel' column"):
        pixel_mask(pd.DataFrame({"a": [1]}), (2, 2))


@pytest.mark.parametrize(
    ("image", "kwargs", "match"),
    [
        (np.zeros((3, 4, 5)), {"channel_axis": 3}, r"channel_axis=3 is out of range"),
        (np.zeros((3, 4, 5)), {"mask": np.ones((5, 4), bool)}, r"mask has shape"),
        (np.zeros((3, 4, 5)), {"mask": np.zeros((4, 5), bool)}, "no pixel"),
        (np.zeros((3, 4, 5)).astype(str), {}, "numeric"),
        (np.zeros((3, 4)), {}, "2-D or 3-D per channel"),
        (np.zeros((3, 4, 5)), {"channel_names": ["a", "b"]}, "2 channel names"),
        (np.zeros((2, 4, 5)), {"channel_names": ["a", "a"]}, "unique"),
        (np.zeros((1, 4, 5)), {"channel_names": ["x"]}, "differ from"),
        (np.zeros((3, 4, 5)), {"max_pixels": 0}, "at least 1"),
    ],
)
def test_pixel_features_errors(image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pixel_features(image, **kwargs)


# ---------------------------------------------------------------- read_table


@pytest.fixture
def table():
    return pd.DataFrame(
        {"label": [1, 2, 3], "area": [10.5, 20.0, 30.25], "n": [4, 5, 6]}
    )


@pytest.mark.parametrize(
    ("name", "sep"),
    [("t.csv", ","), ("t.tsv", "\t"), ("t.TAB", "\t"), ("t.txt", ";"), ("w.txt", " ")],
)
def test_read_table_text(tmp_path, table, name, sep):
    path = tmp_path / name
    table.to_csv(path, sep=sep, index=False)
    pd.testing.assert_frame_equal(read_table(path), table)
    got = read_table(str(path), columns=["n", "area"])
    pd.testing.assert_frame_equal(got, table[["n", "area"]])


def test_read_table_npy_and_compressed(tmp_path, table):
    arr = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "m.npy", arr)
    df = read_table(tmp_path / "m.npy")
    assert list(df.columns) == ["f0", "f1", "f2"]
    assert np.array_equal(df.to_numpy(), arr)
    rec = np.zeros(3, dtype=[("area", "f8"), ("label", "i4")])
    rec["label"] = [1, 2, 3]
    np.save(tmp_path / "r.npy", rec)
    assert read_table(tmp_path / "r.npy")["label"].tolist() == [1, 2, 3]
    table.to_csv(tmp_path / "t.csv.gz", index=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.csv.gz"), table)
    table.to_csv(tmp_path / "t.txt.bz2", sep="\t", index=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.txt.bz2"), table)


def test_read_table_txt_guessing(tmp_path):
    (tmp_path / "one.txt").write_text("area\n1\n2\n3\n")
    assert read_table(tmp_path / "one.txt").to_dict("list") == {"area": [1, 2, 3]}
    (tmp_path / "ws.txt").write_text("a  b\tc\n1 2  3\n4 5\t6\n")
    df = read_table(tmp_path / "ws.txt")
    assert df.to_dict("list") == {"a": [1, 4], "b": [2, 5], "c": [3, 6]}


def test_read_table_parquet(tmp_path, table):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        (tmp_path / "t.parquet").write_bytes(b"PAR1 not really")
        with pytest.raises(ImportError, match=r"needs the package 'pyarrow'.*pip"):
            read_table(tmp_path / "t.parquet")
    else:
        table.to_parquet(tmp_path / "t.parquet")
        pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), table)


def test_read_table_errors(tmp_path, table):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(ValueError, match=r"unknown file type '\.xlsx'.*\.csv"):
        read_table(tmp_path / "t.xlsx")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_table(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="no rows"):
        read_table(tmp_path / "h.csv")
    (tmp_path / "blank.tsv").write_text("\n\n")
    with pytest.raises(ValueError, match="no table"):
        read_table(tmp_path / "blank.tsv")
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match=r"\['zzz'\] are not in t.csv.*'area'"):
        read_table(tmp_path / "t.csv", columns=["area", "zzz"])
    np.save(tmp_path / "v.npy", np.zeros(3))
    with pytest.raises(ValueError, match="2-D"):
        read_table(tmp_path / "v.npy")
    with pytest.raises(ValueError, match="directory"):
        read_table(tmp_path)


# ---------------------------------------------------------------- log, NaN warning


def test_feature_matrix_log():
    df = pd.DataFrame(
        {"a": [0.0, 1.0, 3.0, 7.0], "b": [1.0, 2.0, 4.0, 8.0], "c": [-1.0, 0, 1, 2]}
    )
    X, kept, used = feature_matrix(df, ["a", "b"], standardize=False, log=["a"])
    assert used == ["a", "b"] and kept.all()
    assert np.array_equal(X[:, 0], np.log1p([0.0, 1.0, 3.0, 7.0]).astype(np.float32))
    assert X[:, 1].tolist() == [1, 2, 4, 8]
    X, _, _ = feature_matrix(df, ["a", "b"], standardize=False, log=True)
    assert np.allclose(X, np.log1p(df[["a", "b"]].to_numpy()))
    X, _, _ = feature_matrix(df, ["a"], log="a")  # one name, then z-scored
    z = np.log1p(df["a"].to_numpy())
    assert np.allclose(X[:, 0], (z - z.mean()) / z.std(), atol=1e-6)
    with pytest.raises(ValueError, match=r"log columns \['c'\] have negative"):
        feature_matrix(df, log=["a", "c"])
    with pytest.raises(ValueError, match=r"\['zzz'\] are not among the chosen"):
        feature_matrix(df, ["a"], log=["zzz"])


def test_feature_matrix_warns_about_dropped_rows():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.random((313, 3)), columns=["a", "b", "c"])
    df.loc[[3, 50, 51], "a"] = np.nan
    df.loc[[50, 200], "b"] = np.inf
    with pytest.warns(
        UserWarning, match=r"^4 of 313 rows .* \(in 'a', 'b'\) .*left out"
    ):
        X, kept, _ = feature_matrix(df)
    assert int((~kept).sum()) == 4 and X.shape == (309, 3)
    assert np.flatnonzero(~kept).tolist() == [3, 50, 51, 200]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # complete columns: silent
        feature_matrix(df, ["c"])
