"""The Session and the widget as a state machine: random sequences of user actions.

hypothesis's ``RuleBasedStateMachine`` drives the real dock widget in a real
napari viewer with random sequences of what a user does: run, stop, move
the slider, sweep; lasso and select, add / rename / delete classes, assign
selections; switch the input, delete layers; place another field, save and
load parameters. After every step:

* no exception reached napari (Qt slots, napari callbacks, the worker);
* one point per object of the fit shown;
* a class is never lost or moved to other objects (a model of every
  assignment, per source, is kept beside the widget);
* the user's own layers are never changed (their data and their own
  feature columns);
* after Stop the state is consistent (nothing running or queued, the
  progress bar within its range, the live layer whole).

CI runs :data:`SEQUENCES` sequences of at most :data:`STEPS` steps,
derandomised (the same sequences every run): about 35 s, as much as the
full suite's time allows (50 sequences take about 100 s on two cores: a
napari layer costs about 0.15 s to add and 0.19 s to remove, several a
sequence). ``benchmarks/soak_widget.py`` runs many more, at random.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from napari_cne._qt.widget import EmbeddingWidget
from napari_cne.app.metadata import source_of
from tests.conftest import make_objects

#: sequences in CI, and steps in each (NAPARI_CNE_SEQUENCES overrides)
SEQUENCES = int(os.environ.get("NAPARI_CNE_SEQUENCES", "20"))
STEPS = int(os.environ.get("NAPARI_CNE_STEPS", "12"))
#: the same sequences every run (CI); the soak script draws new ones
DERANDOMIZE = os.environ.get("NAPARI_CNE_RANDOM", "0") != "1"
FAST = {"n_epochs": 12, "n_neighbors": 8, "update_interval": 0.0, "n_jobs": 1}
USER = ("cells", "objects", "cells 2", "more")
NAMES = ("dividing", "interphase", "debris")
#: errors that mean a bug, not a user's mistake told in one line
BUGS = ("embedding failed", "could not store the results", "Traceback")


class WidgetMachine(RuleBasedStateMachine):
    """The dock widget under random user actions (see the module docstring)."""

    #: set by the test (or the soak script): pytest-qt's qtbot, a viewer factory
    qtbot = None
    make_viewer = None
    #: how often each action ran, over all sequences
    actions: Counter = Counter()
    sequences = 0

    #: one viewer for every sequence (a new one costs a second), and the
    #: user's layers kept from one sequence to the next (a napari layer costs
    #: about 0.15 s): our layers are removed, the user's features and
    #: metadata put back as they were, a deleted user layer made again
    viewer = None

    def __init__(self):
        super().__init__()
        cls = type(self)
        if cls.viewer is None:
            cls.viewer = cls.make_viewer()
        self.reset_layers()
        self.user = {
            lay.name: (np.array(lay.data, copy=True), _features(lay))
            for lay in self.viewer.layers
        }
        self.widget = EmbeddingWidget(self.viewer)
        self.widget.set_params(**FAST)
        self.expected: dict = {}  # source identity -> {key: class}
        self.names: set[str] = set()
        self.tmp = Path(tempfile.mkdtemp())
        self.steps = []
        type(self).sequences += 1

    def reset_layers(self) -> None:
        """The user's four layers, as at the start; nothing else."""
        viewer = self.viewer
        for layer in [lay for lay in viewer.layers if lay.name not in USER]:
            viewer.layers.remove(layer)
        labels, image = make_objects()
        labels2, image2 = make_objects(seed=1)
        right = {"translate": (0, 400)}
        made = {
            "cells": (viewer.add_image, image, {}),
            "objects": (viewer.add_labels, labels, {}),
            "cells 2": (viewer.add_image, image2, right),
            "more": (viewer.add_labels, labels2, right),
        }
        for name, (add, data, where) in made.items():
            if name in viewer.layers:
                layer = viewer.layers[name]
                layer.metadata = {}
                if hasattr(layer, "features"):
                    layer.features = pd.DataFrame()
            else:
                add(data, name=name, **where)

    # ------------------------------------------------------------ helpers
    def act(self, what: str, action) -> None:
        """Do one action, let Qt deliver what it sets off; no exception escapes."""
        self.steps.append(what)
        self.actions[what.split()[0]] += 1
        with self.qtbot.capture_exceptions() as errors:
            action()
            self.qtbot.wait(5)
        assert not errors, f"{what}: {errors[0][1]!r}"

    def wait_idle(self) -> None:
        with self.qtbot.capture_exceptions() as errors:
            self.qtbot.waitUntil(lambda: not self.widget.is_running, timeout=60_000)
            self.qtbot.wait(5)
        assert not errors, f"while waiting: {errors[0][1]!r}"

    def identity(self):
        target = self.widget.selection.target
        return None if target is None else target.identity

    def has(self, name: str) -> bool:
        return name in self.viewer.layers

    def linked(self) -> bool:
        pts = self.widget.selection.points
        return pts is not None and pts in self.viewer.layers

    # -------------------------------------------------------------- runs
    @initialize(source=st.sampled_from(["objects", "more"]), wait=st.booleans())
    def first_run(self, source, wait):
        """Most users start with a run (a sequence may stop it at once)."""
        self.run(source, wait)

    @rule(source=st.sampled_from(["objects", "more"]), wait=st.booleans())
    def run(self, source, wait=False):
        """Run on a Labels layer; half the time the user waits for the end."""
        if not self.has(source):
            return
        images = ["cells" if source == "objects" else "cells 2"]
        images = [im for im in images if self.has(im)]
        self.act(
            f"run {source}",
            lambda: (
                self.widget.set_input(labels=source, images=images),
                self.widget.run(),
            ),
        )
        if wait:
            self.wait_idle()

    @rule()
    def wait(self):
        self.wait_idle()

    @rule()
    def stop(self):
        self.act("stop", self.widget.stop)
        self.wait_idle()
        session = self.widget.session
        assert session.running is None and not session.queue
        bar = self.widget.run_panel.progress
        assert bar.minimum() <= bar.value() <= max(bar.maximum(), bar.minimum())
        assert "Waiting" not in session.status
        pts = self.widget.points_layer
        if pts is not None and pts in self.viewer.layers:
            assert np.isfinite(np.asarray(pts.data)).all()
            assert len(pts.data) == len(pts.features)

    @rule(s=st.floats(-1.0, 2.0, allow_nan=False))
    def slider(self, s):
        self.act(f"slider {s:.2f}", lambda: self.widget.reoptimize(s, n_epochs=5))

    @rule()
    def sweep(self):
        self.act("sweep", lambda: self.widget.sweep((0.0, 1.0), n_epochs=3))

    @rule(target_layer=st.sampled_from(["more", "objects"]))
    def place(self, target_layer):
        if not self.has(target_layer):
            return
        self.act(f"place {target_layer}", lambda: self.widget.place(target_layer))

    # --------------------------------------------------------- selection
    # preconditions and draws depend on the sequence alone, never on how far
    # a worker got (hypothesis replays a sequence and needs the same draws)
    @rule(fraction=st.floats(0.1, 0.9))
    def lasso(self, fraction):
        if not self.linked() or self.widget.is_running:
            return
        pts = np.asarray(self.widget.selection.points.data, float)
        if pts.ndim != 2 or pts.shape[1] != 2 or not len(pts):
            return
        lo, hi = pts.min(axis=0) - 1, pts.max(axis=0) + 1
        cut = lo[1] + fraction * (hi[1] - lo[1])
        polygon = [[lo[0], lo[1]], [lo[0], cut], [hi[0], cut], [hi[0], lo[1]]]
        self.act("lasso", lambda: self.widget.selection.select_polygon(polygon))

    @rule(data=st.data())
    def select(self, data):
        rows = data.draw(st.lists(st.integers(0, 999), min_size=1, max_size=10))
        keys = self.widget.selection.linker.keys
        if not self.linked() or not len(keys):
            return
        picked = [int(keys[r % len(keys)]) for r in rows]
        self.act("select", lambda: self.widget.selection.select(picked))

    def free_names(self) -> list[str]:
        return sorted(set(NAMES) - self.names)

    @rule(data=st.data())
    def add_class(self, data):
        name = data.draw(st.sampled_from(NAMES))
        if name in self.names:  # a name in use: a clear error, nothing changes
            with pytest.raises(ValueError):
                self.widget.selection.add_class(name)
            return
        self.act(f"add {name}", lambda: self.widget.selection.add_class(name))
        self.names.add(name)

    @precondition(lambda self: self.names and self.free_names())
    @rule(data=st.data())
    def rename_class(self, data):
        old = data.draw(st.sampled_from(sorted(self.names)))
        new = data.draw(st.sampled_from(self.free_names()))
        self.act(
            f"rename {old} {new}", lambda: self.widget.selection.rename_class(old, new)
        )
        self.names = (self.names - {old}) | {new}
        for assignments in self.expected.values():
            for key, value in assignments.items():
                if value == old:
                    assignments[key] = new

    @precondition(lambda self: self.names)
    @rule(data=st.data())
    def delete_class(self, data):
        name = data.draw(st.sampled_from(sorted(self.names)))
        self.act(f"delete {name}", lambda: self.widget.selection.remove_class(name))
        self.names.discard(name)
        for source, assignments in self.expected.items():
            self.expected[source] = {k: v for k, v in assignments.items() if v != name}

    @rule(data=st.data())
    def assign(self, data):
        """Put objects into a class (made first if need be; some selected if none)."""
        name = data.draw(st.sampled_from(NAMES))
        if name not in self.names:
            self.act(f"add {name}", lambda: self.widget.selection.add_class(name))
            self.names.add(name)
        self.select(data)
        selected = list(self.widget.selection.selected)
        if not selected or not self.linked():
            return
        # the objects of the target linked now: a run that ends while the
        # action's events are delivered links another one after it
        identity = self.identity()
        self.act(f"assign {name}", lambda: self.widget.selection.assign_selection(name))
        mine = self.expected.setdefault(identity, {})
        mine.update(dict.fromkeys(map(int, selected), name))

    # ------------------------------------------------------------ layers
    @rule(source=st.sampled_from(["objects", "more"]))
    def switch_input(self, source):
        if self.has(source):
            self.act(f"input {source}", lambda: self.widget.set_input(labels=source))

    @rule(which=st.sampled_from(["embedding", "cells", "objects", "more", "ours"]))
    def delete_layer(self, which):
        if which == "embedding":
            layer = self.widget.points_layer
        elif which == "ours":
            ours = [lay for lay in self.viewer.layers if lay.name not in self.user]
            layer = ours[-1] if ours else None
        else:
            layer = self.viewer.layers[which] if self.has(which) else None
        if layer is None or layer not in self.viewer.layers:
            return
        self.act(f"delete layer {layer.name}", lambda: self.viewer.layers.remove(layer))
        self.user.pop(layer.name, None)  # the user deleted it: no longer watched

    @rule(k=st.integers(5, 40))
    def save_and_load_parameters(self, k):
        path = self.tmp / f"p{len(self.steps)}.json"
        before = self.widget.get_params()

        def round_trip():
            self.widget.save_parameters(str(path))
            self.widget.set_params(n_neighbors=k)
            self.widget.load_parameters(str(path))

        self.act("save/load parameters", round_trip)
        assert self.widget.get_params() == before

    # -------------------------------------------------------- invariants
    @invariant()
    def no_bug_reached_the_user(self):
        error = self.widget.last_error or ""
        assert not any(b in error for b in BUGS), (self.steps, error)

    @invariant()
    def one_point_per_object(self):
        widget = self.widget
        fit, pts = widget.session.fit, widget.points_layer
        if (
            widget.is_running
            or fit is None
            or pts is None
            or pts not in self.viewer.layers
        ):
            return
        if source_of(pts) != fit.input.name:
            return
        assert len(pts.data) == len(pts.features) == fit.n_objects, self.steps
        ids = pts.features[fit.input.id_name]
        assert not ids.duplicated().any(), self.steps

    @invariant()
    def classes_stay_with_their_objects(self):
        classes = self.widget.selection.classes
        assert set(classes.names) == self.names, self.steps
        identity = self.identity()
        if identity is None:
            return
        want = self.expected.get(identity, {})
        keys, codes = classes.assigned()
        have = {int(k): classes.names[c] for k, c in zip(keys, codes)}
        assert have == want, self.steps

    @invariant()
    def the_user_s_layers_are_untouched(self):
        for name, (data, feats) in self.user.items():
            if not self.has(name):
                continue
            layer = self.viewer.layers[name]
            np.testing.assert_array_equal(np.asarray(layer.data), data, err_msg=name)
            if len(feats.columns):
                now = layer.features[feats.columns].reset_index(drop=True)
                pd.testing.assert_frame_equal(now, feats.reset_index(drop=True))

    def teardown(self):
        try:
            self.widget.stop()
            self.wait_idle()
        finally:
            self.widget.detach()
            self.widget.close()
            self.widget.deleteLater()


