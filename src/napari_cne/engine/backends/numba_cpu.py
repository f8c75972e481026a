"""The CPU backend: the fused numba kernel over windows of edges, plus the fields.

The edge arrays are put in a random order once. Each epoch the edges that
take part in it (where the spectrum thins them by their weights) are
picked in that order, and cut at a random offset into windows of the share
of ``batch_size`` that takes part (the arrays carry their first window
again at the end, so the window that wraps around is contiguous too);
every window runs through :func:`~..kernels.sgd.sgd_window`, its edges'
slots the pool of its negatives. Towards
the t-SNE end the near field's exact repulsion is interleaved with the
windows and the far field's move is added after each
(:mod:`..fields`).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import threads
from ..fields import FarField, NearField
from ..losses import GRAD_CLIP, NceNormaliser
from ..spectrum import EpochSpec
from .base import Backend

__all__ = ["NumbaBackend"]


class NumbaBackend(Backend):
    """Free layout on the CPU, updated in place by the numba kernels.

    Parameters
    ----------
    Y0 : float32 array (n, d)
        Initial layout.
    heads, tails, weights, tsne_weights : arrays (E,)
        The directed edges, their weights and their t-SNE weights.
    loss : str
        Loss mode.
    batch_size : int
        Edges per window.
    negative_samples : int
        Negatives drawn per edge.
    seed : int
        Seeds the edge order and the kernels' counter-based random numbers.
    near_pairs : float or "auto"
        Target partners of the near field (0: off; :class:`~..fields.NearField`).
    far_field : bool
        Whether the far field takes over beyond the near field.
    nce : NceNormaliser, optional
        NCE's learned normaliser.
    """

    name = "numba"

    def __init__(
        self,
        Y0: np.ndarray,
        heads,
        tails,
        weights,
        tsne_weights,
        *,
        loss: str,
        batch_size: int,
        negative_samples: int,
        seed: int,
        near_pairs: float | str,
        far_field: bool,
        nce: NceNormaliser | None = None,
    ) -> None:
        from ..kernels.sgd import LOSS_CODES

        self.Y = np.ascontiguousarray(Y0, dtype=np.float32)
        self.loss = loss
        self.code = LOSS_CODES[loss]
        self.batch_size = int(batch_size)
        self.negative_samples = int(negative_samples)
        self.seed = int(seed)
        self.nce = nce
        self.rng = np.random.default_rng(self.seed)
        # int32 edge arrays in a random order, fixed from here on, each with
        # its first window repeated at its end (see _windows)
        order = self.rng.permutation(len(heads))
        self.n_edges = len(heads)
        self.width = max(min(self.batch_size, self.n_edges), 1)
        order = np.concatenate([order, order[: self.width]])
        self.H = np.asarray(heads)[order].astype(np.int32)
        self.T = np.asarray(tails)[order].astype(np.int32)
        self.W = np.asarray(weights)[order[: self.n_edges]].astype(np.float32)
        # the t-SNE weights stay in the graph's (row-major) order, looked up
        # when the participation is computed
        heads = np.asarray(heads)
        self._tsne = (
            np.concatenate([[0], np.cumsum(np.bincount(heads, minlength=len(Y0)))]),
            np.asarray(tails, np.int32),
            np.asarray(tsne_weights, np.float32),
        )
        # W ** p * S ** p_tsne for the powers in use, when that is not W
        # itself (a pow per edge and epoch costs more than the edge's update)
        self.P = np.empty(0, np.float32)
        self._p_power = None
        self._taking: tuple | None = None  # ((powers), edges taking part)
        # room for the edges taking part in an epoch, made when first
        # needed (a graph whose edges all take part never needs it)
        self._picks: tuple | None = None
        self._room_of: tuple = (None, 0)  # (participation, room it needs)
        self._tables: dict = {}  # NEG's force factors, per set of constants
        # room for one window's steps and per-edge sums, reused every window
        width = self.width
        self._steps = np.empty((width, 2, self.Y.shape[1]), np.float32)
        self._sums = np.empty((2, width))
        self._order = np.empty((2, 2 * width), np.int32)
        self.steps = 0
        self.near = NearField(near_pairs, self.rng)
        self.far = FarField(bool(far_field) and self.near.pairs > 0)
        #: seconds spent per phase of the epochs (for benchmarks/profile_epochs.py)
        self.phases = dict.fromkeys(("pick", "fields", "near", "edges"), 0.0)

    @property
    def near_radius(self) -> float | None:
        """Radius of the exact near field (None until it first ran)."""
        return self.near.radius

    def layout(self) -> np.ndarray:
        """Return a copy of the layout."""
        return self.Y.copy()

    def set_layout(self, Y: np.ndarray) -> None:
        """Overwrite the layout in place."""
        self.Y[...] = Y

    def _table(self, spec: EpochSpec) -> np.ndarray:
        """Return NEG's force table for ``spec`` (built once per set of constants)."""
        from ..kernels.common import NO_TABLE, force_table

        if self.loss != "neg":
            return NO_TABLE  # NCE's nu moves every window; others: no table
        key = (spec.nu, spec.eps, spec.b, spec.blend)
        if key not in self._tables:
            self._tables[key] = force_table(*(float(v) for v in key))
        return self._tables[key]

    def _nu(self, spec: EpochSpec) -> float:
        return self.nce.nu(self.negative_samples) if self.nce is not None else spec.nu

    def _windows(self, count: int, width: int) -> range:
        """Return this epoch's window starts: every ``width`` from a random offset.

        Cutting the fixed order somewhere else each epoch gives every batch
        a different set of edges (and pool of negatives); the windows cover
        the virtual positions ``offset .. offset + count - 1``, those past
        ``count`` being the repeated first window, so each edge runs once.
        """
        offset = int(self.rng.integers(max(min(width, count), 1)))
        return range(offset, offset + count, width)

    def _participation(self, spec: EpochSpec) -> np.ndarray | None:
        """Return each edge's expected runs an epoch (None: every edge's is 1).

        An edge takes part ``W ** edge_power * S ** tsne_power`` times in
        expectation (a t-SNE weight ``S`` can exceed 1). Unless that is
        ``W ** 0`` or ``W ** 1``, the values are computed once per pair of
        powers, in the edges' (fixed) order.
        """
        power, tsne = spec.edge_power, spec.tsne_power
        if tsne == 0.0 and power == 0.0:
            return None
        if tsne == 0.0 and power == 1.0:
            return self.W
        if self._p_power != (power, tsne):
            from ..kernels.sgd import pair_values

            E = self.n_edges
            S = np.empty_like(self.W)  # the t-SNE weights in the edges' order
            pair_values(*self._tsne, self.H[:E], self.T[:E], S)
            self.P = (self.W**power * S**tsne).astype(np.float32)
            self._p_power = (power, tsne)
        return self.P

    def _taking_part(self, spec: EpochSpec) -> float:
        """Return how many edges take part in an epoch, in expectation.

        The participation probabilities summed (every edge where both
        powers are 0), once per pair of powers: they change only with them.
        """
        key = (spec.edge_power, spec.tsne_power)
        if self._taking is None or self._taking[0] != key:
            P = self._participation(spec)
            total = float(self.n_edges)
            if P is not None:
                total = float(P.sum(dtype=np.float64))
            self._taking = (key, total)
        return self._taking[1]

    def _width(self, spec: EpochSpec) -> int:
        """Return this epoch's window: as many edges as take part in ``batch_size``.

        In expectation, so that an epoch has as many windows (SGD steps)
        wherever the spectrum puts it: with a third of the edges in windows
        of ``batch_size``, the UMAP end's points would take part in three
        times as many edges a step, and beyond it (``s = 2``, all
        attraction) they overshoot (MNIST-70k 10-NN accuracy 0.945 against
        0.960, docs/performance.md).
        """
        share = self._taking_part(spec) / self.n_edges
        return max(1, min(self.width, round(self.width * share)))

    def _picked(
        self, spec: EpochSpec, width: int
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Return this epoch's edges: heads, tails and how many take part.

        Where every edge takes part, the fixed order itself; else those
        that take part this epoch, picked in that order
        (:func:`~..kernels.sgd.pick_edges`), so that a window holds only
        edges that run and its slots are the pool of negatives.
        """
        from ..kernels.sgd import pick_edges

        P = self._participation(spec)
        if P is None:
            return self.H, self.T, self.n_edges
        room = self._room(P)
        if self._picks is None or len(self._picks[0]) < room:
            self._picks = (
                np.empty(room, np.int32),
                np.empty(room, np.int32),
                np.empty(self.n_edges, np.int16),
            )
        H, T, times = self._picks
        count = pick_edges(
            self.H, self.T, P, self.n_edges, self.seed, self.steps, width, H, T, times
        )
        return H, T, int(count)

    def _room(self, P: np.ndarray) -> int:
        """Return the places a pick may fill: each edge's most runs, and a window."""
        if P is not self._room_of[0]:
            self._room_of = (P, int(np.ceil(P, dtype=np.float64).sum()) + self.width)
        return self._room_of[1]

    def _fields(self, spec: EpochSpec, lr: float, n_edges: int, n_windows: int):
        """Set up this epoch's near and far field.

        Returns ``(grid, far, near_args, r2, m_draw, visits)``: the near
        field's grid (None: off), the far field's move per window (None:
        off), the rest of the near-field kernel's arguments, the squared
        radius within which drawn negatives keep only the share ``1 -
        near_share``, the negatives drawn per edge after the first window
        with the share each keeps, and the near field's visits this epoch.

        With the far field the drawn negatives carry only the share ``1 -
        near_share`` of the repulsion, so fewer are drawn (``m`` times that
        share, rounded up), each standing for proportionally more: the same
        expected force at a fraction of the pairs. (The first window draws
        all ``m``, at the plain share: it also estimates the loss.)
        """
        Y, m = self.Y, self.negative_samples
        keep = 1.0 - spec.near_share
        n = Y.shape[0]
        degrees = None
        if spec.near_share > 0.0 and self.near.pairs:
            degrees = self.near.degrees(n, n_edges, self._taking_part(spec))
        grid = self.near.grid(Y, spec.near_share, degrees)
        if grid is None:
            self.far.forget()
            return None, None, (), 0.0, (m, keep), 0
        passes = self.near.passes(grid, m, n_edges)
        # the mesh has the rest of the exact share, applied in equal parts
        # after each window; the drawn negatives keep the share s
        far = self.far.step(Y, spec, degrees, grid.radius, n_edges, m, lr, n_windows)
        near_args = (
            spec.near_share * m / (n_edges * passes),
            float(spec.neg_weight),
            float(spec.nu),
            float(spec.eps),
            float(lr),
            GRAD_CLIP,
            far is not None,
            float(spec.b),
            float(spec.blend),
            self._table(spec),
        )
        r2, draw = grid.radius**2, (m, keep)
        if far is not None:
            r2 = math.inf  # every drawn negative keeps the share 1 - near
            m_draw = math.ceil(m * keep - 1e-9)
            draw = (m_draw, keep * m / m_draw if m_draw else 0.0)
        return grid, far, near_args, r2, draw, passes * n

    def epoch(self, lr: float, spec: EpochSpec, exaggeration: float) -> float:
        """Run one epoch; return the loss per edge of its first window.

        The epoch runs on at most one thread per :data:`~..kernels.sgd.CHUNK`
        edges of a window: a smaller window's work takes microseconds, less
        than waking the other threads for each of its parallel loops (on a
        virtual machine's idle cores, a wake-up costs about a tenth of a
        millisecond). The layout is the same on any number of threads.
        """
        import numba

        from ..kernels.sgd import CHUNK

        width = self._width(spec)
        useful = -(-width // CHUNK)
        with threads.numba_threads(min(numba.get_num_threads(), useful)):
            return self._epoch(lr, spec, exaggeration, width)

    def _epoch(
        self, lr: float, spec: EpochSpec, exaggeration: float, width: int
    ) -> float:
        import numba

        from ..kernels.sgd import sgd_window

        clock = time.perf_counter
        t0 = clock()
        H, T, count = self._picked(spec, width)
        windows = self._windows(count, width)
        if not windows:  # no edge took part (a tiny graph's weights)
            return 0.0
        Y, n_edges = self.Y, self.n_edges
        n_windows = len(windows)
        end = windows.stop
        m = self.negative_samples
        t1 = clock()
        grid, far, near_args, r2, (m_draw, keep_draw), visits = self._fields(
            spec, lr, n_edges, n_windows
        )
        found, first = 0, None
        table = self._table(spec)
        t2 = clock()
        t_near = 0.0
        for win, start in enumerate(windows):
            if grid is not None:  # this window's share of the passes
                lo_v = win * visits // n_windows
                hi_v = (win + 1) * visits // n_windows
                t_a = clock()
                found += self.near.apply(Y, grid, lo_v, hi_v, near_args)
                t_near += clock() - t_a
            want_loss = win == 0
            loss, d_theta = sgd_window(
                Y,
                H,
                T,
                start,
                min(start + width, end),
                m if want_loss else m_draw,
                self.seed,
                self.steps,
                self.code,
                float(self._nu(spec)),
                float(spec.rho),
                float(spec.eps),
                float(exaggeration),
                float(spec.neg_weight),
                float(lr),
                GRAD_CLIP,
                want_loss,
                numba.get_num_threads(),  # this thread's setting
                r2,
                1.0 - spec.near_share if want_loss else keep_draw,
                float(spec.b),
                float(spec.blend),
                table,
                self._steps,
                self._sums,
                self._order,
            )
            self.steps += 1
            if far is not None:
                Y += far
            if want_loss:
                first = loss
            if self.nce is not None:
                self.nce.step(d_theta)
        if grid is not None:  # steer the radius towards the target pair count
            self.near.steer(Y, grid, found, visits)
        t3 = clock()
        for key, dt in zip(
            ("pick", "fields", "near", "edges"),
            (t1 - t0, t2 - t1, t_near, t3 - t2 - t_near),
            strict=True,
        ):
            self.phases[key] += dt
        return float(first) / min(width, count)
