"""NEG's repulsion towards the t-SNE end as two fields: near (exact) and far (mesh).

With the noise ratio of the t-SNE end each drawn negative stands for a
thousand; the few that land next to their head give rare, huge kicks that
the gradient clip cuts down. So for the share ``near_share`` (``1 - s`` on
[0, 1]) of the repulsion:

* :class:`NearField`: the pairs closer than a radius ``h`` get their
  *expected* repulsion, exactly, from a grid (:mod:`.kernels.grid`); ``h``
  is steered epoch by epoch so that a point has a set number of such
  partners on average;
* :class:`FarField`: the rest of that share, the repulsion from all farther
  points, is computed once per epoch on a mesh by FFT
  (:func:`mesh_repulsion`), in 1-D and 2-D.

The drawn negatives keep the remaining share. Both fields belong to the
numba CPU backend (:mod:`.backends.numba_cpu`).

The fields repel every pair alike, as t-SNE does: each point gets the mean
degree (:meth:`NearField.degrees`), where the drawn negatives, from the
slots of a window, meet points in proportion to their degree (measured on
MNIST-70k at ``s = 0``: docs/performance.md).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .losses import GRAD_CLIP

__all__ = [
    "FAR_FIELD_CLIP",
    "FAR_FIELD_MAX_NODES",
    "FAR_FIELD_NODES_PER_H",
    "FAR_FIELD_NODES_PER_H_BETWEEN",
    "NEAR_FIELD_PAIRS",
    "NEAR_FIELD_PAIRS_BETWEEN",
    "FarField",
    "Grid",
    "NearField",
    "mesh_repulsion",
]

#: ``near_field="auto"``: exact partners per point at the t-SNE end, and
#: from where the exact share has fallen to 3/4 (``s >= 0.25``), linear
#: between. Between the ends the mesh is the cheaper way to the share the
#: near field drops (MNIST-70k at ``s = 0.25 .. 0.75``: the same NP@15 and
#: 10-NN accuracy, 5-14 % less time); at ``s = 0`` half the partners cost
#: 0.002 NP@15 (docs/performance.md).
NEAR_FIELD_PAIRS, NEAR_FIELD_PAIRS_BETWEEN = 50, 25
#: Far-field mesh: nodes per near-field radius at the t-SNE end and from
#: where the exact share has fallen to 3/4 (linear between, as the near
#: field's partners), and at most per axis. Between the ends the mesh
#: carries only part of the repulsion, at a smaller radius (25 partners):
#: 2 nodes per radius there cost half the FFTs for the same NP@15 and
#: 10-NN accuracy (MNIST-70k at s = 0.25-0.75, docs/performance.md).
FAR_FIELD_NODES_PER_H, FAR_FIELD_NODES_PER_H_BETWEEN = 3, 2
FAR_FIELD_MAX_NODES = 1024
#: Far field: the most a point moves per epoch by it, per coordinate, in
#: units of the learning rate, in the first epoch at a new share and later.
FAR_FIELD_CLIP = (GRAD_CLIP, 2 * GRAD_CLIP)


class Grid(NamedTuple):
    """One epoch's grid of the near field (:func:`.kernels.grid.build_grid`).

    ``positions`` and ``degrees`` / ``degrees_eff`` hold the points in cell
    (``members``) order; ``pairs``: the partners the radius is steered
    towards this epoch (:meth:`NearField.target`).
    """

    starts: np.ndarray
    members: np.ndarray
    lo: np.ndarray
    side: np.ndarray
    cell: float
    radius: float
    positions: np.ndarray
    degrees: np.ndarray
    degrees_eff: np.ndarray
    pairs: float


def _towards_between(near_share: float) -> float:
    """Return how far the fields have gone from the t-SNE end's settings.

    0 at the whole exact share, 1 from 3/4 of it down, linear between: the
    ramp both the near field's partners (:meth:`NearField.target`) and the
    mesh's nodes per radius (:meth:`FarField.nodes_per_h`) follow.
    """
    return min(max((1.0 - near_share) / 0.25, 0.0), 1.0)


def _box(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the layout's lowest and highest coordinate per axis (float64).

    Column by column: numpy's ``Y.min(axis=0)`` over a narrow array is 30
    times slower, and the fields need the box three times an epoch.
    """
    lo = np.array([Y[:, a].min() for a in range(Y.shape[1])], np.float64)
    hi = np.array([Y[:, a].max() for a in range(Y.shape[1])], np.float64)
    return lo, hi