def _features(layer) -> pd.DataFrame:
    feats = getattr(layer, "features", None)
    return feats.copy() if isinstance(feats, pd.DataFrame) else pd.DataFrame()


def run_machine(qtbot, make_viewer, sequences: int, steps: int, derandomize: bool):
    """Run ``sequences`` random sequences of at most ``steps`` actions."""
    WidgetMachine.qtbot, WidgetMachine.make_viewer = qtbot, make_viewer
    WidgetMachine.viewer = None
    run_state_machine_as_test(
        WidgetMachine,
        settings=settings(
            max_examples=sequences,
            stateful_step_count=steps,
            deadline=None,
            derandomize=derandomize,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


@pytest.mark.slow
def test_random_sequences_of_user_actions_keep_the_invariants(
    qtbot, make_napari_viewer
):
    WidgetMachine.actions.clear()
    WidgetMachine.sequences = 0
    run_machine(qtbot, make_napari_viewer, SEQUENCES, STEPS, DERANDOMIZE)
    seen = WidgetMachine.actions
    print(f"\n{WidgetMachine.sequences} sequences; actions: {dict(seen)}")
    # the sequences did what a user does: most kinds of it (which ones a
    # sequence reaches depends on how far its runs got)
    kinds = ["run", "stop", "slider", "sweep", "lasso", "select", "add", "rename"]
    kinds += ["delete", "assign", "input", "place", "save/load"]
    assert sum(seen[k] > 0 for k in kinds) >= min(10, SEQUENCES // 2), dict(seen)
