"""Embeddings along the spectrum, each warm-started from its neighbour."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .estimator import ContrastiveEmbedding, Snapshot

__all__ = ["iter_spectrum_sweep", "spectrum_sweep"]


def _chain(s_values: Sequence[float], anchor: float) -> list[int]:
    """Order in which to visit ``s_values``: from the anchor outwards."""
    s = np.asarray(s_values, dtype=float)
    start = int(np.argmin(np.abs(s - anchor)))
    below = [i for i in np.argsort(-s) if s[i] < s[start]]
    above = [i for i in np.argsort(s) if s[i] > s[start]]
    same = [i for i in range(len(s)) if s[i] == s[start] and i != start]
    return [start, *same, *below, *above]


def iter_spectrum_sweep(
    model: ContrastiveEmbedding,
    s_values: Sequence[float],
    *,
    n_epochs: int = 100,
) -> Iterator[tuple[int, Snapshot]]:
    """Walk a *fitted* model along ``s_values``, yielding ``(index, snapshot)``.

    The chain starts at the value closest to the model's current ``s`` and
    moves outwards, so every embedding is warm-started from its neighbour
    on the spectrum (as in Damrich et al., Fig. 1). After the walk down
    the model returns to the anchor's layout before walking up.
    """
    if len(s_values) == 0:
        raise ValueError("s_values is empty")
    order = _chain(s_values, model.s_)
    anchor_layout = None
    anchor_s = float(s_values[order[0]])
    for pos, i in enumerate(order):
        s = float(s_values[i])
        if (
            pos > 0
            and s > anchor_s
            and anchor_layout is not None
            and (float(s_values[order[pos - 1]]) < anchor_s)
        ):
            model.set_embedding(anchor_layout)  # restart the upward walk at the anchor
        snap = None
        for last in model.iter_optimize(n_epochs, s=s, every=10**9):
            snap = last
        if pos == 0:
            anchor_layout = model.embedding_.copy()
        yield i, snap


def spectrum_sweep(
    X=None,
    s_values: Sequence[float] = (-1.0, 0.0, 0.5, 1.0, 2.0),
    *,
    graph=None,
    n_epochs_each: int = 100,
    **params,
) -> tuple[np.ndarray, ContrastiveEmbedding]:
    """Embeddings for several spectrum positions, warm-started in a chain.

    The first embedding is a full :meth:`ContrastiveEmbedding.fit` at the
    value of ``s_values`` closest to 1 (UMAP-like, the most stable start);
    from there the chain moves to smaller and to larger ``s``, each run
    starting from the previous layout with ``n_epochs_each`` epochs.

    Parameters
    ----------
    X : array-like, optional
        Data (or pass ``graph``).
    s_values : sequence of float
        Spectrum positions, in any order.
    graph : optional
        Precomputed kNN graph, as for :meth:`ContrastiveEmbedding.fit`.
    n_epochs_each : int
        Epochs for every warm-started step of the chain.
    **params
        Parameters of :class:`ContrastiveEmbedding` (``s`` is ignored).

    Returns
    -------
    embeddings : ndarray, shape (len(s_values), n_samples, n_components)
        In the order of ``s_values``.
    model : ContrastiveEmbedding
        The model after the last step.
    """
    s_values = [float(v) for v in s_values]
    if not s_values:
        raise ValueError("s_values is empty")
    params.pop("s", None)
    anchor = s_values[int(np.argmin(np.abs(np.asarray(s_values) - 1.0)))]
    model = ContrastiveEmbedding(s=anchor, **params).fit(X, graph=graph)
    out = np.empty(
        (len(s_values), model.n_samples_, model.embedding_.shape[1]), np.float32
    )
    first = True
    for i, snap in iter_spectrum_sweep(model, s_values, n_epochs=n_epochs_each):
        out[i] = snap.embedding
        first = False
    assert not first
    return out, model
