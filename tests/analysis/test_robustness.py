"""Robustness along the spectrum: separation scores, the table, the verdicts.

The known answers: islands are separate at every s; a group cut out of one
uniform blob (a half, a 5 % piece, a slice of an elongated blob) is never
separate, at 1 000 and at 20 000 objects, on hand-made layouts and on the
engine's own layouts along the spectrum.
"""

import numpy as np
import pandas as pd
import pytest

from napari_cne import spectrum_sweep
from napari_cne.analysis.robustness import (
    SEPARATE,
    UNASSIGNED,
    group_codes,
    robustness_table,
    separation,
    verdict,
)


def disk(n, seed=0):
    rng = np.random.default_rng(seed)
    U = rng.uniform(-1, 1, (3 * n, 2))
    return U[(U**2).sum(axis=1) < 1][:n]


def cuts(Y):
    """Groups cut out of one blob: halves, a 5 % end, a 5 % piece inside."""
    x = Y[:, 0]
    r = np.hypot(x - 0.3 * x.std(), Y[:, 1])
    return {
        "half": (x > 0).astype(int),
        "5% end": (x > np.quantile(x, 0.95)).astype(int),
        "5% inside": (r < np.quantile(r, 0.05)).astype(int),
    }


@pytest.mark.parametrize("n", [1000, 20000])
def test_a_cut_of_one_uniform_blob_is_never_separate(n):
    U = disk(n, seed=n)
    for Y in (U, U * [6, 1]):  # round, and elongated 6:1
        for name, g in cuts(Y).items():
            table = separation(Y, g)
            assert (table["score"] < 0.1).all(), (n, name, table)


