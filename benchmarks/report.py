"""bench_mnist.py's tables, and its verdict on the targets of issue 14.

No timing happens here: everything works on the raw records the child
processes wrote (one per method, n, thread count, mode and repeat).
"""

from __future__ import annotations

import statistics
from importlib.util import find_spec

from peers import MODULE, OURS, S_OF

__all__ = [
    "cold_table",
    "installed",
    "markdown_table",
    "median_of",
    "paths_table",
    "ratio_table",
    "results_table",
    "summarize",
    "target_lines",
    "thread_table",
]

#: numeric fields whose medians the summary keeps
KEYS = (
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


def installed(method: str) -> bool:
    """Whether the package a method needs can be imported."""
    return find_spec(MODULE[method]) is not None


def median_of(records: list[dict], key: str) -> float | None:
    """Median of ``key`` over the records that have it (None: none has)."""
    vals = [r[key] for r in records if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of ``rows`` (lists of cell texts) under ``headers``."""
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _status_of(records: list[dict]) -> str:
    """Why a cell has no successful run."""
    if not records:
        return "not run"
    statuses = {r["status"] for r in records}
    if statuses == {"not installed"}:
        return "not installed"
    return "/".join(sorted(statuses))


def summarize(runs: list[dict]) -> list[dict]:
    """Return the medians over repeats of every (method, n, threads, mode).

    Each entry has ``reps`` (successful repeats), ``status`` and the
    medians of :data:`KEYS`; ``first_process_wall_s`` is the first
    repeat's process time (a cold start pays the most then).
    """
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        key = (r["method"], r["n"], r.get("threads"), r.get("mode", "warm"))
        groups.setdefault(key, []).append(r)
    out = []
    for (method, n, threads, mode), mine in groups.items():
        ok = [r for r in mine if r["status"] == "ok"]
        row = {"method": method, "n": n, "threads": threads, "mode": mode}
        row.update(reps=len(ok), status="ok" if ok else _status_of(mine))
        for key in KEYS:
            row[key] = median_of(ok, key)
        if ok and "process_wall_s" in ok[0]:
            row["first_process_wall_s"] = ok[0]["process_wall_s"]
        out.append(row)
    return out


def _find(summary, method, n, threads=None, mode="warm") -> dict | None:
    for s in summary:
        same = s["method"] == method and s["n"] == n and s["mode"] == mode
        if same and (threads is None or s["threads"] == threads) and s["reps"]:
            return s
    return None


def results_table(summary: list[dict], threads: int) -> str:
    """Markdown table of the warm runs at ``threads`` (one row per method, n)."""
    headers = ["method", "n", "reps", "total s", "kNN s", "optim s", "peak RSS MB"]
    headers += ["10-NN acc", "NP@15", "centroid Spearman", "warm-up s"]
    rows = []
    for s in summary:
        if s["mode"] != "warm" or s["threads"] != threads:
            continue
        if s["reps"] == 0:
            rows.append([s["method"], str(s["n"]), "0", s["status"]] + ["-"] * 7)
            continue
        rows.append(
            [s["method"], str(s["n"]), str(s["reps"])]
            + [_fmt(s[k], 2) for k in ("total_s", "knn_s", "optim_s")]
            + [_fmt(s["peak_rss_mb"], 0)]
            + [_fmt(s[k], 3) for k in ("knn_acc", "np15", "centroid_spearman")]
            + [_fmt(s["warmup_s"], 2)]
        )
    return markdown_table(headers, rows)


def ratio_table(summary: list[dict], threads: int) -> str:
    """Markdown table of our median total time over each peer's (warm runs)."""
    ns = sorted({s["n"] for s in summary})
    peers = sorted(
        {s["method"] for s in summary if s["method"] not in OURS and s["reps"]}
    )
    ours = [m for m in OURS if any(s["method"] == m for s in summary)]
    if not ours or not peers:
        return ""
    rows = []
    for n in ns:
        for m in ours:
            a = _find(summary, m, n, threads)
            row = [str(n), m]
            for p in peers:
                b = _find(summary, p, n, threads)
                ok = a is not None and b is not None and b["total_s"]
                row.append(f"{a['total_s'] / b['total_s']:.2f}" if ok else "-")
            rows.append(row)
    return markdown_table(["n", "ours"] + [f"ours / {p}" for p in peers], rows)


def thread_table(summary: list[dict]) -> str:
    """Markdown table of our optimisation time by thread count, and the speed-up."""
    counts = sorted({s["threads"] for s in summary if s["method"] in OURS})
    if len(counts) < 2:
        return ""
    rows = []
    for n in sorted({s["n"] for s in summary}):
        for m in OURS:
            cells = [_find(summary, m, n, t) for t in counts]
            if not any(cells):
                continue
            times = [c["optim_s"] if c else None for c in cells]
            base = times[0]
            row = [str(n), m] + [_fmt(t, 2) for t in times]
            row += [f"{base / t:.2f}x" if base and t else "-" for t in times[1:]]
            rows.append(row)
    headers = ["n", "ours"] + [f"optim s, {t} thr" for t in counts]
    headers += [f"speed-up {t} vs {counts[0]}" for t in counts[1:]]
    return markdown_table(headers, rows)


def cold_table(summary: list[dict]) -> str:
    """Markdown table of the cold-start runs."""
    headers = ["method", "n", "reps", "wall s from process start", "first run s"]
    headers += ["import s", "fit s", "kNN s", "optim s", "peak RSS MB"]
    rows = []
    for s in summary:
        if s["mode"] != "cold":
            continue
        if s["reps"] == 0:
            rows.append([s["method"], str(s["n"]), "0", s["status"]] + ["-"] * 6)
            continue
        rows.append(
            [s["method"], str(s["n"]), str(s["reps"])]
            + [_fmt(s.get(k), 2) for k in ("process_wall_s", "first_process_wall_s")]
            + [_fmt(s[k], 2) for k in ("import_s", "total_s", "knn_s", "optim_s")]
            + [_fmt(s["peak_rss_mb"], 0)]
        )
    return markdown_table(headers, rows)


def paths_table(summary: list[dict], threads: int) -> str:
    """Markdown table of what a user gets: a fresh process, a second fit, warm."""
    names = {
        "cold": "(a) fresh process, first fit",
        "second": "(b) second fit in the process, no warm_up()",
        "warm": "(c) after warm_up()",
    }
    rows = []
    for s in summary:
        if s["mode"] not in names or s["reps"] == 0 or s["threads"] != threads:
            continue
        if s["mode"] == "warm" and not any(
            t["mode"] == "second" and t["method"] == s["method"] for t in summary
        ):
            continue
        rows.append(
            [s["method"], str(s["n"]), str(s["threads"]), names[s["mode"]]]
            + [_fmt(s[k], 2) for k in ("total_s", "knn_s", "optim_s")]
        )
    if not rows:
        return ""
    return markdown_table(
        ["method", "n", "threads", "path", "fit s", "kNN s", "optim s"], rows
    )


def _line(name: str, ok: bool | None, detail: str) -> str:
    verdict = "not measured" if ok is None else ("met" if ok else "NOT MET")
    return f"- {verdict}: {name} ({detail})"


def target_lines(summary: list[dict], n: int, threads: int) -> list[str]:
    """Return one "met / NOT MET" line per target of issue 14 at size ``n``."""
    umap = _find(summary, "umap", n, threads)
    tsne = _find(summary, "opentsne", n, threads)
    lines = []
    for m, s in S_OF.items():
        ours = _find(summary, m, n, threads)
        ok = None if not (ours and umap) else ours["total_s"] <= 0.5 * umap["total_s"]
        ratio = f"{ours['total_s'] / umap['total_s']:.2f}x" if ours and umap else "-"
        lines.append(_line(f"s = {s:g}: wall <= 0.5 x umap-learn", ok, ratio))
    s0, s1 = _find(summary, "cne_s0", n, threads), _find(summary, "cne_s1", n, threads)
    if s0 and tsne:
        lines.append(
            _line(
                "s = 0: NP@15 >= openTSNE's",
                s0["np15"] >= tsne["np15"],
                f"{s0['np15']:.3f} vs {tsne['np15']:.3f}",
            )
        )
        lines.append(
            _line(
                "s = 0: wall <= 0.15 x openTSNE",
                s0["total_s"] <= 0.15 * tsne["total_s"],
                f"{s0['total_s'] / tsne['total_s']:.2f}x",
            )
        )
        lines.append(
            _line(
                "s = 0: 10-NN accuracy within 0.005 of openTSNE's",
                s0["knn_acc"] >= tsne["knn_acc"] - 0.005,
                f"{s0['knn_acc']:.3f} vs {tsne['knn_acc']:.3f}",
            )
        )
    if s1 and umap:
        lines.append(
            _line(
                "s = 1: wall <= 0.33 x umap-learn",
                s1["total_s"] <= 0.33 * umap["total_s"],
                f"{s1['total_s'] / umap['total_s']:.2f}x",
            )
        )
        lines.append(
            _line(
                "s = 1: NP@15 >= umap-learn's",
                s1["np15"] >= umap["np15"],
                f"{s1['np15']:.3f} vs {umap['np15']:.3f}",
            )
        )
    counts = sorted({s["threads"] for s in summary if s["method"] in OURS})
    if 1 in counts and 2 in counts:
        for m, s in S_OF.items():
            one, two = _find(summary, m, n, 1), _find(summary, m, n, 2)
            if one and two and one["optim_s"] and two["optim_s"]:
                speed = one["optim_s"] / two["optim_s"]
                lines.append(
                    _line(
                        f"s = {s:g}: optimisation on 2 threads >= 1.7 x one",
                        speed >= 1.7,
                        f"{speed:.2f}x",
                    )
                )
    return lines
