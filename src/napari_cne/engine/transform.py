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

from . import threads
from .losses import GRAD_CLIP
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
    "training_rows",
    "transform",
]

TRANSFORM_METHODS = ("auto", "network", "optimize", "interpolate")
#: neighbours whose positions ``"interpolate"`` averages
INTERPOLATE_K = 10
#: up to this many features, the exact search is a k-d tree
KD_TREE_DIMS = 12


def check_new_data(model, X_new) -> np.ndarray:
    """Return new data as the columns the fitted ``model`` uses (float32), or raise.

    ``X_new`` has the columns the model was fitted on (their number, and
    their names for a DataFrame, are checked as scikit-learn does); the
    constant ones the model dropped are dropped again.
    """
    from sklearn.utils.validation import validate_data

    Xn, _, _ = check_data(X_new, name="X_new", drop_constant=False)
    validate_data(model, X_new, reset=False, skip_check_array=True)
    return np.ascontiguousarray(Xn[:, model.kept_features_])


def training_rows(X_train: np.ndarray, X_new: np.ndarray) -> np.ndarray:
    """Return, for each new row, the first training row equal to it (or -1).

    Rows are matched by a hash of their values, then compared exactly.
    """
    from .kernels.place import row_keys

    known = row_keys(X_train, 0)
    order = np.argsort(known, kind="stable")
    known = known[order]
    keys = row_keys(X_new, 0)
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    match = order[at]
    same = (known[at] == keys) & (X_train[match] == X_new).all(axis=1)
    return np.where(same, match, -1)


def place_points(
    Y_train: np.ndarray,
    neighbours: np.ndarray,
    heads,
    keys: np.ndarray,
    *,
    loss: str,
    spec: EpochSpec,
    nu: float,
    negative_samples: int,
    learning_rate: float,
    n_epochs: int,
) -> np.ndarray:
    """Place new points into a fixed layout (non-parametric ``transform``).

    Each new point starts at the mean of its nearest training points and is
    optimised against the fixed training layout with the fitted loss and
    spectrum (the training layout does not move), on its own: its random
    numbers come from its ``key`` (:func:`.kernels.place.row_keys`), so it
    lands on the same place alone, in any batch and in any order
    (:func:`.kernels.place.place_rows`).

    Parameters
    ----------
    Y_train : ndarray (n, d)
        The fitted layout.
    neighbours : int array (n_new, k)
        Each new point's nearest training points (its positive partners).
    heads : int array (E,)
        Heads of the training edges: negatives are drawn among them, i.e.
        in proportion to the degree, as in training.
    keys : uint64 array (n_new,)
        Each new point's random key.
    loss, spec, nu :
        The loss, its constants and the noise ratio in effect.
    negative_samples, learning_rate, n_epochs :
        Negatives per edge, initial rate (linear decay), epochs.

    Returns
    -------
    ndarray of float32, shape (n_new, d)
    """
    from .kernels.place import place_rows
    from .kernels.sgd import LOSS_CODES

    return place_rows(
        np.ascontiguousarray(Y_train, dtype=np.float32),
        np.ascontiguousarray(neighbours, dtype=np.int64),
        np.ascontiguousarray(heads, dtype=np.int64),
        np.ascontiguousarray(keys, dtype=np.uint64),
        LOSS_CODES[loss],
        float(nu),
        float(spec.rho),
        float(spec.eps),
        float(spec.b),
        float(spec.blend),
        1.0,
        float(spec.neg_weight),
        int(negative_samples),
        float(learning_rate),
        int(n_epochs),
        GRAD_CLIP,
    )


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
    # summed neighbour by neighbour: the same order for every row, whatever
    # the batch (einsum and BLAS group sums by the batch's shape)
    out = np.zeros((len(ind), Y.shape[1]))
    for j in range(ind.shape[1]):
        out += w[:, j, None] * Y[ind[:, j]]
    return out.astype(np.float32)


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


def transform(model, X_new, n_epochs: int, method: str) -> np.ndarray:
    """Place the rows of ``X_new`` into the layout of a fitted ``model``.

    See :meth:`napari_cne.ContrastiveEmbedding.transform`; ``method`` is
    resolved ("network", "optimize" or "interpolate"). Reads the model's
    public fitted attributes only.
    """
    X_train = model.training_data_
    Xn = check_new_data(model, X_new)
    with threads.limited(model.n_jobs_):
        if method == "network":
            return model.network_.transform(Xn)
        Y = np.asarray(model.embedding_, np.float32)
        if method == "interpolate":
            out = interpolate_points(
                X_train, Y, Xn, metric=model.metric_, n_jobs=model.n_jobs_
            )
        else:
            out = _optimize(model, Xn, n_epochs)
    known = training_rows(X_train, Xn)  # a training row keeps its own place
    out[known >= 0] = Y[known[known >= 0]]
    return out


def _optimize(model, Xn, n_epochs: int) -> np.ndarray:
    from .kernels.place import row_keys

    X_train = model.training_data_
    k = min(model.n_neighbors_ or 15, X_train.shape[0])
    ind, _ = nearest_rows(X_train, Xn, k, model.metric_, model.n_jobs_)
    m = int(model.negative_samples)
    spec = model.spectrum_.at(model.s_)
    return place_points(
        model.embedding_,
        ind,
        model.graph_.tocoo().row,
        row_keys(Xn, model.seed_ + 1),
        loss=model.loss,
        spec=spec,
        nu=m * model.z_ if model.loss == "nce" else spec.nu,
        negative_samples=m,
        learning_rate=model.learning_rate_,
        n_epochs=n_epochs,
    )
