"""The workflows of napari_cne.app, without Qt: checks, events, stops, results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne import ContrastiveEmbedding
from napari_cne.app.events import Done, Layout, Note, Partial, Progress, Stopped
from napari_cne.app.every_pixel import EveryPixelRequest, pixel_method
from napari_cne.app.fit import FitRequest, OptimizeRequest
from napari_cne.app.inputs import PixelsInput, TableInput, prepare_matrix
from napari_cne.app.models import load_map, save_map
from napari_cne.app.place import PlaceRequest
from napari_cne.app.sweep import SweepRequest, anchor_of
from napari_cne.engine import validation

PARAMS = {"n_epochs": 20, "n_neighbors": 8, "random_state": 0, "n_jobs": 1}


def table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0, 1, (n // 2, 4)), rng.normal(5, 1, (n // 2, 4))])
    df = pd.DataFrame(X, columns=list("abcd"))
    df.insert(0, "label", np.arange(1, n + 1))
    return df


def run_all(request):
    return list(request.run())


def test_a_fit_reports_stages_layouts_and_ends_with_its_result():
    df = table()
    req = FitRequest(TableInput(df, "t", id_name="label"), PARAMS)
    events = run_all(req)
    kinds = [type(e) for e in events]
    assert kinds[0] is Progress and events[0].stage == "measure"
    fit_stage = next(e for e in events if isinstance(e, Progress) and e.stage == "fit")
    assert fit_stage.total == 20 and "120 objects × 4 features" in fit_stage.text
    assert Layout in kinds and kinds[-1] is Done
    fit = events[-1].result
    assert fit.matrix.used == list("abcd") and fit.n_objects == 120
    # the same answer as the engine on the same matrix
    X = prepare_matrix(df, list("abcd")).X
    Y = ContrastiveEmbedding(**PARAMS).fit_transform(X)
    np.testing.assert_array_equal(fit.model.embedding_, Y)


def test_check_refuses_bad_parameters_before_any_work():
    req = FitRequest(TableInput(table(), "t"), {**PARAMS, "n_neighbors": 0})
    with pytest.raises(ValueError, match="n_neighbors"):
        req.check()
    pixels = PixelsInput(np.zeros((2, 3, 4, 5, 6)), 0, ["a", "b"], "img")
    with pytest.raises(ValueError, match="2-D or 3-D"):
        FitRequest(pixels, PARAMS).check()
    with pytest.raises(ValueError, match="pixels only"):
        FitRequest(TableInput(table(), "t"), PARAMS, every_pixel={}).check()


def test_a_stop_before_the_fit_ends_with_nothing_and_during_it_with_the_layout():
    req = FitRequest(TableInput(table(), "t"), PARAMS)
    req.stop()
    events = run_all(req)
    assert isinstance(events[-1], Stopped) and events[-1].result is None
    assert not any(isinstance(e, Layout) for e in events)
    req = FitRequest(TableInput(table(), "t"), {**PARAMS, "n_epochs": 5000})
    seen = 0
    for event in req.run():
        if isinstance(event, Layout):
            seen += 1
            if seen == 2:
                req.stop()
        last = event
    assert isinstance(last, Stopped) and last.result.model.stopped_early_
    assert last.result.model.n_epochs_ < 5000


def test_a_constant_column_is_left_out_with_a_note():
    df = table()
    df["flat"] = 3.0
    req = FitRequest(TableInput(df, "t", columns=[*"abcd", "flat"]), PARAMS)
    events = run_all(req)
    notes = [e.text for e in events if isinstance(e, Note)]
    assert any("flat" in n and "constant" in n for n in notes)
    assert events[-1].result.matrix.dropped == ["flat"]


def _image(n: int = 24, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(n, n)).cumsum(0).cumsum(1)
    return np.stack([base * (k + 1) + rng.normal(size=(n, n)) for k in range(channels)])


def test_pixels_with_one_channel_or_a_constant_one_give_notes():
    one = PixelsInput(_image(channels=1)[0], None, ["dna"], "dna", max_pixels=300)
    notes = [e.text for e in run_all(FitRequest(one, PARAMS)) if isinstance(e, Note)]
    assert any("one channel" in n and "mask" in n for n in notes)
    img = _image()
    img[1] = 7.0
    inp = PixelsInput(img, 0, ["a", "b", "c"], "img", max_pixels=300)
    every = {"tile_pixels": 64}
    events = run_all(FitRequest(inp, PARAMS, every_pixel=every))
    notes = [e.text for e in events if isinstance(e, Note)]
    assert any("b" in n and "constant" in n for n in notes)
    fit = events[-1].result
    assert fit.matrix.used == ["a", "c"] and fit.pixel_map.complete
    # every pixel placed with the two channels the fit kept
    assert np.isfinite(np.asarray(fit.pixel_map.coords)).all()
    assert any(isinstance(e, Partial) for e in events)


def test_every_pixel_memory_is_checked_once_and_unknown_memory_is_said(monkeypatch):
    inp = PixelsInput(_image(), 0, ["a", "b", "c"], "img", max_pixels=300)
    monkeypatch.setattr(validation, "available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match="coordinates"):
        FitRequest(inp, PARAMS, every_pixel={}).check()
    monkeypatch.setattr(validation, "available_memory", lambda: None)
    req = FitRequest(inp, PARAMS, every_pixel={"tile_pixels": 256})
    events = run_all(req)
    notes = [e.text for e in events if isinstance(e, Note)]
    assert any("memory available is unknown" in n for n in notes)
    assert isinstance(events[-1], Done) and events[-1].result.pixel_map.complete


def test_the_pixel_method_is_one_rule():
    assert pixel_method(False) == "interpolate" and pixel_method(True) == "network"
    with pytest.raises(ValueError, match="parametric"):
        pixel_method(False, "network")
    with pytest.raises(ValueError, match="interpolate or network"):
        pixel_method(True, "optimize")


def _fit(df=None, **params):
    req = FitRequest(
        TableInput(table() if df is None else df, "t"), {**PARAMS, **params}
    )
    return run_all(req)[-1].result


def test_placing_resolves_auto_with_the_engine_s_rule_and_places_as_transform():
    fit = _fit()
    new = table(seed=3).iloc[:30]
    req = PlaceRequest(fit.fitted_map(), TableInput(new, "new"))
    req.check()
    assert req.resolved_method == "optimize"
    placed = run_all(req)[-1].result
    X = fit.matrix.scaling.transform_values(new[list("abcd")].to_numpy(float))
    np.testing.assert_allclose(placed.Y, fit.model.transform(X, method="optimize"))
    with pytest.raises(ValueError, match="parametric"):
        PlaceRequest(fit.fitted_map(), TableInput(new, "new"), "network").check()
    with pytest.raises(ValueError, match="lacks the column"):
        PlaceRequest(fit.fitted_map(), TableInput(new.drop(columns="c"), "x")).check()


def test_rows_with_missing_values_are_left_out_with_a_note():
    fit = _fit()
    new = table(seed=3).iloc[:30].copy()
    new.loc[3, "a"] = np.nan
    events = run_all(PlaceRequest(fit.fitted_map(), TableInput(new, "new")))
    assert any(isinstance(e, Note) and "1 of 30" in e.text for e in events)
    assert events[-1].result.kept.sum() == 29


def test_a_saved_map_places_as_the_fitted_one(tmp_path):
    fit = _fit()
    fitted = fit.fitted_map(input="t")
    loaded = load_map(save_map(tmp_path / "m.pt", fitted))
    assert loaded.kind == "table" and loaded.info["input"] == "t"
    assert loaded.scaling.to_dict() == fitted.scaling.to_dict()
    new = TableInput(table(seed=4).iloc[:20], "new")
    a = run_all(PlaceRequest(fitted, new))[-1].result.Y
    b = run_all(PlaceRequest(loaded, new))[-1].result.Y
    np.testing.assert_allclose(a, b, atol=1e-6)
    (tmp_path / "x.pt").write_text("no model")
    with pytest.raises(ValueError, match="not a model saved by napari-cne"):
        load_map(tmp_path / "x.pt")


def test_the_sweep_anchor_is_closest_to_one_and_a_stop_keeps_what_was_done():
    assert anchor_of([-1, 0, 0.5, 2]) == 0.5 and anchor_of([0, 1.4, 2]) == 1.4
    matrix = prepare_matrix(table(), list("abcd"))
    req = SweepRequest(matrix, PARAMS, [0.0, 0.5, 1.0], n_epochs=5)
    events = run_all(req)
    sweep = events[-1].result
    assert isinstance(events[-1], Done) and sweep.anchor == 1.0
    assert sorted(sweep.layouts) == [0, 1, 2]
    assert sum(isinstance(e, Partial) for e in events) == 3
    req = SweepRequest(matrix, PARAMS, [0.0, 0.5, 1.0], n_epochs=5)
    for event in req.run():
        if isinstance(event, Partial):
            req.stop()
        last = event
    assert isinstance(last, Stopped) and len(last.result.layouts) == 1
    with pytest.raises(ValueError, match="ignores s"):
        SweepRequest(matrix, {**PARAMS, "loss": "umap"}, [0, 1]).check()


def test_a_re_optimisation_moves_the_fit_s_layout_on():
    fit = _fit()
    before = fit.model.embedding_.copy()
    req = OptimizeRequest(fit, 10, s=0.0, lr_factor=0.5)
    events = run_all(req)
    assert isinstance(events[-1], Done) and events[-1].result is fit
    assert fit.model.s_ == 0.0 and not np.allclose(before, fit.model.embedding_)
    with pytest.raises(ValueError, match="run an embedding first"):
        OptimizeRequest(None, 5, s=1.0).check()


def test_every_pixel_of_another_image_through_a_saved_map(tmp_path):
    inp = PixelsInput(_image(), 0, ["a", "b", "c"], "img", max_pixels=300)
    fit = run_all(FitRequest(inp, PARAMS))[-1].result
    fitted = load_map(save_map(tmp_path / "px.pt", fit.fitted_map()))
    assert fitted.kind == "pixels" and fitted.channels == ["a", "b", "c"]
    req = EveryPixelRequest(fitted, _image(), 0, ["a", "b", "c"], tile_pixels=64)
    req.check()
    assert req.resolved_method == "interpolate"
    pm = run_all(req)[-1].result
    assert pm.complete and np.asarray(pm.coords).shape == (2, 24, 24)
    with pytest.raises(ValueError, match="fitted on 3"):
        EveryPixelRequest(fitted, _image()[:2], 0, ["a", "b"]).check()
