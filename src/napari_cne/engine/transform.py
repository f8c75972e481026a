"""Placing new points into a fitted layout (``ContrastiveEmbedding.transform``).

Three ways, by ``method``:

- ``"network"``: a parametric model runs its network (:mod:`.parametric`);
- ``"optimize"``: :func:`place_points` starts each new point at its
  nearest training points and optimises it against the fixed layout;
- ``"interpolate"``: :func:`interpolate_points` puts it at the
  distance-weighted mean of its nearest training points' positions, in
  one kNN search: fast enough for every pixel of a large image, chunk by
  chunk.
"""

from __future__ import annotations

import numpy as np
import torch

from . import threads
from .backends.torch_backend import constants
from .losses import GRAD_CLIP, pair_forces
from .neighbors import exact_knn, resolve_metric
from .spectrum import EpochSpec
from .validation import check_data

__all__ = [
    "TRANSFORM_METHODS",
    "check_new_data",
    "interpolate_points",
    "nearest_rows",
    "place_points",
    "resolve_method",
    "transform",
]

TRANSFORM_METHODS = ("auto", "network", "optimize", "interpolate")
#: neighbours whose positions ``"interpolate"`` averages
INTERPOLATE_K = 10
#: up to this many features, the exact search is a k-d tree
KD_TREE_DIMS = 12


def check_new_data(X_new, kept_columns, n_features_orig: int, n_features_in: int):
    """Return new data as the model's columns (float32), or raise.

    ``X_new`` may have all the columns the model was fitted on (the constant
    ones it dropped are dropped again) or only the kept ones.
    """
    Xn, _, _ = check_data(X_new, name="X_new", drop_constant=False)
    if Xn.shape[1] == n_features_orig:
        return np.ascontiguousarray(Xn[:, kept_columns])
    if Xn.shape[1] != n_features_in:
        raise ValueError(
            f"X_new has {Xn.shape[1]} features; the model was fitted on "
            f"{n_features_orig}"
        )
    return Xn


def place_points(
    Y_train: np.ndarray,
    neighbours: np.ndarray,
    heads,
    *,
    loss: str,
    spec: EpochSpec,
    nu: float,
    negative_samples: int,
    learning_rate: float,
    n_epochs: int,
    seed: int,
    device: torch.device,
) -> np.ndarray:
    """Place new points into a fixed layout (non-parametric ``transform``).

    Each new point starts at the mean of its nearest training points and is
    optimised against the fixed training layout with the fitted loss and
    spectrum (the training layout does not move).

    Parameters
    ----------
    Y_train : ndarray (n, d)
        The fitted layout.
    neighbours : int array (n_new, k)
        Each new point's nearest training points (its positive partners).
    heads : int array (E,)
        Heads of the training edges: negatives are drawn among them, i.e.
        in proportion to the degree, as in training.
    loss, spec, nu :
        The loss, its constants and the noise ratio in effect.
    negative_samples, learning_rate, n_epochs, seed :
        Negatives per edge, initial rate (linear decay), epochs, seed.
    device : torch.device

    Returns
    -------
    ndarray (n_new, d)
    """
    Yt = torch.as_tensor(Y_train, device=device)
    heads = torch.as_tensor(np.asarray(heads, np.int64), device=device)
    ind = torch.as_tensor(neighbours, device=device)
    k = ind.shape[1]
    Ynew = Yt[ind].mean(dim=1).clone()
    h = torch.arange(Ynew.shape[0], device=device).repeat_interleave(k)
    t = ind.reshape(-1)
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    n_edges = heads.shape[0]
    with torch.no_grad():
        for e in range(int(n_epochs)):
            lr = learning_rate * (1.0 - e / n_epochs)
            # noise like in training: endpoints of random edges (degree-weighted)
            draw = torch.randint(
                0, n_edges, (h.shape[0], negative_samples), generator=gen, device=device
            )
            f_pos, f_neg, _ = pair_forces(
                loss, Ynew[h], Yt[t], Yt[heads[draw]], **constants(spec, nu)
            )
            f = f_pos + f_neg.sum(1)
            grad = torch.zeros_like(Ynew).index_add_(0, h, f)
            grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
            Ynew.add_(grad, alpha=-lr)
    return Ynew.cpu().numpy()


