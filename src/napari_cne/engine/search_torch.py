"""Exact k nearest neighbours by blocked brute force with torch (GPU, fallback).

All distances of a block of query rows to all rows (a matrix product for
the Euclidean, cosine and correlation distances, ``cdist`` for Manhattan),
then the ``k`` smallest. On the CPU :mod:`.search_faiss` is faster; this is
the GPU path and the fallback without faiss.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["torch_knn"]


def _block_distances(
    Q: torch.Tensor, X: torch.Tensor, sq_x: torch.Tensor | None, metric: str
) -> torch.Tensor:
    if metric == "manhattan":
        return torch.cdist(Q, X, p=1)
    if metric == "euclidean":
        d = Q @ X.T
        d.mul_(-2.0).add_(sq_x[None, :]).add_((Q * Q).sum(dim=1, keepdim=True))
        return d.clamp_min_(0.0)  # squared distances: same order
    return 1.0 - Q @ X.T  # cosine / correlation on normalised rows


def torch_knn(
    X: np.ndarray,
    Q: np.ndarray | None,
    kk: int,
    metric: str,
    device,
    block_bytes: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``kk`` nearest rows of ``X`` to each row of ``Q`` (None: ``X``).

    ``X`` and ``Q`` are float32 and already prepared for the metric
    (:func:`.neighbors.prepare_rows`). With ``Q=None`` each row's own index
    comes first, whatever its duplicates do. Distances are squared for the
    Euclidean metric.
    """
    Xt = torch.as_tensor(X, device=device)
    self_query = Q is None
    Qt = Xt if self_query else torch.as_tensor(Q, device=device)
    n = Xt.shape[0]
    if block_bytes is None:
        block_bytes = 2.0e9 if torch.device(device).type == "cuda" else 2.0e8
    sq_x = (Xt * Xt).sum(dim=1) if metric == "euclidean" else None
    rows = max(1, int(block_bytes // (4 * n)))
    out_i = torch.empty((Qt.shape[0], kk), dtype=torch.int64, device=device)
    out_d = torch.empty((Qt.shape[0], kk), dtype=torch.float32, device=device)
    for start in range(0, Qt.shape[0], rows):
        stop = min(start + rows, Qt.shape[0])
        d = _block_distances(Qt[start:stop], Xt, sq_x, metric)
        if self_query:  # the point itself first, whatever its duplicates do
            r = torch.arange(start, stop, device=device)
            d[r - start, r] = -1.0
        vals, idx = torch.topk(d, kk, dim=1, largest=False, sorted=True)
        out_i[start:stop] = idx
        out_d[start:stop] = vals
    return out_i.cpu().numpy(), out_d.cpu().numpy()