@pytest.mark.parametrize("n", [1000, 20000])
def test_islands_are_separate(n):
    U = disk(n // 4, seed=1)
    Y = np.vstack([U + [4 * i, 0] for i in range(4)])
    g = np.repeat(np.arange(4), len(U))
    table = separation(Y, g)
    assert (table["score"] > 0.95).all(), table
    assert table["members"].tolist() == [len(U)] * 4


def test_small_groups_islands_and_cuts():
    """A group of 12-20 objects: an island beside a blob is separate (its
    densities read from fewer neighbours); small pieces of the blob are not."""
    rng = np.random.default_rng(0)
    U = disk(300, seed=3)
    for m in (12, 20):
        island = rng.normal(0, 0.08, (m, 2)) + [1.6, 0]
        Y = np.vstack([U, island])
        g = np.r_[np.zeros(len(U), int), np.ones(m, int)]
        assert separation(Y, g).loc[1, "score"] >= SEPARATE
        centre = U[rng.integers(len(U))]
        near = np.argsort(np.linalg.norm(U - centre, axis=1))[:m]
        piece = np.zeros(len(U), int)
        piece[near] = 1
        assert separation(U, piece).loc[1, "score"] < 0.25


def test_strays_neither_break_an_island_nor_link_it():
    U = disk(2000, seed=2)
    Y = np.vstack([U, U + [2.5, 0]])
    g = np.repeat([0, 1], len(U))
    flip = np.random.default_rng(0).random(len(g)) < 0.03
    g[flip] = 1 - g[flip]
    assert (separation(Y, g)["score"] > 0.8).all()


def test_touching_groups_and_a_class_among_unassigned_objects():
    U = disk(2000, seed=3)
    # a small patch stuck to an island: the patch merges with the island,
    # the island stays separate from everything else
    patch = U[:100] * 0.2 + [1.15, 0]
    far = U + [6, 0]
    Y = np.vstack([U, patch, far])
    g = np.repeat([0, 1, 2], [len(U), len(patch), len(far)])
    t = separation(Y, g)
    assert t.loc[1, "score"] < 0.2 and t.loc[1, "merges with"] == 0
    assert t.loc[0, "score"] > SEPARATE and t.loc[2, "score"] > 0.95
    # a few annotated objects inside unlabelled ones; an annotated island
    labels = np.full(len(Y), np.nan, dtype=object)
    labels[:2000:20] = "mitotic"
    labels[-len(far) :] = "island"
    t = separation(Y, labels)
    assert t.loc["mitotic", "score"] < 0.1
    assert t.loc["mitotic", "merges with"] == UNASSIGNED
    assert t.loc["island", "score"] > 0.95


def test_group_codes_missing_values_and_names():
    codes, names = group_codes([2, -1, np.nan, 0, 2, None])
    assert names == [0, 2] and codes.tolist() == [1, -1, -1, 0, 1, -1]
    codes, names = group_codes(["b", "a", None, "b"])
    assert names == ["a", "b"] and codes.tolist() == [1, 0, -1, 1]


def test_separation_is_seeded_and_small_groups_get_no_score():
    U = disk(3000, seed=4)
    Y = np.vstack([U, U + [2.2, 0], U[:5] + [9, 9]])
    g = np.repeat([0, 1, 2], [len(U), len(U), 5])
    a, b = separation(Y, g, random_state=1), separation(Y, g, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert np.isnan(a.loc[2, "score"])


def test_separation_bad_input():
    with pytest.raises(ValueError, match="one row per group label"):
        separation(np.zeros((5, 2)), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        separation(np.full((20, 2), np.nan), np.zeros(20))


@pytest.mark.parametrize(
    "scores, expected",
    [
        ({0: 0.9, 0.5: 0.8, 1: 0.99}, "separate at every s"),
        (
            {0: 0.1, 0.5: 0.7, 1: 0.9},
            "separate only towards UMAP (s ≥ 0.5), merges with B towards t-SNE",
        ),
        (
            {0: 0.9, 0.5: 0.2, 1: 0.1},
            "separate only towards t-SNE (s ≤ 0), merges with B towards UMAP",
        ),
        ({0: 0.9, 0.5: 0.2, 1: 0.9}, "separate at s = 0, 1 only (mixes with B"),
        ({0: 0.1, 0.5: 0.2, 1: 0.3}, "not separate at any s (mixes with B)"),
        ({0: np.nan}, "too few objects to judge"),
    ],
)
def test_verdicts_in_words(scores, expected):
    assert verdict(scores, "B").startswith(expected)


def test_table_over_hand_made_layouts():
    U = disk(1500, seed=5)
    apart = np.vstack([U, U + [3, 0], U + [0, 3]])
    joined = np.vstack([U, U + [2, 0], U + [0, 3]])  # 0 and 1 touch
    g = np.repeat(["a", "b", "c"], len(U))
    t = robustness_table({1.0: apart, 0.0: joined, 0.5: apart}, g)
    assert list(t.columns[:3]) == [0.0, 0.5, 1.0]
    assert t.loc["c", "verdict"] == "separate at every s"
    assert t.loc["c", "merges with"] == ""
    assert t.loc["a", "verdict"].startswith("separate only towards UMAP (s ≥ 0.5)")
    assert t.loc["a", "merges with"] == "b"
    assert (t["members"] == len(U)).all()


@pytest.fixture(scope="module")
def engine_layouts():
    """The engine's layouts at s = 0, 0.5, 1 of islands and of one blob."""
    rng = np.random.default_rng(0)
    blobs = np.vstack([rng.normal(12 * i, 1, (250, 10)) for i in range(3)])
    ball = rng.normal(size=(1000, 10))
    ball *= (rng.random(1000) ** 0.1 / np.linalg.norm(ball, axis=1))[:, None]
    out = {}
    for name, X in (("blobs", blobs), ("ball", ball)):
        Ys, _ = spectrum_sweep(
            X, (0.0, 0.5, 1.0), n_epochs=150, n_epochs_each=60, random_state=0
        )
        out[name] = (X, dict(zip((0.0, 0.5, 1.0), Ys)))
    return out


def test_engine_islands_are_separate_at_every_s(engine_layouts):
    _, layouts = engine_layouts["blobs"]
    t = robustness_table(layouts, np.repeat([0, 1, 2], 250))
    assert (t["verdict"] == "separate at every s").all(), t


def test_engine_cuts_of_one_blob_are_never_separate(engine_layouts):
    X, layouts = engine_layouts["ball"]
    x = X[:, 0]
    for g in ((x > 0), (x > np.quantile(x, 0.95))):
        t = robustness_table(layouts, g.astype(int))
        assert t["verdict"].str.startswith("not separate at any s").all(), t
