"""Which objects a gallery shows: the central ones and a seeded random sample."""

from __future__ import annotations

import numpy as np
import pytest

from napari_cne.analysis.gallery import CENTRAL, RANDOM, pick_tiles


def _blob(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, 2))


def test_central_tiles_are_the_members_nearest_the_centre():
    Y = _blob()
    Y[:100] += 10  # two blobs; the group is the second one (rows 100 ...)
    members = np.arange(100, 200)
    picked = pick_tiles(Y, members, n=20)
    assert len(picked) == 20
    assert picked["kind"].tolist() == [CENTRAL] * 10 + [RANDOM] * 10
    assert set(picked["row"]) <= set(members)
    assert picked["row"].is_unique
    centre = np.median(Y[members], axis=0)
    d = np.linalg.norm(Y[members] - centre, axis=1)
    nearest = members[np.argsort(d)[:10]]
    assert picked["row"].tolist()[:10] == nearest.tolist()  # nearest first
    np.testing.assert_allclose(picked["distance"][:10], np.sort(d)[:10])
    # the random ones are from the rest, not the nearest again
    assert not set(picked["row"][10:]) & set(nearest)


def test_the_random_sample_is_seeded_and_independent_of_member_order():
    Y = _blob()
    members = np.arange(0, 200, 2)
    a = pick_tiles(Y, members, n=12, random_state=3)
    b = pick_tiles(Y, members[::-1], n=12, random_state=3)
    mask = np.zeros(len(Y), bool)
    mask[members] = True
    c = pick_tiles(Y, mask, n=12, random_state=3)
    assert a.equals(b) and a.equals(c)
    d = pick_tiles(Y, members, n=12, random_state=4)
    assert a["row"][:6].tolist() == d["row"][:6].tolist()  # central: no chance
    assert a["row"][6:].tolist() != d["row"][6:].tolist()


def test_a_small_group_is_shown_whole_split_the_same_way():
    Y = _blob()
    picked = pick_tiles(Y, [3, 4, 5, 6, 7], n=48)
    assert sorted(picked["row"]) == [3, 4, 5, 6, 7]
    assert picked["kind"].tolist() == [CENTRAL] * 3 + [RANDOM] * 2
    only_central = pick_tiles(Y, [3, 4, 5], n=48, central=1.0)
    assert set(only_central["kind"]) == {CENTRAL}


def test_members_without_a_position_are_left_out():
    Y = _blob(10)
    Y[2] = np.nan
    assert 2 not in set(pick_tiles(Y, [1, 2, 3], n=5)["row"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"members": []}, "no members"),
        ({"members": [0, 99]}, "must lie in"),
        ({"members": [0.5]}, "row numbers"),
        ({"members": np.ones(3, bool)}, "one value per layout row"),
        ({"members": [1], "n": 0}, "positive whole number"),
        ({"members": [1], "central": 2}, r"\[0, 1\]"),
    ],
)
def test_bad_input_gets_a_clear_message(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pick_tiles(_blob(10), **kwargs)
