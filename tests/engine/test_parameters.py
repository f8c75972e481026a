"""The estimator's parameters are declared once (engine/params.PARAMETERS)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from napari_cne import ContrastiveEmbedding
from napari_cne.engine.schema import PARAMETER, PARAMETERS, check_params


def test_the_declaration_is_the_signature():
    sig = inspect.signature(ContrastiveEmbedding.__init__)
    names = [n for n in sig.parameters if n != "self"]
    assert [p.name for p in PARAMETERS] == names
    for p in PARAMETERS:
        assert sig.parameters[p.name].default == p.default, p.name
        assert p.help and p.kind in (
            "float",
            "int",
            "choice",
            "bool",
            "seed",
            "device",
            "other",
        ), p.name


def test_every_default_passes_its_own_check():
    check_params({p.name: p.default for p in PARAMETERS})
    check_params(ContrastiveEmbedding().get_params())


@pytest.mark.parametrize(
    ("name", "bad", "match"),
    [
        ("negative_samples", 0, "negative_samples"),
        ("batch_size", "big", "batch_size"),
        ("exaggeration", -1.0, "exaggeration"),
        ("random_state", -3, "random_state"),
        ("random_state", "seven", "random_state"),
        ("parametric", "yes", "parametric"),
        ("device", "gpu7", "device"),
        ("n_jobs", 0, "n_jobs"),
        ("lr_schedule", "step", "lr_schedule"),
        ("far_field", "sometimes", "far_field"),
        ("noise_ratio", -5, "noise_ratio"),
    ],
)
def test_each_row_names_itself_when_it_refuses(name, bad, match):
    values = {p.name: p.default for p in PARAMETERS}
    values[name] = bad
    with pytest.raises((ValueError, TypeError), match=match):
        check_params(values)


def test_choices_and_bounds_are_what_the_checks_accept():
    for p in PARAMETERS:
        for value in p.choices:
            p.check(value)
        if p.kind in ("int", "float") and p.low is not None:
            ok = p.low + (1 if p.open_low or p.kind == "int" and p.low == 0 else 0)
            p.check(int(ok) if p.kind == "int" else float(ok) or 1.0)
    assert PARAMETER["n_epochs"].auto and not PARAMETER["s"].auto
    assert np.all([isinstance(p.offered, bool) for p in PARAMETERS])
