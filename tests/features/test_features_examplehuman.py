"""Real data: the ExampleHuman nuclei (313 objects, 3 channels).

The reference table in ``../shared/data/examplehuman_nuclei.npz`` was made
with scikit-image regionprops; our columns must reproduce it, and the
embedding of our features must separate the mitotic (pH3+) nuclei.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from napari_cne import ContrastiveEmbedding
from napari_cne.engine.metrics import knn_accuracy
from napari_cne.features import feature_matrix, object_features

from .._data import shared_path

CHANNELS = {"dna": "DNA", "ph3": "pH3", "cell": "cell"}


@lru_cache
def _data():
    # shared_path raises (the test fails, never skips) when the file is missing
    with np.load(shared_path("data", "examplehuman_nuclei.npz")) as d:
        return {k: d[k] for k in d.files}


@lru_cache
def _table():
    d = _data()
    image = d["image"]
    names = [str(n) for n in d["channel_names"]]
    assert names == list(CHANNELS.values())
    return object_features(d["labels"], dict(zip(names, image, strict=True)))


def _ours(name: str) -> str:
    """Reference column name -> ours (``dna_intensity_mean`` -> ``DNA_mean``)."""
    for prefix, channel in CHANNELS.items():
        if name.startswith(f"{prefix}_intensity_"):
            return f"{channel}_{name.removeprefix(f'{prefix}_intensity_')}"
    return name


def test_features_match_reference_table():
    d = _data()
    df = _table()
    assert len(df) == 313
    assert df["label"].tolist() == d["label_ids"].tolist()
    ref_names = [str(n) for n in d["feature_names"]]
    # every reference column but orientation (we do not compute it) has the
    # same definition here: regionprops shape features (perimeter included,
    # same 4-connectivity method) and per-channel mean/max/min/std
    # (population std). The reference is float32, hence the tolerance.
    compared = [n for n in ref_names if n != "orientation"]
    assert len(compared) == 19
    for j, name in enumerate(ref_names):
        if name not in compared:
            continue
        ref = d["features"][:, j].astype(np.float64)
        ours = df[_ours(name)].to_numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-4, err_msg=name)
    assert df["area"].tolist() == d["features"][:, 0].astype(int).tolist()


def _knn(Y: np.ndarray, k: int) -> np.ndarray:
    D = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    return np.argsort(D, axis=1, kind="stable")[:, :k]


def test_embedding_separates_mitotic_nuclei():
    d = _data()
    y = d["y"]
    assert np.bincount(y).tolist() == [298, 15]
    X, kept, used = feature_matrix(_table())
    assert kept.all() and X.shape == (313, 25)
    Y = ContrastiveEmbedding(random_state=0).fit_transform(X)
    # Saying "interphase" for every nucleus already scores 298 / 313 = 0.952,
    # so the accuracy bar sits above that (measured 0.990-0.994); the rare
    # class is the check that matters. (The class is an Otsu threshold on the
    # pH3 mean, which is one of the features, so it should separate well.)
    acc = knn_accuracy(Y, y, k=10)
    assert acc >= 0.97
    mitotic = np.flatnonzero(y == 1)
    votes = (y[_knn(Y, 10)[mitotic]] == 1).mean(axis=1)
    # a mitotic nucleus counts as found when most of its 10 neighbours are
    # mitotic: seeds 0-24 on 1 and 2 threads found 15 of 15 in 44 of 52
    # runs, 14 in 7 and 13 once (the lock-free threads move it by a nucleus);
    # a layout that does not separate them finds next to none (chance: a
    # share of 14 / 312 mitotic neighbours; seeds 0-5 give shares 0.90-0.95)
    recall = float((votes > 0.5).mean())
    assert recall >= 12 / 15, f"mitotic recall {recall:.3f}"
    assert votes.mean() > 0.6, f"share of mitotic neighbours {votes.mean():.3f}"
