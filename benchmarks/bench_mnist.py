"""Benchmark napari-cne against umap-learn, openTSNE and contrastive-ne on MNIST.

Every (method, n, repeat) runs in a fresh Python subprocess, so that peak
memory is per run and cold-start costs (imports, numba compilation) show up
in the "warm-up s" column instead of leaking into the timed fit.

Examples
--------
Smoke test (n=5000, one repeat, all methods)::

    .venv/bin/python benchmarks/bench_mnist.py --quick

Full benchmark::

    .venv/bin/python benchmarks/bench_mnist.py --n 20000 70000 --repeats 3

Cold start (fresh process, imports included, no warm-up)::

    .venv/bin/python benchmarks/bench_mnist.py --cold --n 20000

See ``benchmarks/README.md`` for what each column means.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

SCRIPT = Path(__file__).resolve()
HERE = SCRIPT.parent
REPO_ROOT = HERE.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"
RESULTS_DIR = HERE / "results"

N_PCA = 50
OURS = ("cne_s0", "cne_s05", "cne_s1")
#: Spectrum position of each of our methods.
S_OF = {"cne_s0": 0.0, "cne_s05": 0.5, "cne_s1": 1.0}
PEERS = ("umap", "opentsne", "cne_ref_s0", "cne_ref_s1")
METHODS = OURS + PEERS
COLD_METHODS = ("cne_s1", "umap")

#: Top-level module each method needs (checked with ``find_spec`` first).
MODULE = {
    "cne_s0": "napari_cne",
    "cne_s05": "napari_cne",
    "cne_s1": "napari_cne",
    "umap": "umap",
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
#: Warm-up size; umap needs >= 4096 points to take its NNDescent path.
WARMUP_N = {"umap": 5000}
WARMUP_N_DEFAULT = 2000

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)

#: What "kNN s" and "optim s" measure for each method (printed under the table).
PHASE_NOTES = {
    "cne": "cne_s*: `timings_['knn']` (exact/pynndescent kNN graph) and "
    "`timings_['optimize']` (SGD epochs); `timings_['init']` is in total only.",
    "umap": "umap: `umap.umap_.nearest_neighbors` (NNDescent) and "
    "`optimize_layout_euclidean` (SGD epochs); fuzzy simplicial set and spectral "
    "init are in total only.",
    "opentsne": "opentsne: kNN index `build()` (Annoy) and `TSNEEmbedding.optimize` "
    "(early exaggeration + main phase); perplexity calibration and PCA init are "
    "in total only.",
    "cne_ref": "cne_ref_s*: kNN = fit - optimisation - PCA init, i.e. Annoy index + "
    "sparse graph assembly + data loader (by difference); optim = "
    "`cne.cne.ContrastiveEmbedding.fit` (SGD epochs).",
}


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def prepare_data(data_path: Path, n: int, cache_dir: Path) -> tuple[Path, Path]:
    """Return cached PCA-50 features and labels of the first ``n`` MNIST rows.

    Parameters
    ----------
    data_path : Path
        ``.npz`` file with keys ``X`` (n_total, 784) and ``y`` (n_total,).
    n : int
        Number of leading rows to use.
    cache_dir : Path
        Folder for the cached ``.npy`` files (created if missing).

    Returns
    -------
    x_path, y_path : Path
        ``float32`` PCA scores of shape (n, 50) and the labels of shape (n,).
    """
    import numpy as np

    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = data_path.stem
    x_path = cache_dir / f"{stem}_pca{N_PCA}_n{n}.npy"
    y_path = cache_dir / f"{stem}_labels_n{n}.npy"
    if x_path.exists() and y_path.exists():
        return x_path, y_path
    with np.load(data_path) as data:
        if n > data["X"].shape[0]:
            raise ValueError(f"n={n} but {data_path} has {data['X'].shape[0]} rows")
        X = data["X"][:n].astype(np.float32)
        y = np.asarray(data["y"][:n])
    from sklearn.decomposition import PCA

    print(f"PCA to {N_PCA} dims for n={n} (cached in {x_path})", file=sys.stderr)
    Z = PCA(n_components=N_PCA, random_state=0).fit_transform(X)
    np.save(x_path, np.ascontiguousarray(Z, dtype=np.float32))
    np.save(y_path, y)
    return x_path, y_path


# ---------------------------------------------------------------------------
# child process: one embedding per process
# ---------------------------------------------------------------------------


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

        _set_torch_threads(threads)
        self._cls = ContrastiveEmbedding
        self.s = s
        self.model = None

    def fit(self, X):
        self.model = self._cls(s=self.s, loss="neg", random_state=0, verbose=False)
        return self.model.fit_transform(X)

    def phases(self, total: float) -> dict[str, float | None]:
        t = self.model.timings_
        return {"knn": t["knn"], "init": t["init"], "optimize": t["optimize"]}

    def extra(self) -> dict:
        m = self.model
        # `device_` is documented but (at the time of writing) not set by the
        # engine; fall back to the resolved private attribute.
        device = getattr(m, "device_", getattr(m, "_device", None))
        return {"device": str(device), "knn_method": getattr(m, "knn_method_", None)}


class _Umap(_Runner):
    def __init__(self, threads: int) -> None:
        super().__init__(threads)
        import umap
        import umap.umap_

        # UMAP.fit and simplicial_set_embedding look these names up in
        # umap.umap_'s globals, so wrapping them there times every call.
        self.watch.wrap(umap.umap_, "nearest_neighbors", "knn")
        self.watch.wrap(umap.umap_, "optimize_layout_euclidean", "optimize")
        self._cls = umap.UMAP

    def fit(self, X):
        return self._cls(n_jobs=self.threads).fit_transform(X)


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


def _make_runner(method: str, threads: int) -> _Runner:
    if method in S_OF:
        return _Ours(threads, s=S_OF[method])
    if method == "umap":
        return _Umap(threads)
    if method == "opentsne":
        return _OpenTSNE(threads)
    if method in ("cne_ref_s0", "cne_ref_s1"):
        return _CneRef(threads, s=float(method[-1]))
    raise ValueError(f"unknown method {method!r}")


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def run_child(spec: dict) -> dict:
    """Run one embedding as described by ``spec`` (inside the subprocess).

    Parameters
    ----------
    spec : dict
        ``method``, ``n``, ``repeat``, ``threads``, ``cold`` and the paths
        ``x`` and ``y`` of the cached data.

    Returns
    -------
    dict
        The raw record of this run (``status`` is ``"ok"``,
        ``"not installed"`` or an exception is raised).
    """
    import numpy as np

    method, threads = spec["method"], spec["threads"]
    out = {k: spec[k] for k in ("method", "n", "repeat", "threads", "cold")}
    X = np.load(spec["x"])
    labels = np.load(spec["y"])

    t0 = time.perf_counter()
    try:
        runner = _make_runner(method, threads)
    except ImportError as exc:
        out.update(status="not installed", error=f"{type(exc).__name__}: {exc}")
        return out
    out["import_s"] = time.perf_counter() - t0

    if not spec["cold"]:
        n_warm = min(WARMUP_N.get(method, WARMUP_N_DEFAULT), X.shape[0])
        t0 = time.perf_counter()
        runner.fit(X[:n_warm])
        if method.startswith("cne_s"):
            # our small warm-up fit uses exact kNN; the timed fit may use
            # pynndescent (large n), whose numba code compiles on first use
            from napari_cne.engine.neighbors import warm_up

            warm_up()
        out["warmup_s"] = time.perf_counter() - t0
        out["warmup_n"] = n_warm
        runner.watch.reset()

    t0 = time.perf_counter()
    Y = np.asarray(runner.fit(X))
    total = time.perf_counter() - t0
    out["peak_rss_mb"] = _peak_rss_mb()
    phases = runner.phases(total)
    out.update(
        status="ok",
        total_s=total,
        knn_s=phases["knn"],
        init_s=phases["init"],
        optim_s=phases["optimize"],
    )
    if hasattr(runner, "extra"):
        out.update(runner.extra())
    if not np.all(np.isfinite(Y)):
        out["status"] = "non-finite embedding"
        return out
    if spec["cold"]:
        return out

    # metrics after the RSS reading, identical code for every method
    from napari_cne.engine.metrics import (
        centroid_spearman,
        knn_accuracy,
        neighbor_preservation,
    )

    t0 = time.perf_counter()
    Y = Y.astype(np.float32)
    out["knn_acc"] = knn_accuracy(Y, labels, k=10, n_queries=None)
    out["np15"] = neighbor_preservation(X, Y, k=15, n_queries=5000, random_state=0)
    out["centroid_spearman"] = centroid_spearman(X, Y, labels)
    out["metrics_s"] = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------------------
# parent process
# ---------------------------------------------------------------------------


def _child_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def _tail(text: str, n: int = 1500) -> str:
    return text[-n:] if text else ""


def spawn(spec: dict, timeout: float | None) -> dict:
    """Run :func:`run_child` in a fresh interpreter and return its record.

    Parameters
    ----------
    spec : dict
        Passed to :func:`run_child` (plus the path of the result file).
    timeout : float or None
        Seconds before the subprocess is killed (status ``"timeout"``).

    Returns
    -------
    dict
        The child's record plus ``process_wall_s``: wall time of the whole
        subprocess (interpreter start, imports, data loading, fits, metrics),
        measured with ``time.perf_counter`` in the parent. If the child
        crashed, ``status`` is ``"failed"`` and ``error`` holds its stderr tail.
    """
    with tempfile.TemporaryDirectory(prefix="bench_mnist_") as tmp:
        result_path = Path(tmp) / "result.json"
        spec = dict(spec, result=str(result_path))
        cmd = [sys.executable, str(SCRIPT), "--child", json.dumps(spec)]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd,
                env=_child_env(spec["threads"]),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            record = {k: spec[k] for k in ("method", "n", "repeat", "cold")}
            stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else ""
            record.update(status="timeout", error=_tail(stderr or ""))
            return record
        wall = time.perf_counter() - t0
        if proc.returncode == 0 and result_path.exists():
            record = json.loads(result_path.read_text())
        else:
            record = {k: spec[k] for k in ("method", "n", "repeat", "cold")}
            record.update(
                status="failed",
                returncode=proc.returncode,
                error=_tail(proc.stderr),
            )
    record["process_wall_s"] = wall
    return record


def _versions() -> dict:
    out = {}
    for dist in ("numpy", "torch", "scikit-learn", "numba", "pynndescent", "annoy"):
        out[dist] = _dist_version(dist)
    for dist in DISTRIBUTION.values():
        out[dist] = _dist_version(dist)
    return out


def _dist_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return proc.stdout.strip() or None


def _meta(args: argparse.Namespace, methods: list[str], ns: list[int]) -> dict:
    return {
        "date": datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "mode": "cold" if args.cold else "warm",
        "methods": methods,
        "n": ns,
        "repeats": args.repeats,
        "threads": args.threads,
        "data": str(args.data),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "git_commit": _git_commit(),
        "versions": _versions(),
    }


def _installed(method: str) -> bool:
    return find_spec(MODULE[method]) is not None


def _median(records: list[dict], key: str) -> float | None:
    vals = [r[key] for r in records if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _status_of(records: list[dict]) -> str:
    """Why a (method, n) cell has no successful run."""
    if not records:
        return "not run"
    statuses = {r["status"] for r in records}
    if statuses == {"not installed"}:
        return "not installed"
    return "/".join(sorted(statuses))


def summarize(runs: list[dict], methods: list[str], ns: list[int]) -> list[dict]:
    """Medians over repeats for each (method, n).

    Parameters
    ----------
    runs : list of dict
        Raw records from :func:`spawn`.
    methods, ns : list
        Order of the rows.

    Returns
    -------
    list of dict
        One entry per (n, method) with ``reps`` successful repeats, the
        medians of the numeric fields and a ``status`` string.
    """
    keys = (
        "total_s",
        "knn_s",
        "init_s",
        "optim_s",
        "peak_rss_mb",
        "knn_acc",
        "np15",
        "centroid_spearman",
        "warmup_s",
        "import_s",
        "process_wall_s",
    )
    out = []
    for n in ns:
        for method in methods:
            mine = [r for r in runs if r["method"] == method and r["n"] == n]
            ok = [r for r in mine if r["status"] == "ok"]
            row = {"method": method, "n": n, "reps": len(ok)}
            row["status"] = "ok" if ok else _status_of(mine)
            for key in keys:
                row[key] = _median(ok, key)
            if ok and "process_wall_s" in ok[0]:
                row["first_process_wall_s"] = ok[0]["process_wall_s"]
            out.append(row)
    return out


def results_table(summary: list[dict]) -> str:
    """Markdown table of the warm benchmark (one row per method and n)."""
    headers = [
        "method",
        "n",
        "reps",
        "total s (median)",
        "kNN s",
        "optim s",
        "peak RSS MB",
        "10-NN acc",
        "NP@15",
        "centroid Spearman",
        "warm-up s",
    ]
    rows = []
    for s in summary:
        if s["reps"] == 0:
            rows.append([s["method"], str(s["n"]), "0", s["status"]] + ["-"] * 7)
            continue
        rows.append(
            [
                s["method"],
                str(s["n"]),
                str(s["reps"]),
                _fmt(s["total_s"], 2),
                _fmt(s["knn_s"], 2),
                _fmt(s["optim_s"], 2),
                _fmt(s["peak_rss_mb"], 0),
                _fmt(s["knn_acc"], 3),
                _fmt(s["np15"], 3),
                _fmt(s["centroid_spearman"], 3),
                _fmt(s["warmup_s"], 2),
            ]
        )
    return _markdown(headers, rows)


def ratio_table(summary: list[dict], methods: list[str], ns: list[int]) -> str:
    """Markdown table of our median total time divided by each peer's."""
    ours = [m for m in methods if m in OURS]
    peers = [m for m in methods if m in PEERS]
    if not ours or not peers:
        return ""
    total = {(s["method"], s["n"]): s["total_s"] for s in summary}
    headers = ["n", "ours"] + [f"ours / {p}" for p in peers]
    rows = []
    for n in ns:
        for m in ours:
            row = [str(n), m]
            for p in peers:
                a, b = total.get((m, n)), total.get((p, n))
                row.append("-" if a is None or not b else f"{a / b:.2f}")
            rows.append(row)
    return _markdown(headers, rows)