class NearField:
    """The exact repulsion between points closer than a steered radius ``h``.

    Parameters
    ----------
    pairs : float or "auto"
        Partners per point to steer ``h`` towards (0: off; ``"auto"``:
        :data:`NEAR_FIELD_PAIRS`, fewer between the ends: :meth:`target`).
    rng : numpy.random.Generator
        Draws the sample that sets the first radius.
    """

    def __init__(self, pairs, rng: np.random.Generator) -> None:
        self.auto = pairs == "auto"
        self.pairs = float(NEAR_FIELD_PAIRS if self.auto else pairs)
        self.radius: float | None = None
        self._rng = rng
        self._degrees: tuple | None = None  # (key, deg, eff)

    def target(self, near_share: float) -> float:
        """Return the partners to steer towards while the near field has this share.

        A set number always; ``"auto"``: :data:`NEAR_FIELD_PAIRS` at the
        whole share (the t-SNE end), :data:`NEAR_FIELD_PAIRS_BETWEEN` from
        3/4 of it down, linear between.
        """
        if not self.auto:
            return self.pairs
        t = _towards_between(near_share)
        return self.pairs + t * (NEAR_FIELD_PAIRS_BETWEEN - self.pairs)

    def degrees(self, n: int, n_edges: int, taking_part: float):
        """Return the points' degrees in the fields: every point the mean.

        ``deg``: directed edges per point (``n_edges / n``); ``eff``: those
        taking part in an epoch, in expectation (``taking_part / n``). The
        kernels weight a pair by its points' degrees (the drawn negatives'
        expectation); equal degrees make the repulsion t-SNE's, the same for
        every pair. Cached while the numbers stay the same.
        """
        key = (n, n_edges, float(taking_part))
        if self._degrees is None or self._degrees[0] != key:
            deg = np.full(n, n_edges / n, np.float32)
            eff = np.full(n, float(taking_part) / n, np.float32)
            self._degrees = (key, deg, eff)
        return self._degrees[1], self._degrees[2]

    @staticmethod
    def passes(grid: Grid, m: int, n_edges: int) -> int:
        """Return how many times per epoch the exact force is applied.

        A point meets ``~2 m E K / n^2`` close negatives per epoch (``K``
        partners); the exact force is applied in as many passes, so that no
        step is larger than the sampled ones it replaces (every point at
        least once per epoch).
        """
        n = grid.members.shape[0]
        return math.ceil(2.0 * m * n_edges * grid.pairs / n**2)

    def _first_radius(self, Y: np.ndarray, pairs: float) -> float:
        # the median distance of a sample of points to their K-th nearest in
        # the layout (a uniform-density guess overshoots after the early phase)
        n = Y.shape[0]
        k = int(min(max(pairs, 1), n - 1))
        rows = self._rng.choice(n, min(n, 256), replace=False)
        kth = np.concatenate(
            [  # 8 rows at a time: 8 x n distances (64 MB at 1M points)
                np.partition(((Y[r, None, :] - Y[None]) ** 2).sum(-1), k, 1)[:, k]
                for r in np.array_split(rows, max(1, len(rows) // 8))
            ]
        )  # the k-th smallest: column 0 is the point itself
        return max(float(np.sqrt(np.median(kth))), 1e-6)

    def grid(self, Y: np.ndarray, near_share: float, degrees) -> Grid | None:
        """Return this epoch's grid (None: the near field is off this epoch).

        ``degrees``: the points' ``(deg, deg_eff)`` (:meth:`degrees`).
        """
        if near_share <= 0.0 or not self.pairs:
            return None
        from .kernels.grid import build_grid

        pairs = self.target(near_share)
        n, d = Y.shape
        lo, hi = _box(Y)
        extent = np.maximum(hi - lo, 1e-6)
        if self.radius is None:
            self.radius = self._first_radius(Y, pairs)
        h = float(self.radius)
        # cells of side g >= h, about 2 per point at most (also for a flat
        # layout in 3-D, where the volume says little about the cell count)
        g = max(h, float(np.prod(extent) / (2 * n + 64)) ** (1.0 / d))
        side = np.floor(extent / g).astype(np.int64) + 1
        while float(np.prod(side.astype(np.float64))) > 4 * n + 64:
            g *= 1.5
            side = np.floor(extent / g).astype(np.int64) + 1
        starts, members = build_grid(Y, g, lo, side)
        deg, eff = degrees
        return Grid(
            starts,
            members,
            lo,
            side,
            g,
            h,
            Y[members],
            deg[members],
            eff[members],
            pairs,
        )

    @staticmethod
    def apply(Y, grid: Grid, lo_visit: int, hi_visit: int, args: tuple) -> int:
        """Apply the exact force at the visits ``lo_visit .. hi_visit - 1``.

        Visit ``v`` moves point ``members[v % n]``; ``args`` are the rest of
        :func:`.kernels.grid.near_field`'s arguments. Returns the pairs found.
        """
        from .kernels.grid import near_field

        n = Y.shape[0]
        found = 0
        while lo_visit < hi_visit:
            stop = min(hi_visit, (lo_visit // n + 1) * n)
            found += near_field(
                Y,
                grid.positions,
                grid.degrees,
                grid.degrees_eff,
                grid.starts,
                grid.members,
                grid.lo,
                grid.side,
                grid.cell,
                grid.radius,
                lo_visit % n,
                stop - (lo_visit // n) * n,
                *args,
            )
            lo_visit = stop
        return found

    def steer(self, Y: np.ndarray, grid: Grid, found: int, visits: int) -> None:
        """Move the radius towards the target pair count (at most 4x per epoch)."""
        n, d = Y.shape
        per_point = max(found, 1) / visits
        target = min(grid.pairs, 0.5 * (n - 1))
        ratio = min(max(target / per_point, 0.25), 4.0)
        lo, hi = _box(Y)
        reach = float((hi - lo).max()) + 1e-6
        self.radius = min(self.radius * ratio ** (1.0 / d), reach)


class FarField:
    """The repulsion from points beyond the near field, on a mesh, per epoch.

    Parameters
    ----------
    on : bool
        Whether to compute it (1-D and 2-D layouts only; in 3-D the drawn
        negatives keep the repulsion beyond ``h``).
    """

    def __init__(self, on: bool) -> None:
        self.on = bool(on)
        self._share: float | None = None  # the share of the last epoch

    def forget(self) -> None:
        """Note an epoch without the far field."""
        self._share = None

    @staticmethod
    def nodes_per_h(near_share: float) -> float:
        """Return the mesh's nodes per near-field radius at this exact share.

        :data:`FAR_FIELD_NODES_PER_H` at the whole share (the t-SNE end),
        :data:`FAR_FIELD_NODES_PER_H_BETWEEN` from 3/4 of it down, linear
        between (as :meth:`NearField.target`).
        """
        t = _towards_between(near_share)
        return FAR_FIELD_NODES_PER_H + t * (
            FAR_FIELD_NODES_PER_H_BETWEEN - FAR_FIELD_NODES_PER_H
        )

    def step(self, Y, spec, degrees, radius, n_edges, m, lr, n_windows):
        """Return the move per window of this epoch (float32), or None when off.

        The mesh is evaluated once per epoch: without feedback within the
        epoch a point right after the early phase (a compact layout) would
        fly in one go as far as the drawn negatives push it over many small
        steps that weaken as it moves, so its epoch's move is bounded
        (:data:`FAR_FIELD_CLIP`, the tighter bound in the first epoch at a
        new share).
        """
        if not self.on or Y.shape[1] > 2:
            self._share = None
            return None
        import numba

        deg, eff = degrees
        cw = spec.near_share * int(m) / n_edges
        far = mesh_repulsion(
            Y,
            deg,
            eff if spec.edge_power > 0 or spec.tsne_power > 0 else None,
            radius,
            float(spec.nu),
            float(spec.eps),
            2.0 * spec.neg_weight * cw,
            workers=numba.get_num_threads(),
            b=float(spec.b),
            bt=float(spec.blend),
            nodes_per_h=self.nodes_per_h(spec.near_share),
        )
        fresh = self._share != spec.near_share
        bound = FAR_FIELD_CLIP[0 if fresh else 1]
        np.clip(far, -bound, bound, out=far)
        self._share = spec.near_share
        return (far * (lr / n_windows)).astype(np.float32)


def _cic_inverse(size) -> tuple[np.ndarray, np.ndarray]:
    """Return the inverse of cloud-in-cell's smoothing on a mesh of ``size``.

    Spreading the points onto the mesh and reading the field back each
    multiply the spectrum by ``sinc(k)^2`` per axis (``k`` in cycles per
    node); dividing by both (the deconvolution of particle-mesh methods)
    takes the smoothing out of the far field. One factor per axis (float32,
    the second for the half spectrum of ``rfftn``): their product is the
    inverse.
    """
    w0 = np.sinc(np.fft.fftfreq(size[0])) ** -4
    w1 = np.sinc(np.fft.rfftfreq(size[1])) ** -4
    return w0.astype(np.float32)[:, None], w1.astype(np.float32)[None, :]


def _uniform(a: np.ndarray) -> bool:
    return a.size > 0 and bool(a.min() == a.max())


def mesh_repulsion(
    Y, deg, eff, h, nu, eps, scale, workers=1, b=1.0, bt=1.0,
    nodes_per_h=FAR_FIELD_NODES_PER_H,
) -> np.ndarray:  # fmt: skip
    """NEG's expected repulsion on each point beyond the near field, on a mesh.

    The drawn negatives' repulsion in expectation over *all* pairs, exactly
    as :func:`napari_cne.engine.kernels.grid.near_field` weights a pair
    (unclipped), with the pair kernel faded in by ``1 - (1 - r^2/h^2)^2``:
    the near field with ``fade`` has the complement, and the kernel is
    smooth enough for a mesh. The degrees are spread onto a regular mesh of
    spacing ``h / nodes_per_h`` (cloud-in-cell), convolved with the kernel
    by FFT and read back at the points, so no negative need be drawn for
    that share. The mesh has at most ``FAR_FIELD_MAX_NODES`` nodes per
    axis: a layout wider than about 340 h (3 nodes per h) gets a coarser
    one, which smooths the kernel near ``h`` more.

    Parameters
    ----------
    Y : float32 array (n, d), d <= 2
    deg, eff : float32 arrays (n,)
        Degrees, over all edges and over the edges taking part (``eff=None``:
        the same).
    h : float
        Near-field radius.
    nu, eps : float
        NEG's noise ratio and kernel offset (one negative's force on a pair
        at squared distance ``r2`` is ``2 w r / ((1 + nu (r2 + eps)) (r2 +
        eps))``).
    scale : float
        ``2 w cw``: the negative's weight times the pair rate ``cw`` (see
        ``near_field``).
    workers : int
        Threads for the FFTs.
    b, bt : float
        Kernel exponent and its weight: ``r2`` above stands for ``D = (1 -
        bt) r2 + bt r2**b``, and the force has the factor ``dD/dr2`` (the
        chain rule).
    nodes_per_h : float
        Mesh nodes per ``h`` (:meth:`FarField.nodes_per_h`).

    Returns
    -------
    float64 array (n, d)
        Force per point for one epoch.
    """
    from scipy import fft

    from .kernels.mesh import mesh_gather, mesh_kernel, mesh_spread

    n, d = Y.shape
    if eff is not None and _uniform(deg) and _uniform(eff) and deg[0] > 0:
        # every point the same degrees: both mass channels are one density
        scale, eff = scale * float(eff[0]) / float(deg[0]), None
    lo, hi = _box(Y)
    span = hi - lo
    dx = max(h / nodes_per_h, float(span.max()) / (FAR_FIELD_MAX_NODES - 3))
    lo = lo - dx
    nodes = [int(math.ceil(e / dx)) + 3 for e in span] + [1] * (2 - d)
    weights = np.stack([deg] if eff is None else [deg, eff]).astype(np.float32)
    rho = np.zeros((weights.shape[0], *nodes), dtype=np.float32)
    mesh_spread(Y, weights, lo, dx, rho)
    # linear (not circular) convolution: offsets -(N - 1) .. N - 1 per axis
    size = [fft.next_fast_len(2 * k - 1, real=True) if k > 1 else 1 for k in nodes]
    comps = np.empty((d, *size), np.float32)
    mesh_kernel(np.array(nodes), np.array(size), dx, h, nu, eps, b, bt, comps)
    kf = fft.rfftn(comps, axes=(1, 2), workers=workers)
    rf = fft.rfftn(rho, s=size, axes=(1, 2), workers=workers)
    w0, w1 = _cic_inverse(size)
    rf *= w0
    rf *= w1
    fields = fft.irfftn(rf[:, None] * kf[None], s=size, axes=(2, 3), workers=workers)
    fields = fields[:, :, : nodes[0], : nodes[1]].reshape(-1, nodes[0], nodes[1])
    vals = mesh_gather(Y, np.ascontiguousarray(fields), lo, dx).reshape(n, -1, d)
    f_deg, f_eff = vals[:, 0], vals[:, -1]  # (n, axis) per mass channel
    e = deg if eff is None else eff
    return scale * (e[:, None] * f_deg + deg[:, None] * f_eff)
