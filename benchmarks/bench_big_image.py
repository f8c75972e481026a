"""Every pixel of a big image: end-to-end time and peak memory, beside umap-learn.

The images are made from the real CellProfiler field in ``../shared/data``
(DNA, pH3, cell stain; 512 x 512): tiled to the size asked, each tile
flipped / rotated and its channels jittered (gain and noise), plus a fourth
channel (the smoothed cell stain). Each case runs in a fresh process, as a
user's script would:

- ``memory``: a 2048 x 2048 x 4 image in memory (4.2 M pixels): sample
  the fit's pixels, fit, place every pixel (``interpolate``), make the RGB
  position image. Target: <= 60 s with peak RSS <= 4 GB.
- ``zarr``: an 8192 x 8192 x 4 Zarr image (67 M pixels, 1 GiB of float32)
  read chunk by chunk, coordinates and RGB written to Zarr: out of core,
  with bounded memory (the peak is printed beside the image's size).
- ``peer``: the same fit and the placing of one 512 x 512 block (262 144
  pixels) with ours and with umap-learn's ``fit`` + ``transform`` (at its
  fastest: no seed, all cores), for a throughput ratio.

Run::

    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_big_image.py --repeats 3
    python benchmarks/bench_big_image.py --cases memory --side 1024   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIELD = ROOT.parent / "shared" / "data" / "examplehuman"
CASES = ("memory", "zarr", "peer")
TILE = 512


def _field() -> np.ndarray:
    """The real field: (4, 512, 512) float32 in [0, 1] (3 stains + smoothed cell)."""
    import tifffile
    from scipy.ndimage import gaussian_filter

    files = sorted(FIELD.glob("*d[012].tif"))
    if len(files) != 3:
        raise FileNotFoundError(f"the CellProfiler field is missing from {FIELD}")
    chans = [tifffile.imread(f).astype(np.float32) / 255 for f in files]
    chans.append(gaussian_filter(chans[2], 3))
    return np.stack(chans)


def _tile(field: np.ndarray, i: int, j: int) -> np.ndarray:
    """Tile (i, j): the field flipped / rotated and jittered, seeded by its place."""
    rng = np.random.default_rng(1000 * i + j)
    t = np.rot90(field, k=int(rng.integers(4)), axes=(1, 2))
    if rng.random() < 0.5:
        t = t[:, :, ::-1]
    gain = rng.uniform(0.8, 1.2, (t.shape[0], 1, 1)).astype(np.float32)
    noise = rng.normal(0, 0.01, t.shape).astype(np.float32)
    return np.clip(t * gain + noise, 0, None).astype(np.float32)


def make_image(side: int, out: Path | None = None):
    """Return the synthetic (4, side, side) image, or write it to Zarr tile by tile."""
    field = _field()
    n = side // TILE
    if out is None:
        img = np.empty((4, side, side), np.float32)
    else:
        import zarr

        img = zarr.open_array(
            str(out),
            mode="w",
            shape=(4, side, side),
            dtype="f4",
            chunks=(4, TILE, TILE),
        )
    for i in range(n):
        for j in range(n):
            sl = (
                slice(None),
                slice(i * TILE, (i + 1) * TILE),
                slice(j * TILE, (j + 1) * TILE),
            )
            img[sl] = _tile(field, i, j)
    return img


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fit(image, max_pixels: int, seed: int):
    from napari_cne import ContrastiveEmbedding
    from napari_cne.features.matrix import fit_feature_matrix
    from napari_cne.features.pixel_sample import pixel_sample

    t = {}
    t0 = time.perf_counter()
    table = pixel_sample(image, 0, max_pixels=max_pixels, random_state=seed)
    cols = [c for c in table.columns if c.startswith("ch")]
    X, _, scaling = fit_feature_matrix(table, cols)
    t["sample"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = ContrastiveEmbedding(random_state=seed).fit(X)
    t["fit"] = time.perf_counter() - t0
    return model, scaling, X, t


def run_case(case: str, side: int, max_pixels: int, seed: int) -> dict:
    """One case in this process; returns times (s), peak RSS (MB) and checks."""
    from napari_cne.features.pixel_map import map_pixels, pixel_mapper
    from napari_cne.render.position_colors import position_image

    rec = {"case": case, "side": side, "max_pixels": max_pixels}
    with tempfile.TemporaryDirectory() as tmp:
        if case == "zarr":
            from napari_cne.features.images import read_image

            make_image(side, Path(tmp) / "image.zarr")
            image = read_image(Path(tmp) / "image.zarr")  # lazy: nothing read yet
        else:
            image = make_image(side if case == "memory" else 2 * TILE)
        rec["rss_image_mb"] = _rss_mb()
        rec["image_mb"] = 4 * 4 * side * side / 2**20
        t_all = time.perf_counter()
        model, scaling, X, t = _fit(image, max_pixels, seed)
        if case == "peer":
            return _peer(rec, model, scaling, X, image, t, seed)
        mapper = pixel_mapper(model, scaling, method="interpolate")
        zout = case == "zarr"
        t0 = time.perf_counter()
        res = map_pixels(image, mapper, out=Path(tmp) / "coords.zarr" if zout else None)
        t["map"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rgb_out = None
        if zout:
            import zarr

            rgb_out = zarr.open_array(
                str(Path(tmp) / "rgb.zarr"),
                mode="w",
                shape=(side, side, 4),
                dtype="u1",
                chunks=(TILE, TILE, 4),
            )
        rgb = position_image(res.coords, out=rgb_out)
        t["rgb"] = time.perf_counter() - t0
        t["total"] = time.perf_counter() - t_all
        corner = np.asarray(res.coords[:, :256, :256])
        rec.update(
            times=t,
            complete=res.complete,
            rss_peak_mb=_rss_mb(),
            finite_corner=bool(np.isfinite(corner).all()),
            rgb_shape=list(np.shape(rgb)),
        )
    return rec


def _peer(rec, model, scaling, X, image, t, seed) -> dict:
    """Ours and umap-learn placing the same 512 x 512 block (262 144 pixels)."""
    from napari_cne.features.pixel_map import pixel_mapper

    block = np.asarray(image[:, :TILE, :TILE]).reshape(4, -1).T
    Xb = scaling.transform_values(block)
    mapper = pixel_mapper(model, scaling, method="interpolate")
    t0 = time.perf_counter()
    mapper(block)
    t["ours_place"] = time.perf_counter() - t0
    try:
        import umap
    except ImportError:
        rec.update(times=t, umap="not installed", rss_peak_mb=_rss_mb())
        return rec
    t0 = time.perf_counter()
    reducer = umap.UMAP(n_jobs=-1).fit(X)
    t["umap_fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    reducer.transform(Xb)
    t["umap_place"] = time.perf_counter() - t0
    rec.update(times=t, rss_peak_mb=_rss_mb())
    return rec


def _child(case, side, max_pixels, seed) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        case,
        "--side",
        str(side),
        "--max-pixels",
        str(max_pixels),
        "--seed",
        str(seed),
    ]
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise RuntimeError(f"{case} failed:\n{out.stderr[-3000:]}")
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["process_s"] = time.perf_counter() - t0
    return rec


def _median(recs, key):
    vals = [r["times"][key] for r in recs if key in r.get("times", {})]
    return statistics.median(vals) if vals else float("nan")


def report(results: list[dict]) -> str:
    """Return the Markdown tables: each case's stages, the memory, the targets."""
    head = "| case | pixels | sample | fit | place all | RGB | total | process |"
    lines = [head + " peak RSS | image |", "|---" * 10 + "|"]
    by_case: dict[str, list] = {}
    for r in results:
        by_case.setdefault(r["case"], []).append(r)
    for case in ("memory", "zarr"):
        recs = by_case.get(case)
        if not recs:
            continue
        side = recs[0]["side"]
        rss = statistics.median(r["rss_peak_mb"] for r in recs)
        proc = statistics.median(r["process_s"] for r in recs)
        lines.append(
            f"| {case} | {side}² = {side * side / 1e6:.1f} M | "
            + " | ".join(
                f"{_median(recs, k):.1f} s"
                for k in ("sample", "fit", "map", "rgb", "total")
            )
            + f" | {proc:.1f} s | {rss / 1024:.2f} GB | {recs[0]['image_mb']:.0f} MB |"
        )
    targets = []
    if "memory" in by_case:
        recs = by_case["memory"]
        tot = _median(recs, "total")
        rss = statistics.median(r["rss_peak_mb"] for r in recs) / 1024
        ok = tot <= 60 and rss <= 4 and recs[0]["side"] >= 2048
        targets.append(
            f"- in memory {recs[0]['side']}²×4: {tot:.1f} s, peak "
            f"{rss:.2f} GB (target ≤ 60 s, ≤ 4 GB at 2048²): "
            + ("met" if ok else "NOT MET")
        )
    if "zarr" in by_case:
        r = by_case["zarr"][0]
        targets.append(
            f"- Zarr {r['side']}²×4 out of core: complete={r['complete']}, "
            f"peak {r['rss_peak_mb'] / 1024:.2f} GB for a "
            f"{r['image_mb'] / 1024:.2f} GB image"
        )
    if "peer" in by_case:
        recs = by_case["peer"]
        ours, theirs = _median(recs, "ours_place"), _median(recs, "umap_place")
        lines += [
            "",
            "| placing 262 144 pixels | fit (20k px) | place | ratio |",
            "|---|---|---|---|",
            f"| ours (interpolate) | {_median(recs, 'fit'):.1f} s | "
            f"{ours:.2f} s | {ours / theirs:.3f}× |",
            f"| umap-learn transform | {_median(recs, 'umap_fit'):.1f} s | "
            f"{theirs:.2f} s | 1 |",
        ]
    return "\n".join(lines + [""] + targets)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    ap.add_argument("--side", type=int, default=None, help="default 2048 / 8192")
    ap.add_argument("--max-pixels", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="JSON of all runs")
    ap.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        side = a.side or (8192 if a.child == "zarr" else 2048)
        print(json.dumps(run_case(a.child, side, a.max_pixels, a.seed)))
        return
    results = []
    for case in a.cases:
        side = a.side or (8192 if case == "zarr" else 2048)
        reps = 1 if case == "zarr" else a.repeats
        for rep in range(reps):
            rec = _child(case, side, a.max_pixels, a.seed + rep)
            print(
                f"[{case} {side}² rep {rep}] {json.dumps(rec['times'])} "
                f"RSS {rec['rss_peak_mb']:.0f} MB",
                file=sys.stderr,
            )
            results.append(rec)
    if a.out:
        a.out.write_text(json.dumps(results, indent=1))
    print(report(results))


if __name__ == "__main__":
    main()
