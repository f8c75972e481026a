"""Scaling of time and memory: versus n, negative samples and epochs.

Every configuration runs in a fresh child process (so its peak RSS is its
own) with ``--threads`` CPU threads: a warm-up fit first (numba/JIT compile,
pynndescent's compile for ours), then the timed ``fit_transform``. Prints
Markdown tables (medians of ``--repeats``):

* **n**: our engine at s = 1 on MNIST (PCA-50) 10k / 20k / 70k and on
  synthetic data (10 Gaussian clusters in 50-D) 200k / 1M, umap-learn and
  openTSNE beside it up to ``--peer-max-n``;
* **negative samples** (MNIST-20k): ours ``negative_samples`` 5 / 10 / 20 /
  50 against umap-learn's ``negative_sample_rate``;
* **epochs** (MNIST-20k): ours ``n_epochs`` against umap-learn's
  ``n_epochs`` and openTSNE's ``n_iter``.

Run (about 25 minutes on 2 cores, most of it the 1M-point run)::

    .venv/bin/python benchmarks/scaling.py --json benchmarks/results/scaling.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_mnist import DEFAULT_DATA, prepare_data  # noqa: E402

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def _data(spec: dict):
    import numpy as np

    if spec["data"] == "mnist":
        x, y = prepare_data(Path(spec["mnist"]), spec["n"], HERE / "results")
        return np.load(x)
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 6, (10, 50)).astype(np.float32)
    lab = rng.integers(0, 10, spec["n"])
    X = centers[lab] + rng.normal(0, 1, (spec["n"], 50)).astype(np.float32)
    return np.ascontiguousarray(X, dtype=np.float32)


def _fit(method: str, params: dict, X, threads: int):
    if method == "ours":
        from napari_cne import ContrastiveEmbedding

        model = ContrastiveEmbedding(random_state=0, **params)
        Y = model.fit_transform(X)
        return Y, {k: round(v, 2) for k, v in model.timings_.items()}
    if method == "umap":
        import umap

        return umap.UMAP(n_jobs=threads, **params).fit_transform(X), {}
    if method == "opentsne":
        import openTSNE

        return openTSNE.TSNE(n_jobs=threads, random_state=0, **params).fit(X), {}
    raise ValueError(method)


def child(spec: dict) -> dict:
    """One configuration (runs in the subprocess)."""
    import numpy as np

    X = _data(spec)
    threads = spec["threads"]
    # umap-learn switches to pynndescent above 4096 rows: warm that up too
    warm = X[: min(5000 if spec["method"] == "umap" else 2000, len(X))]
    t0 = time.perf_counter()
    method = spec["method"]
    if method in ("ours", "umap"):  # compile the JIT code before timing
        _fit(method, {**spec["params"], "n_epochs": 5}, warm, threads)
    if method == "ours" and len(X) > 20_000:
        from napari_cne.engine.neighbors import warm_up

        warm_up()  # the big run uses pynndescent
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    Y, phases = _fit(spec["method"], spec["params"], X, threads)
    total = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        **spec,
        "total_s": total,
        "warmup_s": warm_s,
        "peak_rss_mb": rss,
        "phases": phases,
        "finite": bool(np.isfinite(Y).all()),
    }


def spawn(spec: dict, timeout: float) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(spec["threads"])
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(spec)],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {**spec, "error": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {**spec, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def configs(args) -> list[dict]:
    base = {"threads": args.threads, "mnist": str(args.data)}
    out = []
    for n in args.ns:
        data = "mnist" if n <= 70_000 else "blobs"
        out.append(
            {
                **base,
                "table": "n",
                "method": "ours",
                "n": n,
                "data": data,
                "params": {"s": 1.0},
            }
        )
        if n <= args.peer_max_n:
            out.append(
                {
                    **base,
                    "table": "n",
                    "method": "umap",
                    "n": n,
                    "data": data,
                    "params": {},
                }
            )
            if n <= args.tsne_max_n:
                out.append(
                    {
                        **base,
                        "table": "n",
                        "method": "opentsne",
                        "n": n,
                        "data": data,
                        "params": {},
                    }
                )
    for m in (5, 10, 20, 50):
        out.append(
            {
                **base,
                "table": "m",
                "method": "ours",
                "n": 20_000,
                "data": "mnist",
                "params": {"s": 0.0, "negative_samples": m},
                "x": m,
            }
        )
    for m in (5, 10, 20):
        out.append(
            {
                **base,
                "table": "m",
                "method": "umap",
                "n": 20_000,
                "data": "mnist",
                "params": {"negative_sample_rate": m},
                "x": m,
            }
        )
    for e in (50, 100, 200, 400):
        out.append(
            {
                **base,
                "table": "epochs",
                "method": "ours",
                "n": 20_000,
                "data": "mnist",
                "params": {"s": 1.0, "n_epochs": e},
                "x": e,
            }
        )
        out.append(
            {
                **base,
                "table": "epochs",
                "method": "umap",
                "n": 20_000,
                "data": "mnist",
                "params": {"n_epochs": e},
                "x": e,
            }
        )
    return out


def table(rows: list[dict], key: str, label: str) -> str:
    groups: dict = {}
    for r in rows:
        groups.setdefault((r.get(key), r["method"]), []).append(r)
    lines = [
        f"| {label} | method | total s (median) | peak RSS MB | phases (ours) |",
        "|---|---|---|---|---|",
    ]
    for (x, method), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        ok = [r for r in rs if "error" not in r]
        if not ok:
            lines.append(f"| {x} | {method} | {rs[0]['error']} | | |")
            continue
        t = statistics.median(r["total_s"] for r in ok)
        rss = statistics.median(r["peak_rss_mb"] for r in ok)
        ph = ok[0]["phases"]
        ph_s = ", ".join(f"{k} {v}" for k, v in ph.items()) if ph else ""
        lines.append(f"| {x} | {method} | {t:.1f} | {rss:.0f} | {ph_s} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--ns",
        type=int,
        nargs="+",
        default=[10_000, 20_000, 70_000, 200_000, 1_000_000],
    )
    ap.add_argument("--peer-max-n", type=int, default=70_000)
    ap.add_argument("--tsne-max-n", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--only", choices=["n", "m", "epochs"], nargs="+")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    rows = []
    for spec in configs(args):
        if args.only and spec["table"] not in args.only:
            continue
        for _ in range(args.repeats):
            r = spawn(spec, args.timeout)
            rows.append(r)
            print(
                json.dumps(
                    {
                        k: r.get(k)
                        for k in (
                            "table",
                            "method",
                            "n",
                            "x",
                            "total_s",
                            "peak_rss_mb",
                            "error",
                        )
                    }
                ),
                flush=True,
            )
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(rows, indent=1))
    print(f"\n## Time and peak RSS versus n ({args.threads} threads)\n")
    print(table([r for r in rows if r["table"] == "n"], "n", "n"))
    print("\n## Versus negative samples (MNIST-20k; ours at s = 0)\n")
    print(table([r for r in rows if r["table"] == "m"], "x", "negatives"))
    print("\n## Versus epochs (MNIST-20k; ours at s = 1)\n")
    print(table([r for r in rows if r["table"] == "epochs"], "x", "epochs"))


if __name__ == "__main__":
    main()
