"""``napari-cne embed``, the demos, and the quality readout behind the summary.

The CLI runs in-process through ``napari_cne.__main__.main`` (fast); one
test runs the installed console script in a subprocess.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from napari_cne.__main__ import main
from napari_cne.cli import normalize_argv, sweep_path
from napari_cne.engine.metrics import (
    format_quality,
    neighbor_preservation,
    quality_report,
)
from napari_cne.engine.provenance import save_params
from napari_cne.features import output_columns

from .._data import digits

N = 400
FAST = ["--n-epochs", "30"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """digits[:400] as .npy and as a table with ids, a class and a name column."""
    X, y = digits()
    X, y = X[:N], y[:N]
    d = tmp_path_factory.mktemp("cli")
    np.save(d / "X.npy", X)
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    df.insert(0, "label", np.arange(1, N + 1))
    df["digit"] = y
    df["name"] = [f"d{v}" for v in y]
    df.to_csv(d / "digits.csv", index=False)
    return d


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def sidecar(path: Path) -> dict:
    return json.loads(Path(str(path) + ".json").read_text())


def assert_one_line_error(rc, out, err, *fragments):
    assert rc == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("napari-cne: error: "), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


# ------------------------------------------------------------------ outputs
def test_npy_to_npy_with_summary_and_sidecar(capsys, data_dir, tmp_path):
    out = tmp_path / "Y.npy"
    rc, stdout, err = run(capsys, "embed", data_dir / "X.npy", "-o", out, *FAST)
    assert rc == 0, err
    Y = np.load(out)
    assert Y.shape == (N, 2) and Y.dtype == np.float32 and np.isfinite(Y).all()
    assert Y.std() > 0
    # the summary: rows, columns, s, loss, time, device, quality
    assert f"{N} of {N} embedded" in stdout
    assert "f0" in stdout or "f2" in stdout  # .npy columns are f0, f1, ...
    assert "s = 1, neg loss, 30 epochs" in stdout
    assert "device    " in stdout and "seed 0" in stdout
    assert "time " in stdout
    assert "neighbour preservation@15" in stdout
    rec = sidecar(out)
    assert rec["params"]["n_epochs"] == 30 and rec["resolved"]["n_epochs_"] == 30
    assert rec["seed"] == 0 and rec["inputs"] == [str(data_dir / "X.npy")]
    assert rec["extra"]["output_columns"] is None
    q = rec["extra"]["quality"]
    assert q["n"] == N and q["k"] == 15
    assert f"{q['neighbor_preservation']:.3f}" in stdout
    assert q["neighbor_preservation"] > 3 * q["neighbor_preservation_random"]


def test_csv_to_csv_keeps_every_input_column(capsys, data_dir, tmp_path):
    out = tmp_path / "out.csv"
    rc, stdout, err = run(
        capsys, "embed", data_dir / "digits.csv", "-o", out, *FAST, "--labels", "digit"
    )
    assert rc == 0, err
    # the class column is numeric, so a default feature: the CLI says so
    assert "napari-cne: warning: the --labels column 'digit' is also a feature" in err
    src = pd.read_csv(data_dir / "digits.csv")
    res = pd.read_csv(out)
    # then each object's trust (its share of neighbours kept), as the widget's
    assert list(res.columns) == [*src.columns, "cne_0", "cne_1", "cne_trust"]
    assert res["cne_trust"].between(0, 1).all()
    pd.testing.assert_frame_equal(res[src.columns], src)
    assert res[["cne_0", "cne_1"]].notna().all().all()
    used = sidecar(out)["columns"]
    # default columns: numeric, not ids ("label"), the class column is numeric
    assert "label" not in used and "name" not in used and "px5" in used
    assert "10-NN accuracy" in stdout
    assert sidecar(out)["extra"]["quality"]["knn_accuracy"] > 0.8


def test_existing_cne_columns_are_neither_features_nor_overwritten(
    capsys, data_dir, tmp_path
):
    src = pd.read_csv(data_dir / "digits.csv")
    src["cne_0"] = 7.0
    src["cne_1"] = np.arange(N, dtype=float)  # varies: would count as a feature
    inp = tmp_path / "again.csv"
    src.to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    rc, _, err = run(
        capsys, "embed", inp, "-o", out, *FAST, "--exclude-columns", "digit"
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    assert list(res.columns[-5:]) == ["cne_0", "cne_1", "cne2_0", "cne2_1", "cne_trust"]
    assert (res["cne_0"] == 7.0).all()
    np.testing.assert_array_equal(res["cne_1"], np.arange(N))
    used = sidecar(out)["columns"]
    assert "cne_1" not in used and "digit" not in used


def test_columns_selection_and_tsv(capsys, data_dir, tmp_path):
    out = tmp_path / "out.tsv"
    rc, stdout, err = run(
        capsys,
        "embed",
        data_dir / "digits.csv",
        "-o",
        out,
        *FAST,
        "--columns",
        "px10,px20",
        "--columns",
        "px30,px42,px43",
        "--exclude-columns",
        "px43",
    )
    assert rc == 0, err
    assert sidecar(out)["columns"] == ["px10", "px20", "px30", "px42"]
    assert "4 used: px10, px20, px30, px42" in stdout
    res = pd.read_csv(out, sep="\t")
    assert {"cne_0", "cne_1", "name"} <= set(res.columns)


def test_log_columns(capsys, data_dir, tmp_path):
    out = tmp_path / "out.npy"
    rc, stdout, err = run(
        capsys,
        "embed",
        data_dir / "digits.csv",
        "-o",
        out,
        *FAST,
        "--columns",
        "px10,px20,px30",
        "--log-columns",
        "px20",
    )
    assert rc == 0, err
    assert "log-transformed: px20" in stdout
    assert sidecar(out)["extra"]["log_columns"] == ["px20"]


def test_nan_rows_are_reported_and_nan_in_the_output(capsys, data_dir, tmp_path):
    src = pd.read_csv(data_dir / "digits.csv")
    bad = [3, 50, 399]
    src.loc[bad, "px20"] = np.nan
    inp = tmp_path / "holes.csv"
    src.to_csv(inp, index=False)
    for out in (tmp_path / "out.csv", tmp_path / "out.npy"):
        rc, stdout, err = run(capsys, "embed", inp, "-o", out, *FAST)
        assert rc == 0, err
        assert f"{N - 3} of {N} embedded (3 left out" in stdout
        Y = (
            pd.read_csv(out)[["cne_0", "cne_1"]].to_numpy()
            if out.suffix == ".csv"
            else np.load(out)
        )
        assert Y.shape == (N, 2)
        assert np.flatnonzero(np.isnan(Y).any(axis=1)).tolist() == bad
        assert np.isnan(Y[bad]).all()
        rows = sidecar(out)["extra"]["rows"]
        assert rows == {
            "input": N,
            "embedded": N - 3,
            "left_out": 3,
            "left_out_rows": bad,
        }


@pytest.mark.parametrize("color_by", ["name", "px20", None])
def test_plot_writes_a_png(capsys, data_dir, tmp_path, color_by):
    plot = tmp_path / "sub" / "plot.png"
    extra = ["--color-by", color_by] if color_by else []
    rc, stdout, err = run(
        capsys,
        "embed",
        data_dir / "digits.csv",
        "-o",
        tmp_path / "o.npy",
        *FAST,
        "--plot",
        plot,
        *extra,
        "--no-quality",
    )
    assert rc == 0, err
    data = plot.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000
    assert "quality" not in stdout


def test_sweep_writes_one_file_per_s_and_one_figure(capsys, data_dir, tmp_path):
    out = tmp_path / "out.csv"
    plot = tmp_path / "sweep.png"
    rc, stdout, err = run(
        capsys,
        "embed",
        data_dir / "digits.csv",
        "-o",
        out,
        "--n-epochs",
        "20",
        "--sweep",
        "-1,0.5,1",
        "--sweep-epochs",
        "10",
        "--plot",
        plot,
    )
    assert rc == 0, err
    assert not out.exists()  # only the per-s files
    names = ["out_s-1.csv", "out_s0.5.csv", "out_s1.csv"]
    layouts = []
    for name, s in zip(names, [-1.0, 0.5, 1.0]):
        path = tmp_path / name
        assert path.exists() and (tmp_path / (name + ".json")).exists()
        rec = sidecar(path)
        assert rec["extra"]["sweep"]["s"] == s
        assert rec["resolved"]["s_"] == s
        assert rec["extra"]["sweep"]["s_values"] == [-1.0, 0.5, 1.0]
        # fit at the anchor (closest to 1), then 10 epochs per position
        assert rec["resolved"]["n_epochs_"] == 20 + 3 * 10
        layouts.append(pd.read_csv(path)[["cne_0", "cne_1"]].to_numpy())
        assert f"s = {s:g}: neighbour preservation@15" in stdout
    assert not np.allclose(layouts[0], layouts[2])
    assert plot.read_bytes()[:8] == PNG_MAGIC and plot.stat().st_size > 20_000


def test_params_file_round_trip_and_flag_precedence(capsys, data_dir, tmp_path):
    p = tmp_path / "params.json"
    save_params(p, {"s": 0.2, "loss": "infonce", "n_epochs": 25, "negative_samples": 7})
    out = tmp_path / "a.npy"
    rc, stdout, err = run(
        capsys, "embed", data_dir / "X.npy", "-o", out, "--params", p, "--s", "0.7"
    )
    assert rc == 0, err
    rec = sidecar(out)
    assert rec["params"]["s"] == 0.7  # the explicit flag wins
    assert rec["params"]["loss"] == "infonce"
    assert rec["params"]["negative_samples"] == 7
    assert rec["resolved"]["n_epochs_"] == 25
    # the provenance sidecar is itself a parameter set: same run again
    out2 = tmp_path / "b.npy"
    rc, _, err = run(
        capsys, "embed", data_dir / "X.npy", "-o", out2, "--params", str(out) + ".json"
    )
    assert rc == 0, err
    assert sidecar(out2)["params"] == rec["params"]


def test_quiet_prints_nothing_and_progress_can_be_forced(capsys, data_dir, tmp_path):
    rc, stdout, err = run(
        capsys, "embed", data_dir / "X.npy", "-o", tmp_path / "q.npy", *FAST, "-q"
    )
    assert rc == 0 and stdout == "" and err == ""
    rc, stdout, err = run(
        capsys,
        "embed",
        data_dir / "X.npy",
        "-o",
        tmp_path / "p.npy",
        *FAST,
        "--progress",
        "--no-quality",
    )
    assert rc == 0
    assert "epoch" in err and "30/30" in err


# -------------------------------------------------------------- bad input
def test_bad_inputs_exit_2_with_one_line(capsys, data_dir, tmp_path):
    csv = data_dir / "digits.csv"
    (tmp_path / "garbage.csv").write_bytes(b"\x00\xff\xfe garbage \x89\n\x01\x02")
    (tmp_path / "words.csv").write_text("name,comment\nhello,world\nfoo,bar\n")
    (tmp_path / "one.csv").write_text("a,b,c\n1,2,3\n")
    (tmp_path / "bad.npy").write_text("not numpy")
    (tmp_path / "data.xlsx").write_text("x")
    np.save(tmp_path / "vec.npy", np.arange(10.0))
    o = ["-o", tmp_path / "o.csv"]
    cases = [
        (["missing.csv", *o], "not found"),
        ([csv, *o, "--columns", "px1,nope"], "nope"),
        ([csv, *o, "--color-by", "nope", "--plot", tmp_path / "p.png"], "nope"),
        ([csv, *o, "--labels", "nope"], "nope"),
        ([csv, *o, "--columns", "px10,name"], "not numeric"),
        ([tmp_path / "one.csv", *o], "at least 3"),
        ([tmp_path / "garbage.csv", *o], "garbage.csv"),
        ([tmp_path / "words.csv", *o], "no feature columns"),
        ([tmp_path / "bad.npy", *o], "bad.npy"),
        ([tmp_path / "vec.npy", *o], "2-D"),
        ([tmp_path / "data.xlsx", *o], ".xlsx"),
        ([csv, "-o", tmp_path / "out.xlsx"], ".xlsx"),
        ([csv, *o, "--plot", tmp_path / "p.nope"], "unsupported image type"),
        ([csv, *o, "--color-by", "px1"], "--color-by needs --plot"),
        ([csv, *o, "--params", tmp_path / "none.json"], "none.json"),
        ([csv, "-o", csv], "overwrite the input"),
        ([csv, *o, "--device", "cuda:99"], "cuda"),
        ([csv, *o, "--log-columns", "label"], "--log-columns"),
        ([csv, *o, "--n-epochs", "0"], "--n-epochs"),
        ([csv, *o, "--s", "abc"], "--s"),
        ([csv, *o, "--sweep", "1,1"], "repeated"),
        ([csv], "-o/--output"),
    ]
    for argv, fragment in cases:
        rc, out, err = run(capsys, "embed", *argv)
        assert_one_line_error(rc, out, err, fragment)
        assert not (tmp_path / "o.csv").exists()


def test_bad_params_file_names_unknown_keys(capsys, data_dir, tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"s": 0.5, "perplexity": 30, "n_iter": 5}))
    rc, out, err = run(
        capsys, "embed", data_dir / "X.npy", "-o", tmp_path / "o.npy", "--params", p
    )
    assert_one_line_error(rc, out, err, "'n_iter'", "'perplexity'")


def test_parquet_input(capsys, data_dir, tmp_path):
    path = tmp_path / "t.parquet"
    out = tmp_path / "o.npy"
    df = pd.read_csv(data_dir / "digits.csv").iloc[:100]
    if importlib.util.find_spec("pyarrow") or importlib.util.find_spec("fastparquet"):
        df.to_parquet(path)
        rc, _, err = run(capsys, "embed", path, "-o", out, *FAST)
        assert rc == 0, err
        assert np.load(out).shape == (100, 2)
    else:
        path.write_bytes(b"PAR1 not really")
        rc, stdout, err = run(capsys, "embed", path, "-o", out)
        assert_one_line_error(rc, stdout, err, "pyarrow")


def test_console_script_in_a_subprocess(data_dir, tmp_path):
    exe = Path(sys.executable).with_name("napari-cne")
    assert exe.exists(), exe
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    out = tmp_path / "Y.csv"
    res = subprocess.run(
        [exe, "embed", data_dir / "X.npy", "-o", out, "--n-epochs", "10", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert list(pd.read_csv(out).columns[-3:]) == ["cne_0", "cne_1", "cne_trust"]
    res = subprocess.run(
        [exe, "embed", tmp_path / "missing.npy", "-o", out],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 2
    assert res.stderr.startswith("napari-cne: error: input file")
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_help_and_existing_subcommands_still_parse(capsys):
    assert main(["--help"]) == 0
    assert "embed" in capsys.readouterr().out
    assert main(["embed", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--sweep", "--params", "--color-by", "--log-columns", "--quiet"):
        assert option in text
    assert main(["demo-engine", "--help"]) == 0
    assert main(["demo", "--help"]) == 0
    capsys.readouterr()
    assert main(["nonsense"]) == 2
    assert capsys.readouterr().err.startswith("napari-cne: error: ")


def test_version_and_help_answer_without_loading_the_engine():
    import subprocess
    import sys

    from napari_cne import __version__

    code = (
        "import sys; from napari_cne.cli import main\n"
        "main(sys.argv[1:])\n"
        "heavy = [m for m in ('napari_cne.engine.estimator', 'sklearn', 'numba', "
        "'torch', 'pandas', 'napari') if m in sys.modules]\n"
        "print('LOADED', heavy)"
    )
    for flag in ("--version", "--help"):
        out = subprocess.run(
            [sys.executable, "-c", code, flag], capture_output=True, text=True
        )
        assert "LOADED []" in out.stdout, (flag, out.stdout, out.stderr)
    cmd = [sys.executable, "-m", "napari_cne", "--version"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"napari-cne {__version__}"


# ------------------------------------------------------------------ demos
class _Calls(list):
    """The commands given to ``subprocess.call``, and the status it returns."""

    returncode = 0


@pytest.fixture
def calls(monkeypatch):
    """Record the child processes ``demo`` starts instead of starting them."""
    seen = _Calls()

    def call(cmd):
        seen.append(cmd)
        return seen.returncode

    monkeypatch.setattr(subprocess, "call", call)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return seen


def test_demo_runs_itself_under_xvfb_without_a_display(capsys, calls, monkeypatch):
    from napari_cne.cli import napari_demo

    shown = []
    monkeypatch.setattr(
        napari_demo, "show_demo", lambda screenshot: shown.append(screenshot)
    )
    monkeypatch.setattr("shutil.which", lambda name: f"/bin/{name}")
    rc, out, _ = run(capsys, "demo", "--screenshot-if-headless", "shot.png")
    assert rc == 0 and out == "wrote shot.png\n" and not shown
    xvfb = ["/bin/xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"]
    again = [sys.executable, "-m", "napari_cne", "demo", "--screenshot", "shot.png"]
    assert calls[-1] == [*xvfb, *again, "--_in_xvfb"]
    # in the child, under xvfb: napari runs here and saves the screenshot
    rc, out, _ = run(capsys, "demo", "--screenshot", "shot.png", "--_in_xvfb")
    assert rc == 0 and out == "" and shown == ["shot.png"]
    # a display: napari runs in this process
    monkeypatch.setenv("DISPLAY", ":9")
    rc, out, _ = run(capsys, "demo", "--screenshot-if-headless", "shot.png")
    assert rc == 0 and out == "" and shown[-1] is None and len(calls) == 1
    rc, out, _ = run(capsys, "demo", "--screenshot", "x.png")
    assert rc == 0 and out == "wrote x.png\n" and shown[-1] == "x.png"
    calls.returncode = 1  # the child failed: no "wrote"
    monkeypatch.delenv("DISPLAY")
    rc, out, _ = run(capsys, "demo", "--screenshot-if-headless", "shot.png")
    assert rc == 1 and out == ""


def test_demo_without_display_or_xvfb_says_so(capsys, calls, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    rc, out, err = run(capsys, "demo", "--screenshot-if-headless", "shot.png")
    assert rc == 2 and out == "" and not calls
    assert err == "no display and no xvfb-run: install xvfb\n"


def test_demo_engine_prints_a_table_and_writes_a_png(capsys, tmp_path):
    png = tmp_path / "sub" / "engine.png"
    rc, out, err = run(capsys, "demo-engine", "--s", "1", "--out", png)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("bundled sample: 512x512 DNA image, 313 nuclei, ")
    assert lines[1].split() == ["s", "time", "s", "std", "NP@15"]
    assert lines[2].split()[0] == "1.00" and len(lines[2].split()) == 4
    assert lines[3] == f"wrote {png}"
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 20_000


# ------------------------------------------------------------------ helpers
def test_naming_helpers():
    assert sweep_path("d/out.csv", -1.0) == Path("d/out_s-1.csv")
    assert sweep_path("out.csv", 0.5).name == "out_s0.5.csv"
    assert sweep_path("out.csv.gz", 2).name == "out_s2.csv.gz"
    assert sweep_path("Y.npy", 0).name == "Y_s0.npy"
    assert output_columns(["a", "b"]) == ["cne_0", "cne_1"]
    assert output_columns(["cne_1"]) == ["cne2_0", "cne2_1"]
    assert output_columns(["cne_0", "cne2_1"], 3) == ["cne3_0", "cne3_1", "cne3_2"]
    assert normalize_argv(["--sweep", "-1,0", "--s", "-0.5", "--seed", "3"]) == [
        "--sweep=-1,0",
        "--s=-0.5",
        "--seed",
        "3",
    ]


# ---------------------------------------------------------- quality readout
def test_quality_identity_embedding_scores_one():
    X = np.random.default_rng(0).normal(size=(800, 2)).astype(np.float32)
    r = quality_report(X, X.copy(), k=15, max_points=300)
    assert r["neighbor_preservation"] == 1.0
    assert r["n"] == 800 and r["n_sampled"] == 300 and r["k"] == 15
    assert r["knn_accuracy"] is None
    json.dumps(r)  # plain types


def test_quality_random_embedding_is_near_k_over_n():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 10))
    Y = rng.normal(size=(1000, 2))
    r = quality_report(X, Y, k=15, max_points=None)
    expected = 15 / 999
    assert r["neighbor_preservation_random"] == pytest.approx(expected)
    # mean of 1000 overlaps of two random 15-sets: within a few standard errors
    assert abs(r["neighbor_preservation"] - expected) < 0.01
    assert r["n_sampled"] == 1000


def test_quality_subsample_matches_neighbor_preservation_and_is_seeded():
    X, y = digits()
    X, y = X[:600], y[:600]
    Y = X[:, :2] + np.random.default_rng(0).normal(size=(600, 2))
    a = quality_report(X, Y, k=10, max_points=200, random_state=5, labels=y)
    b = quality_report(X, Y, k=10, max_points=200, random_state=5, labels=y)
    c = quality_report(X, Y, k=10, max_points=200, random_state=6, labels=y)
    assert a == b
    assert a["neighbor_preservation"] != c["neighbor_preservation"]
    assert a["n_sampled"] == 200
    # queries subsampled, neighbours searched among all points: the same
    # number as the existing metric
    assert a["neighbor_preservation"] == neighbor_preservation(
        X, Y, 10, n_queries=200, random_state=5
    )
    assert 0 <= a["knn_accuracy"] <= 1 and a["label_k"] == 10
    assert a["knn_accuracy_chance"] == pytest.approx(
        np.bincount(
            y[np.sort(np.random.default_rng(5).choice(600, 200, replace=False))]
        ).max()
        / 200
    )


def test_quality_knn_accuracy_on_separated_classes_and_the_line():
    rng = np.random.default_rng(2)
    y = np.repeat(["a", "b", "c"], 100)
    centers = {"a": (0, 0), "b": (50, 0), "c": (0, 50)}
    Y = np.array([centers[v] for v in y]) + rng.normal(size=(300, 2))
    r = quality_report(Y, Y, labels=y, max_points=100)
    assert r["knn_accuracy"] == 1.0
    line = format_quality(r)
    assert "\n" not in line
    assert line.startswith("neighbour preservation@15 1.000 (random 0.050)")
    assert "10-NN accuracy 1.000" in line and "on 100 of 300 points" in line


def test_quality_rejects_bad_input():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match="same number of rows"):
        quality_report(X, np.zeros((9, 2)))
    with pytest.raises(ValueError, match="labels"):
        quality_report(X, X[:, :2], labels=np.arange(5))
    with pytest.raises(ValueError, match="missing"):
        quality_report(X, X[:, :2], labels=np.array([1.0] * 9 + [np.nan]))
    Xn = np.random.default_rng(0).normal(size=(10, 2))
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        quality_report(Xn, Xn)
    with pytest.raises(ValueError, match="max_points"):
        quality_report(X, X, max_points=0)
    # tiny data: k shrinks to n - 1 and says so
    Z = np.random.default_rng(0).normal(size=(6, 2))
    assert quality_report(Z, Z, k=15)["k"] == 5


def test_n_jobs_flag(capsys, tmp_path):
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).normal(size=(60, 4)))
    out = tmp_path / "y.npy"
    rc, _, err = run(
        capsys, "embed", data, "-o", out, "--n-jobs", "1", "--n-epochs", "3"
    )
    assert rc == 0, err
    rec = sidecar(out)
    assert rec["params"]["n_jobs"] == 1 and rec["resolved"]["n_jobs_"] == 1
    rc, out_, err = run(capsys, "embed", data, "-o", out, "--n-jobs", "0")
    assert_one_line_error(rc, out_, err, "--n-jobs", "non-zero integer")
