"""The methods bench_mnist.py races: our engine and its peers, each at its fastest.

Every runner has ``fit(X) -> Y`` and reports the phases (kNN, init,
optimisation) of its last fit. Peers are imported only when a runner is
made, in the child process that times it.
"""

from __future__ import annotations

import functools
import time

#: Spectrum position of each of our methods.
S_OF = {
    "cne_s-1": -1.0,
    "cne_s0": 0.0,
    "cne_s025": 0.25,
    "cne_s05": 0.5,
    "cne_s075": 0.75,
    "cne_s1": 1.0,
    "cne_s2": 2.0,
}
OURS = tuple(S_OF)
PEERS = ("umap", "umap_seed", "opentsne", "cne_ref_s0", "cne_ref_s1")
METHODS = OURS + PEERS
#: Top-level module each method needs (checked with ``find_spec`` first).
MODULE = {
    **dict.fromkeys(OURS, "napari_cne"),
    "umap": "umap",
    "umap_seed": "umap",
    "opentsne": "openTSNE",
    "cne_ref_s0": "cne",
    "cne_ref_s1": "cne",
}
#: Distribution names, for the version record and the "pip install" hint.
DISTRIBUTION = {
    "napari_cne": "napari-cne",
    "umap": "umap-learn",
    "openTSNE": "openTSNE",
    "cne": "contrastive-ne",
}

__all__ = ["DISTRIBUTION", "METHODS", "MODULE", "OURS", "PEERS", "S_OF", "make_runner"]


class _Stopwatch:
    """Accumulate wall time spent inside selected functions of a peer library.

    The peers' public ``fit`` is called unchanged; we only replace a few of
    their internal functions by timing wrappers (in the child process only)
    so that the kNN and optimisation phases can be reported separately.
    Nested or recursive calls under the same key are counted once.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._depth: dict[str, int] = {}

    def wrap(self, owner, name: str, key: str) -> None:
        """Replace ``owner.name`` by a wrapper that times it under ``key``."""
        original = getattr(owner, name)
        watch = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            depth = watch._depth.get(key, 0)
            watch._depth[key] = depth + 1
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                watch._depth[key] = depth
                if depth == 0:
                    dt = time.perf_counter() - t0
                    watch.seconds[key] = watch.seconds.get(key, 0.0) + dt
                    watch.calls[key] = watch.calls.get(key, 0) + 1

        setattr(owner, name, timed)

    def reset(self) -> None:
        """Forget all accumulated times."""
        self.seconds.clear()
        self.calls.clear()

    def get(self, key: str) -> float | None:
        """Seconds accumulated under ``key``, or ``None`` if never called."""
        return self.seconds[key] if self.calls.get(key) else None


class _Runner:
    """One method: ``fit(X) -> Y`` and the phase split of the last fit."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.watch = _Stopwatch()

    def fit(self, X):
        raise NotImplementedError

    def phases(self, total: float) -> dict[str, float | None]:
        """Return ``{"knn": s, "init": s, "optimize": s}`` (``None`` if unknown)."""
        return {
            "knn": self.watch.get("knn"),
            "init": self.watch.get("init"),
            "optimize": self.watch.get("optimize"),
        }


def _set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


class _Ours(_Runner):
    def __init__(self, threads: int, s: float) -> None:
        super().__init__(threads)
        from napari_cne import ContrastiveEmbedding

        self._cls = ContrastiveEmbedding
        self.s = s
        self.model = None

    def fit(self, X):
        self.model = self._cls(
            s=self.s, loss="neg", random_state=0, n_jobs=self.threads, verbose=False
        )
        return self.model.fit_transform(X)

    def phases(self, total: float) -> dict[str, float | None]:
        t = self.model.timings_
        return {"knn": t["knn"], "init": t["init"], "optimize": t["optimize"]}

    def extra(self) -> dict:
        m = self.model
        return {
            "device": str(m.device_),
            "knn_method": m.knn_method_,
            "n_jobs": m.n_jobs_,
            "phases": getattr(m._backend, "phases", None),
        }


class _Umap(_Runner):
    """umap-learn: parallel without a seed (its fastest), or seeded (one thread).

    A seed turns umap-learn's parallel optimisation off; that is what a user
    who needs reproducibility gets, so it is a column of its own.
    """

    def __init__(self, threads: int, seed: int | None = None) -> None:
        super().__init__(threads)
        self.seed = seed
        import umap
        import umap.umap_

        # UMAP.fit and simplicial_set_embedding look these names up in
        # umap.umap_'s globals, so wrapping them there times every call.
        self.watch.wrap(umap.umap_, "nearest_neighbors", "knn")
        self.watch.wrap(umap.umap_, "optimize_layout_euclidean", "optimize")
        self._cls = umap.UMAP

    def fit(self, X):
        return self._cls(n_jobs=self.threads, random_state=self.seed).fit_transform(X)


class _OpenTSNE(_Runner):
    def __init__(self, threads: int) -> None:
        super().__init__(threads)
        import openTSNE
        import openTSNE.nearest_neighbors as onn
        import openTSNE.tsne

        todo = [onn.KNNIndex]
        while todo:
            cls = todo.pop()
            todo.extend(cls.__subclasses__())
            if "build" in vars(cls):
                self.watch.wrap(cls, "build", "knn")
        self.watch.wrap(openTSNE.tsne.TSNEEmbedding, "optimize", "optimize")
        self._cls = openTSNE.TSNE

    def fit(self, X):
        import numpy as np

        tsne = self._cls(n_jobs=self.threads, random_state=0)
        return np.asarray(tsne.fit(X))


class _CneRef(_Runner):
    def __init__(self, threads: int, s: float) -> None:
        super().__init__(threads)
        # contrastive-ne 0.4.0 declares torchvision and pykeops as dependencies
        # but never imports torchvision, and imports pykeops only inside fit when
        # CUDA is available (falling back to Annoy on ImportError). So a plain
        # `pip install --no-deps contrastive-ne annoy` imports fine; no stub.
        import cne
        import cne._cne
        import cne.cne

        _set_torch_threads(threads)
        self.watch.wrap(cne.cne.ContrastiveEmbedding, "fit", "optimize")
        # cne._cne.PCA is scikit-learn's PCA class (its PCA init); it is
        # patched in this child process only.
        self.watch.wrap(cne._cne.PCA, "fit_transform", "init")
        self._cls = cne.CNE
        self.s = s

    def fit(self, X):
        return self._cls(loss_mode="neg", s=self.s, seed=0).fit_transform(X)

    def phases(self, total: float) -> dict[str, float | None]:
        out = super().phases(total)
        if out["optimize"] is not None:
            out["knn"] = total - out["optimize"] - (out["init"] or 0.0)
        return out


def make_runner(method: str, threads: int) -> _Runner:
    if method in S_OF:
        return _Ours(threads, s=S_OF[method])
    if method == "umap":
        return _Umap(threads)
    if method == "umap_seed":
        return _Umap(threads, seed=0)
    if method == "opentsne":
        return _OpenTSNE(threads)
    if method in ("cne_ref_s0", "cne_ref_s1"):
        return _CneRef(threads, s=float(method[-1]))
    raise ValueError(f"unknown method {method!r}")
