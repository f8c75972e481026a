"""One declaration of the settings: the engine's checks, the form, the CLI options."""

from __future__ import annotations

import argparse
import json

import pytest

from napari_cne.app import settings as settings_module
from napari_cne.app.events import Request
from napari_cne.app.session import Session
from napari_cne.app.settings import SETTINGS, engine_defaults, setting
from napari_cne.cli import options
from napari_cne.cli.parser import build_parser
from napari_cne.engine.schema import PARAMETER, PARAMETERS

#: the defaults the front ends set otherwise than the engine, and why:
#: a seed is a promise (the same answer run after run)
FRONT_END_DEFAULTS = {"random_state": 0}


def _embed_help(capsys) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["embed", "--help"])
    return capsys.readouterr().out


def test_every_offered_engine_parameter_is_a_setting_with_the_engine_s_default():
    offered = [p.name for p in PARAMETERS if p.offered]
    rows = {s.name: s for s in SETTINGS if s.engine}
    assert sorted(rows) == sorted(offered)
    for name, row in rows.items():
        want = FRONT_END_DEFAULTS.get(name, PARAMETER[name].default)
        assert row.default == want, name
        assert row.help == PARAMETER[name].help, name
    assert engine_defaults()["random_state"] == 0
    assert setting("n_jobs").start == -2 and setting("n_jobs").default == -1


def test_the_command_line_offers_every_engine_setting_with_its_help_and_default(
    capsys,
):
    text = " ".join(_embed_help(capsys).split())
    for row in SETTINGS:
        if row.engine:
            assert row.flag in text, row.name
            assert " ".join(row.help.split())[:40] in text, row.name
    assert "(default auto" in text and "--seed" in text and "--negative-samples" in text


def test_a_value_is_checked_by_the_engine_s_own_rule():
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        setting("n_jobs").check(0)
    assert setting("n_epochs").check(0) == "auto"  # the lowest value: auto
    assert setting("random_state").check(-1) is None  # random
    parse = options.setting_type(setting("n_neighbors"))
    with pytest.raises(argparse.ArgumentTypeError, match="n_neighbors"):
        parse("0")
    assert options.setting_type(setting("n_epochs"))("auto") == "auto"


def test_an_offered_engine_parameter_appears_in_both_front_ends(monkeypatch, capsys):
    """Offering ``batch_size`` is its row in the schema: no line in the front ends."""
    row = settings_module._engine_row("batch_size")
    monkeypatch.setattr(options, "SETTINGS", (*SETTINGS, row))
    text = _embed_help(capsys)
    assert "--batch-size" in text and "positive edges per SGD step" in text
    args = build_parser().parse_args(
        ["embed", "x.csv", "-o", "y.csv", "--batch-size", "auto"]
    )
    assert args.batch_size == "auto"
    assert row.label == "Batch size" and row.section == "advanced"
    assert row.check(0) == "auto" and row.check(4096) == 4096


def test_parameter_sets_round_trip_through_the_session(tmp_path):
    session = Session()
    session.set_params(seed=5, n_neighbors=30, standardise=False, glide_epochs=7)
    path = tmp_path / "p.json"
    session.save_parameters(path)
    record = json.loads(path.read_text())
    assert record["params"]["random_state"] == 5
    assert record["extra"]["widget"]["glide_epochs"] == 7
    other = Session()
    applied, ignored = other.load_parameters(path)
    assert other.get_params() == session.get_params()
    assert "batch_size" in ignored and applied["n_neighbors"] == 30


class _Job(Request):
    kind = "optimize"


def test_a_new_fit_replaces_the_queue_and_a_new_glide_replaces_the_old_one():
    session = Session()
    first = _Job()
    first.__post_init__()
    assert session.submit(first, replace=False)
    session.begin(first)
    glide, again = _Job(), _Job()
    glide.__post_init__()
    again.__post_init__()
    assert not session.submit(glide, replace=False)
    assert first.stopped  # a running glide gives way
    assert not session.submit(again, replace=False)
    assert session.queue == [again]  # the older glide was dropped
    session.stop()
    assert session.queue == [] and session.is_running
    session.end()
    assert session.next_request() is None and not session.is_running
