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
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

SCRIPT = Path(__file__).resolve()
HERE = SCRIPT.parent
REPO_ROOT = HERE.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"
RESULTS_DIR = HERE / "results"
sys.path.insert(0, str(HERE))

from peers import DISTRIBUTION, METHODS, MODULE, OURS, make_runner  # noqa: E402
from report import (  # noqa: E402
    cold_table,
    installed,
    paths_table,
    ratio_table,
    results_table,
    summarize,
    target_lines,
    thread_table,
)

N_PCA = 50
COLD_METHODS = ("cne_s1", "umap")
#: Warm-up size; umap needs >= 4096 points to take its NNDescent path.
WARMUP_N = {"umap": 5000, "umap_seed": 5000}
WARMUP_N_DEFAULT = 2000
#: The first, small fit of mode "second" (a notebook user's first try).
SECOND_FIT_N = 5000

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)

#: What "kNN s" and "optim s" measure for each method (printed under the table).
PHASE_NOTES = {
    "cne": "cne_s*: `timings_['knn']` (exact/IVF kNN graph) and "
    "`timings_['optimize']` (SGD epochs); `timings_['init']` is in total only.",
    "umap": "umap: `umap.umap_.nearest_neighbors` (NNDescent) and "
    "`optimize_layout_euclidean` (SGD epochs); fuzzy simplicial set and spectral "
    "init are in total only. umap_seed: the same with random_state=0, which "
    "turns umap-learn's parallel optimisation off.",
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


def load_data(n: int, data_path: Path = DEFAULT_DATA, cache_dir: Path = RESULTS_DIR):
    """Return the PCA-50 features and labels of the first ``n`` MNIST rows (arrays).

    :func:`prepare_data`'s cached files, loaded.
    """
    import numpy as np

    x_path, y_path = prepare_data(data_path, n, cache_dir)
    return np.load(x_path), np.load(y_path)


# ---------------------------------------------------------------------------
# child process: one embedding per process
# ---------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def run_child(spec: dict) -> dict:
    """Run one embedding as described by ``spec`` (inside the subprocess).

    Parameters
    ----------
    spec : dict
        ``method``, ``n``, ``repeat``, ``threads``, ``mode`` (``"cold"``:
        the first fit of a fresh process; ``"second"``: after a small first
        fit, without ``warm_up()``; ``"warm"``: after a warm-up fit and
        ``warm_up()``) and the paths ``x`` and ``y`` of the cached data.

    Returns
    -------
    dict
        The raw record of this run (``status`` is ``"ok"``,
        ``"not installed"`` or an exception is raised).
    """
    import numpy as np

    method, threads = spec["method"], spec["threads"]
    out = {k: spec[k] for k in ("method", "n", "repeat", "threads", "mode")}
    X = np.load(spec["x"])
    labels = np.load(spec["y"])

    t0 = time.perf_counter()
    try:
        runner = make_runner(method, threads)
    except ImportError as exc:
        out.update(status="not installed", error=f"{type(exc).__name__}: {exc}")
        return out
    out["import_s"] = time.perf_counter() - t0

    mode = spec["mode"]
    if mode == "warm":  # (c): a warm-up fit, and warm_up() for ours
        n_warm = min(WARMUP_N.get(method, WARMUP_N_DEFAULT), X.shape[0])
        t0 = time.perf_counter()
        runner.fit(X[:n_warm])
        if method in OURS:
            from napari_cne import warm_up

            warm_up()
        out["warmup_s"] = time.perf_counter() - t0
        out["warmup_n"] = n_warm
        runner.watch.reset()
    elif mode == "second":  # (b): a small first fit, as a notebook user tries
        t0 = time.perf_counter()
        runner.fit(X[: min(SECOND_FIT_N, X.shape[0])])
        out["warmup_s"] = time.perf_counter() - t0
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
    if spec["mode"] != "warm":
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
            record = {k: spec[k] for k in ("method", "n", "repeat", "mode", "threads")}
            stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else ""
            record.update(status="timeout", error=_tail(stderr or ""))
            return record
        wall = time.perf_counter() - t0
        if proc.returncode == 0 and result_path.exists():
            record = json.loads(result_path.read_text())
        else:
            record = {k: spec[k] for k in ("method", "n", "repeat", "mode", "threads")}
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
        "mode": "cold" if args.cold else ("warm+paths" if args.paths else "warm"),
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


def _phase_notes(methods: list[str]) -> str:
    groups = []
    for m in methods:
        g = "cne" if m in OURS else ("cne_ref" if m.startswith("cne_ref") else m)
        g = "umap" if g == "umap_seed" else g
        if g not in groups:
            groups.append(g)
    return "\n".join(f"- {PHASE_NOTES[g]}" for g in groups)


def _progress(rec: dict) -> None:
    head = f"[{rec['method']} n={rec['n']} rep={rec['repeat']} {rec.get('mode')}"
    head += f" {rec.get('threads')} thr]"
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
    p.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[2],
        help="thread counts (default: 2); with several, the peers run at the "
        "largest and ours at each (the thread-scaling table)",
    )
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
        "--paths",
        action="store_true",
        help="also time what a user gets, for cne_s1 and umap at the largest n: "
        "(a) a fresh process, (b) a second fit without warm_up()",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds per subprocess (default: 3600)",
    )
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return p