def cold_table(summary: list[dict]) -> str:
    """Markdown table of the cold-start runs."""
    headers = [
        "method",
        "n",
        "reps",
        "wall s from process start (median)",
        "first run s",
        "import s",
        "fit s",
        "kNN s",
        "optim s",
        "peak RSS MB",
    ]
    rows = []
    for s in summary:
        if s["reps"] == 0:
            rows.append([s["method"], str(s["n"]), "0", s["status"]] + ["-"] * 6)
            continue
        rows.append(
            [
                s["method"],
                str(s["n"]),
                str(s["reps"]),
                _fmt(s["process_wall_s"], 2),
                _fmt(s.get("first_process_wall_s"), 2),
                _fmt(s["import_s"], 2),
                _fmt(s["total_s"], 2),
                _fmt(s["knn_s"], 2),
                _fmt(s["optim_s"], 2),
                _fmt(s["peak_rss_mb"], 0),
            ]
        )
    return _markdown(headers, rows)


def _phase_notes(methods: list[str]) -> str:
    groups = []
    for m in methods:
        g = "cne" if m in OURS else ("cne_ref" if m.startswith("cne_ref") else m)
        if g not in groups:
            groups.append(g)
    return "\n".join(f"- {PHASE_NOTES[g]}" for g in groups)