def nearest_rows(X_train, X_new, k: int, metric: str, n_jobs=None):
    """Return the exact ``k`` nearest training rows of each new row and distances.

    In few dimensions (pixels: a handful of channels) scipy's k-d tree is
    much faster than a flat scan; otherwise faiss's flat index
    (:func:`~.neighbors.exact_knn`).
    """
    if resolve_metric(metric) == "euclidean" and np.shape(X_train)[1] <= KD_TREE_DIMS:
        from scipy.spatial import cKDTree

        tree = cKDTree(np.asarray(X_train, np.float64))
        workers = threads.resolve_n_jobs(n_jobs)
        dist, ind = tree.query(np.asarray(X_new, np.float64), k=k, workers=workers)
        if k == 1:
            dist, ind = dist[:, None], ind[:, None]
        return ind.astype(np.int64), dist.astype(np.float32)
    return exact_knn(X_train, k, metric, query=X_new, n_jobs=n_jobs)


def interpolate_points(
    X_train, Y_train, X_new, k: int = INTERPOLATE_K, metric: str = "euclidean",
    n_jobs: int | None = None,
) -> np.ndarray:  # fmt: skip
    """Return each new row's position: the weighted mean of its nearest ones'.

    The ``k`` nearest training rows (exact search) are weighted by ``1 /
    (d + d_1 / 10 + 1e-12)``, ``d_1`` the nearest one's distance: a row that
    coincides with a training row lands on it, one between several lands
    between them.

    Parameters
    ----------
    X_train, Y_train : ndarray (n, d) and (n, n_components)
        The fitted data and layout.
    X_new : ndarray (m, d)
    k : int
    metric : str
    n_jobs : int, optional

    Returns
    -------
    ndarray of float32, shape (m, n_components)
    """
    k = int(min(k, X_train.shape[0]))
    ind, dist = nearest_rows(X_train, X_new, k, metric, n_jobs)
    dist = dist.astype(np.float64)
    w = 1.0 / (dist + dist[:, :1] / 10.0 + 1e-12)
    w /= w.sum(axis=1, keepdims=True)
    Y = np.asarray(Y_train, np.float64)
    return np.einsum("mk,mkc->mc", w, Y[ind]).astype(np.float32)


def resolve_method(method: str, parametric: bool, has_data: bool = True) -> str:
    """Return the placing method ``method`` stands for, or raise ``ValueError``.

    ``"auto"``: ``"network"`` for a parametric model, else ``"optimize"``.
    """
    if method not in TRANSFORM_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(TRANSFORM_METHODS)}; got {method!r}"
        )
    if not has_data:
        raise ValueError("transform needs a model fitted on data X, not a graph")
    if method == "network" and not parametric:
        raise ValueError("method='network' needs a parametric model")
    if method == "auto":
        return "network" if parametric else "optimize"
    return method


def transform(model, X_new, n_epochs: int, method: str = "auto") -> np.ndarray:
    """Place the rows of ``X_new`` into the layout of a fitted ``model``.

    See :meth:`napari_cne.ContrastiveEmbedding.transform`.
    """
    method = resolve_method(method, model._network is not None, model._X is not None)
    Xn = check_new_data(
        X_new, model._kept_columns, model._n_features_orig, model.n_features_in_
    )
    with threads.limited(model.n_jobs_):
        if method == "network":
            return model._network.transform(Xn).cpu().numpy()
        if method == "interpolate":
            return interpolate_points(
                model._X, model.embedding_, Xn, metric=model._metric,
                n_jobs=model.n_jobs_,
            )  # fmt: skip
        return _optimize(model, Xn, n_epochs)


def _optimize(model, Xn, n_epochs: int) -> np.ndarray:
    k = min(model.n_neighbors_ or 15, model._X.shape[0])
    dev = model._device
    ind, _ = exact_knn(model._X, k, model._metric, query=Xn, device=dev)
    m = int(model.negative_samples)
    spec = model._spectrum.at(model.s_)
    nce = model._nce
    return place_points(
        model._backend.layout(),
        ind,
        model.graph_.tocoo().row,
        loss=model.loss,
        spec=spec,
        nu=nce.nu(m) if nce is not None else spec.nu,
        negative_samples=m,
        learning_rate=model.learning_rate_,
        n_epochs=n_epochs,
        seed=model._seed + 1,
        device=dev,
    )
