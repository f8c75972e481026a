"""The workflows of predicted classes, counts per field and class pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.app.classes import ClassSet
from napari_cne.app.counts import counts_of, counts_path
from napari_cne.app.fit import FitRequest
from napari_cne.app.inputs import PixelsInput, TableInput
from napari_cne.app.pixel_classes import pixel_class_image
from napari_cne.app.predict import (
    CONFIDENCE,
    PREDICTED,
    accuracy_text,
    predict_objects,
)
from tests.app.test_requests import PARAMS, run_all, table


@pytest.fixture(scope="module")
def blobs():
    df = table()  # rows 0-59 one blob, 60-119 the other; labels 1..120
    fit = run_all(FitRequest(TableInput(df, "t", id_name="label"), PARAMS))[-1].result
    return df, fit


def named(low, high) -> ClassSet:
    classes = ClassSet()
    classes.add("low")
    classes.add("high")
    classes.assign(low, "low")
    classes.assign(high, "high")
    return classes


def test_a_few_named_objects_classify_the_rest(blobs):
    df, fit = blobs
    keys = df["label"].to_numpy()
    classes = named([1, 2, 3], [61, 62, 63])
    result = predict_objects(fit, keys, classes)
    truth = np.where(keys <= 60, "low", "high")
    np.testing.assert_array_equal(np.asarray(result.predicted), truth)
    assert list(result.predicted.categories) == ["low", "high"]
    cols = result.columns()
    assert list(cols.columns) == [PREDICTED, CONFIDENCE] and len(cols) == 120
    assert cols[CONFIDENCE].between(0, 1).all()
    assert result.prediction.accuracy == 1.0  # 3 per class: cross-validated
    assert "held-out accuracy 100%" in accuracy_text(result.prediction)
    # the next to annotate: never the named ones, the least sure first
    nxt = result.least_confident(10)
    assert len(nxt) == 10 and not set(nxt) & {1, 2, 3, 61, 62, 63}
    rows = np.searchsorted(keys, nxt)
    assert result.confidence[rows].max() <= np.sort(result.confidence)[16]
    # the fit's seed by default: the same answer twice
    again = predict_objects(fit, keys, classes)
    np.testing.assert_array_equal(again.confidence, result.confidence)


def test_predicting_needs_two_classes_and_the_fit_keys(blobs):
    df, fit = blobs
    keys = df["label"].to_numpy()
    one = ClassSet()
    one.add("only")
    with pytest.raises(ValueError, match="at least two classes"):
        predict_objects(fit, keys, one)
    with pytest.raises(ValueError, match="map has 120"):
        predict_objects(fit, keys[:50], named([1], [61]))
    with pytest.raises(ValueError, match="run an embedding first"):
        predict_objects(None, keys, named([1], [61]))
    few = predict_objects(fit, keys, named([1], [61]), method="spreading")
    assert few.prediction.accuracy is None
    assert "needs 3 examples" in accuracy_text(few.prediction)


def test_counts_of_any_class_column_per_source():
    df = pd.DataFrame(
        {
            "source": ["A", "A", "B", "B", "B"],
            "cne_cluster": pd.Categorical([0, 1, 1, 1, 0]),
            "area": np.arange(5.0),
        }
    )
    t = counts_of(df, "cne_cluster")
    assert list(t.columns[:2]) == ["cne_cluster", "source"]
    b = t[t["source"] == "B"]
    np.testing.assert_array_equal(b["count"], [1, 2])
    np.testing.assert_allclose(b["fraction"], [1 / 3, 2 / 3])
    one = counts_of(df.drop(columns="source"), "cne_cluster")
    assert set(one["source"]) == {"all"}
    with pytest.raises(ValueError, match="no column 'class'"):
        counts_of(df, "class")
    big = pd.DataFrame({"area": np.arange(500.0)})
    with pytest.raises(ValueError, match="looks like a measurement"):
        counts_of(big, "area")
    assert counts_path("out/emb.csv.gz").as_posix() == "out/emb_counts.csv"


def test_class_pixels_take_the_class_of_the_nearest_fitted_pixel():
    layout = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    codes = np.array([0, 1, -1])
    coords = np.full((2, 3, 2), np.nan)
    coords[:, 0, 0] = [1, 1]  # near 0 -> class 0 -> 1
    coords[:, 0, 1] = [9, 1]  # near 1 -> 2
    coords[:, 1, 0] = [0, 9]  # near the fitted pixel without a class -> 0
    out = pixel_class_image(coords, layout, codes, rows=1)
    np.testing.assert_array_equal(out, [[1, 2], [0, 0], [0, 0]])
    assert out.dtype == np.uint8
    with pytest.raises(ValueError, match="got 2 classes for 3 fitted pixels"):
        pixel_class_image(coords, layout, codes[:2])


def test_every_pixel_gets_a_predicted_class():
    from tests.app.test_requests import _image

    img = _image()
    inp = PixelsInput(img, 0, ["a", "b", "c"], "img", max_pixels=300)
    events = run_all(FitRequest(inp, PARAMS, every_pixel={"tile_pixels": 64}))
    fit = events[-1].result
    Y = fit.model.embedding_
    # two classes by the first layout axis, a few examples each
    order = np.argsort(Y[:, 0])
    classes = named(order[:4], order[-4:])
    keys = np.arange(fit.n_objects)
    result = predict_objects(fit, keys, classes)
    labels = pixel_class_image(fit.pixel_map.coords, Y, result.codes(), rows=5)
    assert labels.shape == img.shape[1:]
    assert set(np.unique(labels)) == {1, 2}  # every pixel placed and classed
    # banding does not change the answer
    whole = pixel_class_image(fit.pixel_map.coords, Y, result.codes(), rows=1000)
    np.testing.assert_array_equal(labels, whole)
