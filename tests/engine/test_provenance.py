"""Provenance records and parameter sets (napari_cne.engine.provenance)."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import napari_cne
from napari_cne import ContrastiveEmbedding
from napari_cne.engine.provenance import jsonable, load_params, provenance, save_params

from .._data import digits


@pytest.fixture(scope="module")
def fitted():
    X = digits()[0][:200]
    X = X[:, X.std(axis=0) > 0]  # no constant columns (they warn)
    model = ContrastiveEmbedding(s=0.3, n_epochs=12, random_state=4, device="cpu")
    return model.fit(X)


def strict_json(obj) -> dict:
    """Round trip through standard JSON (no NaN/Infinity extensions)."""
    return json.loads(json.dumps(obj, allow_nan=False))


def test_record_of_a_fitted_model(fitted):
    rec = provenance(
        fitted,
        inputs="cells.csv",
        columns=("area", "DNA_mean"),
        elapsed=np.float64(1.23456),
        extra={"rows": np.int64(200), "kept": np.array([True, False])},
    )
    assert strict_json(rec) == rec
    sw = rec["software"]
    assert sw["napari_cne"] == napari_cne.__version__
    assert sw["torch"] == torch.__version__ and sw["numpy"] == np.__version__
    assert sw["python"].count(".") == 2
    created = dt.datetime.fromisoformat(rec["created"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.timezone.utc) - created).total_seconds()) < 600
    assert rec["params"] == jsonable(fitted.get_params())
    res = rec["resolved"]
    assert res["s_"] == 0.3 and res["n_epochs_"] == 12
    assert res["device_"] == "cpu" and res["backend_"] in ("numba", "torch")
    assert res["learning_rate_"] == 1.0  # "auto" resolved
    assert isinstance(res["batch_size_"], int) and res["batch_size_"] >= 1
    assert res["n_neighbors_"] == 15 and res["knn_method_"] in ("exact", "ivf", "hnsw")
    assert res["n_samples_"] == 200 and res["n_components"] == 2
    assert set(res["timings_"]) == {"knn", "init", "optimize"}
    assert "z_bar_" in res and "final_loss" in res
    assert rec["seed"] == 4
    assert rec["inputs"] == ["cells.csv"] and rec["columns"] == ["area", "DNA_mean"]
    assert rec["elapsed_s"] == 1.235
    assert rec["extra"] == {"rows": 200, "kept": [True, False]}


def test_auto_epochs_and_random_seed_are_recorded_as_resolved():
    X = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
    model = ContrastiveEmbedding(random_state=None).fit(X)
    rec = provenance(model)
    assert rec["params"]["n_epochs"] == "auto" and rec["resolved"]["n_epochs_"] == 200
    assert rec["params"]["random_state"] is None
    assert isinstance(rec["seed"], int)  # the drawn seed: the run can be repeated
    again = ContrastiveEmbedding(random_state=rec["seed"]).fit(X)
    assert again.seed_ == rec["seed"]


def test_unfitted_model_has_params_only():
    rec = provenance(ContrastiveEmbedding(s=2.0, random_state=7))
    assert rec["resolved"] == {} and rec["seed"] == 7
    assert rec["params"]["s"] == 2.0
    assert rec["inputs"] is None and rec["extra"] == {}


def test_jsonable_conversions():
    def cb(epoch, loss, emb):
        return False

    out = jsonable(
        {
            "i": np.int32(3),
            "f": np.float32(0.5),
            "b": np.bool_(True),
            "t": (1, 2),
            "s": {3, 1},
            "nan": float("nan"),
            "inf": np.float64("-inf"),
            "small": np.eye(2),
            "big": np.zeros((1000, 2), np.float32),
            "dev": torch.device("cpu"),
            "path": Path("a/b.csv"),
            "cb": cb,
            1: None,
        }
    )
    assert strict_json(out) == out
    assert out["i"] == 3 and out["f"] == 0.5 and out["b"] is True
    assert out["t"] == [1, 2] and out["s"] == [1, 3]
    assert out["nan"] == "nan" and out["inf"] == "-inf"
    assert out["small"] == [[1.0, 0.0], [0.0, 1.0]]
    assert out["big"] == "ndarray(shape=(1000, 2), dtype=float32)"
    assert out["dev"] == "cpu" and out["path"] == str(Path("a/b.csv"))
    assert out["cb"].startswith("<function") and out["1"] is None


def test_save_and_load_round_trip(tmp_path):
    model = ContrastiveEmbedding(
        s=-0.5, loss="infonce", n_epochs=40, learning_rate=0.5, random_state=3
    )
    path = save_params(tmp_path / "p.json", model)
    assert json.loads(path.read_text())["loss"] == "infonce"
    params = load_params(path)
    assert params == model.get_params()
    assert ContrastiveEmbedding(**params).get_params() == model.get_params()
    # a subset is a valid parameter set too
    save_params(tmp_path / "q.json", {"s": 0.25})
    assert load_params(tmp_path / "q.json") == {"s": 0.25}


def test_load_accepts_a_provenance_record(tmp_path, fitted):
    path = tmp_path / "out.csv.json"
    path.write_text(json.dumps(provenance(fitted, inputs=["x.npy"])))
    params = load_params(path)
    assert params == fitted.get_params()
    assert ContrastiveEmbedding(**params).get_params() == fitted.get_params()


def test_unknown_keys_are_named(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"s": 0.5, "perplexity": 30, "n_iter": 1000}))
    with pytest.raises(ValueError, match="'n_iter', 'perplexity'"):
        load_params(path)
    with pytest.raises(ValueError, match="'perplexity'"):
        save_params(tmp_path / "r.json", {"perplexity": 30})


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_params(tmp_path / "missing.json")
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_params(tmp_path / "a.json")
    (tmp_path / "b.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        load_params(tmp_path / "b.json")
    with pytest.raises(TypeError, match="ContrastiveEmbedding or a dict"):
        save_params(tmp_path / "c.json", [("s", 1)])


def test_callbacks_and_array_init_cannot_be_stored(tmp_path):
    init = np.zeros((5000, 2))
    model = ContrastiveEmbedding(callbacks=print, init=init)
    with pytest.warns(UserWarning, match="left out"):
        save_params(tmp_path / "p.json", model)
    stored = json.loads((tmp_path / "p.json").read_text())
    assert "callbacks" not in stored and "init" not in stored
    # a provenance keeps their description; loading it drops them, with a warning
    (tmp_path / "prov.json").write_text(json.dumps(provenance(model)))
    with pytest.warns(UserWarning, match="callbacks|init"):
        params = load_params(tmp_path / "prov.json")
    assert "callbacks" not in params and "init" not in params
    ContrastiveEmbedding(**params)
