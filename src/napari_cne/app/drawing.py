"""How the widget draws an embedding: as points, or as a density picture.

napari's Points layer costs the GUI thread time in proportion to its
points at every update, recolouring and selection (seconds at 10⁵–10⁶
points; docs/performance.md, "A million objects"). Above
:data:`DENSITY_AUTO_N` points the widget draws a 2-D layout as a
log-scaled 2-D histogram instead (:mod:`napari_cne.render.density`), whose
cost hardly grows with the points; the user can choose either
("Draw as"). The live layouts of a run are spaced by what drawing one
costs (:func:`draw_cost`).
"""

from __future__ import annotations

__all__ = [
    "DENSITY_AUTO_N",
    "DENSITY_DRAW_COST",
    "DRAW_CHOICES",
    "POINTS_DRAW_COST",
    "draw_cost",
    "draws_density",
]

#: the "Draw as" choices
DRAW_CHOICES = ("auto", "points", "density")
#: "auto" draws 2-D layouts of at least this many points as a density
#: (benchmarks/million.py: the Points layer's recolouring and lasso take
#: over half a second from about here on; docs/performance.md)
DENSITY_AUTO_N = 100_000
#: seconds of the GUI thread per point of a live update: napari's Points
#: layer (benchmarks/gui_stall.py) ...
POINTS_DRAW_COST = 3e-5
#: ... and the density picture (made beside the GUI thread; its Image
#: layer's update hardly depends on the points)
DENSITY_DRAW_COST = 2e-7


def draws_density(draw: str, n: int, n_components: int = 2) -> bool:
    """Whether an embedding of ``n`` points is drawn as a density picture.

    Parameters
    ----------
    draw : {"auto", "points", "density"}
        The "Draw as" setting.
    n : int
        Points in the layout.
    n_components : int
        A 3-D layout is always drawn as points (a cloud to rotate).
    """
    if draw not in DRAW_CHOICES:
        raise ValueError(f"draw must be one of {', '.join(DRAW_CHOICES)}, not {draw!r}")
    if n_components != 2 or draw == "points":
        return False
    return draw == "density" or int(n) >= DENSITY_AUTO_N


def draw_cost(draw: str, n: int, n_components: int = 2) -> float:
    """Return the seconds per point a live update of this drawing costs."""
    if draws_density(draw, n, n_components):
        return DENSITY_DRAW_COST
    return POINTS_DRAW_COST
