import numpy as np
import pandas as pd
import pytest

from napari_cne.features import (
    INTENSITY_STATS,
    SHAPE_FEATURES,
    feature_matrix,
    object_features,
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
        (np.ones((3, 5, 5), int), "2-D"),
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
    X, kept, used = feature_matrix(df)
    assert used == ["a", "c"]
    assert kept.tolist() == [True, True, True, False, True]
    assert X.dtype == np.float32 and X.shape == (4, 2)
    assert np.allclose(X.mean(0), 0, atol=1e-6) and np.allclose(X.std(0), 1)
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
