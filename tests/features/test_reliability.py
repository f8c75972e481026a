"""The bad-input matrix (docs/reliability.md) for the feature tables.

NaN pixels, 3-D and time-lapse labels, every image and label dtype, sparse
and huge label ids: a clear message or a correct table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.features import feature_matrix, object_features

from .._data import make_movie, make_stack
from .._scripts import crash_report, run_script

N_OBJ = 64
IMAGE_DTYPES = [np.uint8, np.uint16, np.int32, np.int64, np.float32, np.float64, bool]


def test_nan_pixels_spoil_only_their_objects(objects):
    labels, image = objects
    image = image.copy()
    image[labels == 5] = np.nan
    image[labels == 9] = np.inf
    before = image.copy()
    df = object_features(labels, {"dna": image})
    np.testing.assert_array_equal(image, before)
    bad = df["label"].isin([5, 9]).to_numpy()
    assert not np.isfinite(df.loc[bad, "dna_mean"]).any()
    assert np.isfinite(df.loc[~bad].drop(columns="label").to_numpy()).all()
    with pytest.warns(UserWarning, match=r"2 of 64 rows .*'dna_mean'.*left out"):
        X, kept, _ = feature_matrix(df)
    assert kept.tolist() == (~bad).tolist() and X.shape[0] == 62


def test_all_rows_missing_names_the_culprit_columns():
    df = pd.DataFrame({"area": np.arange(10.0), "dna_mean": np.full(10, np.nan)})
    with pytest.raises(ValueError, match="0 of 10 rows") as err:
        feature_matrix(df, ["area", "dna_mean"])
    # the user must learn which column (image) to leave out
    assert "dna_mean" in str(err.value)
    # by default (the widget's and the command line's rule) an empty column
    # is no feature, and a warning says so
    with pytest.warns(UserWarning, match="'dna_mean' have no values"):
        X, kept, used = feature_matrix(df)
    assert used == ["area"] and kept.all()


def test_features_3d_and_time_lapse_rows():
    lab, image = make_stack()
    df = object_features(lab, {"c": image})
    assert len(df) == 16 and "volume" in df.columns and "frame" not in df.columns
    movie, mimage = make_movie()
    df = object_features(movie, {"c": mimage}, time_axis=0)
    assert len(df) == 9 + 7 + 8
    assert df.groupby("frame").size().tolist() == [9, 7, 8]


@pytest.mark.parametrize("dtype", IMAGE_DTYPES, ids=lambda d: np.dtype(d).name)
def test_features_image_dtypes(objects, dtype):
    labels, _ = objects
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 200, labels.shape)
    image = (raw > 100) if dtype is bool else raw.astype(dtype)
    before = image.copy()
    df = object_features(labels, {"c": image})
    np.testing.assert_array_equal(image, before)
    ref = object_features(labels, {"c": image.astype(np.float64)})
    pd.testing.assert_frame_equal(df, ref)
    X, kept, _ = feature_matrix(df)
    assert X.dtype == np.float32 and kept.all() and np.isfinite(X).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.int64, np.uint64])
def test_features_label_dtypes(objects, dtype):
    labels, image = objects
    ref = object_features(labels, {"c": image})
    df = object_features(labels.astype(dtype), {"c": image})
    pd.testing.assert_frame_equal(df, ref)


def test_features_sparse_label_ids_keep_their_ids(objects):
    labels, image = objects
    sparse = labels.astype(np.int64) * 1000  # ids 1000, 2000, ... 64000
    df = object_features(sparse, {"c": image})
    ref = object_features(labels, {"c": image})
    assert df["label"].tolist() == [1000 * i for i in range(1, N_OBJ + 1)]
    pd.testing.assert_frame_equal(df.drop(columns="label"), ref.drop(columns="label"))


def test_features_huge_label_ids_do_not_crash():
    """uint64 ids near 2**62 (hash-like ids): a result or a clear message.

    Run in a fresh interpreter: this crashed the process (Bus error in
    scipy.ndimage.find_objects, called by regionprops).
    """
    out = run_script(
        """
        import resource
        import numpy as np
        from napari_cne.features import object_features

        lab = np.zeros((40, 40), np.uint64)
        lab[2:8, 2:8] = 2**62
        lab[10:20, 10:16] = 2**40
        lab[25:35, 5:12] = 3
        img = np.arange(1600, dtype=np.float32).reshape(40, 40)
        # a runaway allocation fails instead of exhausting the machine
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
        try:
            df = object_features(lab, {"c": img})
        except ValueError as err:
            print("VALUEERROR", err)
        else:
            print("OK", df["label"].tolist(), df["area"].tolist())
        """
    )
    assert out.returncode == 0, crash_report(out)
    text = out.stdout.strip()
    if text.startswith("OK"):
        assert text == f"OK [3, {2**40}, {2**62}] [70.0, 60.0, 36.0]"
    else:
        assert text.startswith("VALUEERROR") and "label" in text, text
