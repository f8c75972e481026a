"""How the widget draws an embedding, and how far apart its live layouts are."""

from __future__ import annotations

import pytest

from napari_cne.app.drawing import (
    DENSITY_AUTO_N,
    DENSITY_DRAW_COST,
    POINTS_DRAW_COST,
    draw_cost,
    draws_density,
)
from napari_cne.app.fit import live_interval
from napari_cne.app.session import Session


def test_auto_draws_big_2d_layouts_as_a_density():
    assert not draws_density("auto", DENSITY_AUTO_N - 1)
    assert draws_density("auto", DENSITY_AUTO_N)
    assert draws_density("density", 10) and not draws_density("points", 10**7)
    # a 3-D layout is a cloud to rotate: always points
    assert not draws_density("density", 10**7, n_components=3)
    with pytest.raises(ValueError, match="draw must be one of"):
        draws_density("dots", 10)


def test_live_layouts_are_spaced_by_what_drawing_them_costs():
    n = 10**6
    assert live_interval(0.2, n) == pytest.approx(POINTS_DRAW_COST * n)
    dense = live_interval(0.2, n, draw_cost("auto", n))
    assert dense == pytest.approx(max(0.2, DENSITY_DRAW_COST * n))
    assert dense <= 0.5  # at least two live pictures a second
    assert draw_cost("points", n) == POINTS_DRAW_COST


def test_the_setting_reaches_the_requests():
    session = Session()
    session.set_params(draw="density")
    assert session.params["draw"] == "density"
    with pytest.raises(ValueError):
        session.set_params(draw="dots")
