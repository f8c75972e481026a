"""Initial layouts: PCA, spectral (Laplacian eigenmaps of the graph), random."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

__all__ = ["initial_layout", "pca_init", "random_init", "rescale", "spectral_init"]

#: Standard deviation of the first coordinate of an initial layout
#: (contrastive-ne 0.4.0 uses 1e-4: the first epochs then grow the layout).
INIT_STD = 1e-4


def rescale(Y: np.ndarray, std: float = INIT_STD) -> np.ndarray:
    """Centre ``Y`` and scale it so that its first column has std ``std``."""
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y - Y.mean(axis=0)
    s = Y[:, 0].std()
    if s > 0:
        Y = Y * (std / s)
    return Y.astype(np.float32)


def _fix_signs(V: np.ndarray) -> np.ndarray:
    # deterministic orientation: the largest-magnitude entry of each column > 0
    idx = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[idx, np.arange(V.shape[1])])
    signs[signs == 0] = 1
    return V * signs


def random_init(n: int, n_components: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian random layout with first-coordinate std :data:`INIT_STD`."""
    return rescale(rng.standard_normal((n, n_components)))


def pca_init(X: np.ndarray, n_components: int, rng: np.random.Generator) -> np.ndarray:
    """Leading principal components of ``X``, rescaled.

    Components missing because ``X`` has fewer informative directions than
    ``n_components`` are filled with tiny noise.
    """
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    d = Xc.shape[1]
    if d <= 2000:
        cov = Xc.T @ Xc
        w, V = np.linalg.eigh(cov)
        order = np.argsort(w)[::-1]
        w, V = w[order], V[:, order]
        keep = min(n_components, int((w > w[0] * 1e-10).sum()) if w[0] > 0 else 0)
        V = _fix_signs(V[:, :keep])
        Y = Xc @ V
    else:
        U, S, _ = np.linalg.svd(Xc, full_matrices=False)
        keep = min(n_components, int((S[0] * 1e-5 < S).sum()) if S[0] > 0 else 0)
        Y = _fix_signs(U[:, :keep]) * S[:keep]
    if keep < n_components:
        scale = Y[:, 0].std() if keep else 1.0
        extra = rng.standard_normal((X.shape[0], n_components - keep)) * scale * 1e-2
        Y = np.hstack([Y, extra]) if keep else extra
    return rescale(Y)


def spectral_init(
    graph: sp.spmatrix, n_components: int, rng: np.random.Generator
) -> np.ndarray:
    """Laplacian eigenmaps of the graph (generalised problem ``A v = l D v``).

    Falls back to a random layout (with a warning) when the eigensolver
    does not converge, e.g. for a graph with many connected components.
    """
    from scipy.sparse.linalg import eigsh

    A = sp.csr_matrix(graph, dtype=np.float64)
    n = A.shape[0]
    deg = np.asarray(A.sum(axis=1)).ravel()
    deg[deg == 0] = 1.0
    dinv = sp.diags(1.0 / np.sqrt(deg))
    M = dinv @ A @ dinv  # symmetric normalised adjacency
    k = n_components + 1
    try:
        if n <= 2000:
            w, V = np.linalg.eigh(M.toarray())
            order = np.argsort(w)[::-1][:k]
        else:
            v0 = rng.standard_normal(n)
            w, V = eigsh(M, k=k, which="LA", v0=v0, tol=1e-4, maxiter=n * 5)
            order = np.argsort(w)[::-1]
        V = V[:, order] / np.sqrt(deg)[:, None]  # back to the generalised problem
        Y = _fix_signs(V[:, 1:k])
    except Exception as err:  # ArpackNoConvergence and friends
        warnings.warn(
            f"spectral initialisation failed ({err}); using a random layout",
            RuntimeWarning,
            stacklevel=3,
        )
        return random_init(n, n_components, rng)
    Y = Y + rng.standard_normal(Y.shape) * 1e-2 * Y[:, 0].std()
    return rescale(Y)


def initial_layout(init, X, graph: sp.spmatrix, n_components: int, rng) -> np.ndarray:
    """Return the initial layout of a fit, rescaled (float32, ``(n, d)``).

    Parameters
    ----------
    init : {"pca", "spectral", "random"} or array of shape (n, n_components)
        ``"pca"`` falls back to ``"spectral"`` when there is only a graph.
    X : ndarray or None
        The data.
    graph : scipy.sparse matrix
        The training graph.
    n_components : int
        Layout dimension.
    rng : numpy.random.Generator
    """
    n, d = graph.shape[0], int(n_components)
    if isinstance(init, str):
        if init == "pca" and X is None:
            init = "spectral"
        if init == "pca":
            return pca_init(X, d, rng)
        if init == "spectral":
            return spectral_init(graph, d, rng)
        return random_init(n, d, rng)
    Y0 = np.asarray(init, dtype=np.float64)
    if Y0.shape != (n, d):
        raise ValueError(f"init array must have shape ({n}, {d}); got {Y0.shape}")
    if not np.isfinite(Y0).all():
        raise ValueError("init array contains NaN or infinite values")
    return rescale(Y0)