def _progress(rec: dict) -> None:
    head = f"[{rec['method']} n={rec['n']} rep={rec['repeat']}]"
    if rec["status"] != "ok":
        msg = rec.get("error", "").strip().splitlines()
        print(f"{head} {rec['status']}: {msg[-1] if msg else ''}", file=sys.stderr)
        return
    parts = [f"total {rec['total_s']:.2f} s"]
    if rec.get("warmup_s") is not None:
        parts.append(f"warm-up {rec['warmup_s']:.2f} s")
    parts.append(f"process {rec['process_wall_s']:.2f} s")
    parts.append(f"RSS {rec['peak_rss_mb']:.0f} MB")
    if rec.get("knn_acc") is not None:
        parts.append(f"acc {rec['knn_acc']:.3f}")
    print(f"{head} " + ", ".join(parts), file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--n",
        type=int,
        nargs="+",
        default=[20000, 70000],
        help="dataset sizes (default: 20000 70000)",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=None,
        metavar="METHOD",
        help=f"some of {' '.join(METHODS)} (default: all; with --cold: cne_s1 umap)",
    )
    p.add_argument("--repeats", type=int, default=3, help="(default: 3)")
    p.add_argument("--threads", type=int, default=2, help="(default: 2)")
    p.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"(default: {DEFAULT_DATA})"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="raw results JSON (default: benchmarks/results/mnist[_cold]_<time>.json)",
    )
    p.add_argument(
        "--quick", action="store_true", help="smoke test: --n 5000 --repeats 1"
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="first embedding in a fresh process, imports included, no warm-up",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds per subprocess (default: 3600)",
    )
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Process exit code.
    """
    args = _parser().parse_args(argv)
    if args.child is not None:
        spec = json.loads(args.child)
        record = run_child(spec)
        Path(spec["result"]).write_text(json.dumps(record))
        return 0

    if args.quick:
        args.n, args.repeats = [5000], 1
    methods = args.methods or list(COLD_METHODS if args.cold else METHODS)
    ns = list(args.n)
    if args.out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        tag = "mnist_cold" if args.cold else "mnist"
        args.out = RESULTS_DIR / f"{tag}_{stamp}.json"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.data.exists():
        print(f"data file not found: {args.data} (use --data)", file=sys.stderr)
        return 2

    report = {"meta": _meta(args, methods, ns), "runs": []}
    runs = report["runs"]
    missing = {m for m in methods if not _installed(m)}
    for m in sorted(missing):
        dist = DISTRIBUTION.get(MODULE[m], MODULE[m])
        print(f"{m}: not installed (pip install {dist})", file=sys.stderr)

    for n in ns:
        x_path, y_path = prepare_data(args.data, n, RESULTS_DIR)
        # repeats in the outer loop, so slow drift of the machine's load
        # affects all methods alike
        for rep in range(args.repeats):
            for method in methods:
                base = {"method": method, "n": n, "repeat": rep, "cold": args.cold}
                if method in missing:
                    if rep == 0:
                        runs.append(dict(base, status="not installed"))
                    continue
                spec = dict(base, threads=args.threads, x=str(x_path), y=str(y_path))
                rec = spawn(spec, args.timeout)
                runs.append(rec)
                _progress(rec)
                if rec["status"] == "not installed":
                    missing.add(method)
                args.out.write_text(json.dumps(report, indent=1))

    summary = summarize(runs, methods, ns)
    report["summary"] = summary
    args.out.write_text(json.dumps(report, indent=1))

    threads = f"{args.threads} thread(s)"
    if args.cold:
        print(f"## Cold start, MNIST PCA-{N_PCA}, {threads}\n")
        print(cold_table(summary))
    else:
        print(f"## MNIST PCA-{N_PCA}, {threads}, medians over repeats\n")
        print(results_table(summary))
        ratios = ratio_table(summary, methods, ns)
        if ratios:
            print("\n### Median total time, ours / peer (below 1: we are faster)\n")
            print(ratios)
    print("\nPhases:\n" + _phase_notes(methods))
    print(f"\nRaw results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