def _plan(args, methods: list[str], ns: list[int]) -> list[dict]:
    """Every (n, repeat, mode, threads, method) to run, repeats outermost."""
    top = max(args.threads)
    plan = []
    for n in ns:
        for rep in range(args.repeats):
            for method in methods:
                counts = args.threads if method in OURS else [top]
                modes = ["cold"] if args.cold else ["warm"]
                if args.paths and n == max(ns) and method in ("cne_s1", "umap"):
                    modes += ["cold", "second"]
                for mode in modes:
                    for threads in counts if mode == "warm" else [top]:
                        base = {"method": method, "n": n, "repeat": rep}
                        plan.append(dict(base, mode=mode, threads=threads))
    return plan


def _print_report(summary: list[dict], args, methods: list[str], ns) -> None:
    top = max(args.threads)
    if args.cold:
        print(f"## Cold start, MNIST PCA-{N_PCA}, {top} thread(s)\n")
        print(cold_table(summary))
    else:
        print(f"## MNIST PCA-{N_PCA}, {top} thread(s), medians over repeats\n")
        print(results_table(summary, top))
        ratios = ratio_table(summary, top)
        if ratios:
            print("\n### Median total time, ours / peer (below 1: we are faster)\n")
            print(ratios)
        threads = thread_table(summary)
        if threads:
            print("\n### Our optimisation by thread count\n")
            print(threads)
        paths = paths_table(summary, top)
        if paths:
            print("\n### What a user gets: fresh process, second fit, warm\n")
            print(paths)
        print(f"\n### Targets (n = {max(ns)}, {top} threads)\n")
        print("\n".join(target_lines(summary, max(ns), top)))
    print("\nPhases:\n" + _phase_notes(methods))
    print(f"\nRaw results: {args.out}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit code."""
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
    missing = {m for m in methods if not installed(m)}
    for m in sorted(missing):
        dist = DISTRIBUTION.get(MODULE[m], MODULE[m])
        print(f"{m}: not installed (pip install {dist})", file=sys.stderr)
    paths = {n: prepare_data(args.data, n, RESULTS_DIR) for n in ns}
    for item in _plan(args, methods, ns):
        if item["method"] in missing:
            if item["repeat"] == 0:
                runs.append(dict(item, status="not installed"))
            continue
        x_path, y_path = paths[item["n"]]
        rec = spawn(dict(item, x=str(x_path), y=str(y_path)), args.timeout)
        runs.append(rec)
        _progress(rec)
        if rec["status"] == "not installed":
            missing.add(item["method"])
        args.out.write_text(json.dumps(report, indent=1))
    report["summary"] = summary = summarize(runs)
    args.out.write_text(json.dumps(report, indent=1))
    _print_report(summary, args, methods, ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
