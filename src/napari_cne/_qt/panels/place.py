"""The "Fitted map" panel: new fields of view placed in the map; the model saved.

Fit once, then place: the objects of another Labels layer (with its
images, paired with the fit's channels) are measured and placed in the
current embedding without refitting (:mod:`..placing`), as a new Points
layer ``"<labels> placed"`` beside the embedding layer, in its coordinates
and colours; its points and the layer's objects are linked (a
:class:`..linking.Linker` of their own: clicking an object selects its
point, selecting points lights the objects up). "Save model…" writes the
fitted model for ``napari-cne transform``. GUI thread only.
"""

from __future__ import annotations

import numpy as np
from napari.layers import Labels
from qtpy.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QPushButton

from ...render.layout import point_size
from ..controls import ask_path, set_items
from ..jobs import USER_ERRORS, Job
from ..linking import Linker
from ..metadata import META_KEY, is_ours
from ..outputs import ALL_COORDS, points_features, target_of, write_source
from ..placing import (
    PLACE_METHODS,
    fit_layers,
    is_placeable,
    place_gen,
    place_job,
    placed_colors,
    placed_coords,
    placed_metadata,
    resolve_method,
    save_fitted,
)
from ..session import Session
from ..targets import keys_from_table, unwrap
from ..viewers import Viewers
from .place_input import place_context
from .results import POSITION, ResultsPanel

__all__ = ["PlacePanel"]


class PlacePanel(QGroupBox):
    """Place another Labels layer in the fitted map; save the model.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    results : ResultsPanel
        Its embedding layer sets where and how placed points are drawn.

    Attributes
    ----------
    labels_combo, method_combo : QComboBox
        The Labels layer to place and how (``PLACE_METHODS``).
    place_btn, save_btn : QPushButton
    layers : list
        The placed Points layers (still in a viewer).
    runner : Runner
        Set by the dock widget: it runs the place jobs.
    """

    def __init__(self, session: Session, viewers: Viewers, results: ResultsPanel):
        super().__init__("Fitted map")
        self.session, self.viewers, self.results = session, viewers, results
        self.runner = None
        self.layers: list = []
        self._links: dict[int, Linker] = {}  # Labels layer -> its link
        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.labels_combo = QComboBox()
        self.labels_combo.setToolTip(
            "Another field of view to place in the fitted map (no refit): its\n"
            "objects are measured in its images, the k-th image as the fit's\n"
            "k-th channel"
        )
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(PLACE_METHODS))
        self.method_combo.setToolTip(
            "auto: the network of a parametric fit, else interpolate (the\n"
            "weighted mean of the nearest fitted objects' places, fast);\n"
            "optimize: each new point optimised against the fixed layout"
        )
        self.place_btn = QPushButton("Place layer in map")
        self.place_btn.setToolTip(
            "Add a Points layer '<labels> placed' with the objects of that layer\n"
            "where they belong in the current embedding"
        )
        self.save_btn = QPushButton("Save model…")
        self.save_btn.setToolTip(
            "Save the fitted model: napari-cne transform MODEL TABLE -o OUT\n"
            "places the rows of a table of the same columns"
        )
        row = QHBoxLayout()
        row.addWidget(self.place_btn)
        row.addWidget(self.save_btn)
        form.addRow("Place", self.labels_combo)
        form.addRow("Method", self.method_combo)
        form.addRow(row)
        self.place_btn.clicked.connect(self._on_place_clicked)
        self.save_btn.clicked.connect(lambda: self.save_model())
        session.jobs_changed.connect(self.update_buttons)
        session.model_changed.connect(self.reset_choices)
        events = viewers.main.layers.events
        events.inserted.connect(self.reset_choices)
        events.removed.connect(self._on_removed)
        results.color_combo.currentTextChanged.connect(self.recolor)
        viewers.main_closing.connect(self.detach)
        self.reset_choices()

    # ------------------------------------------------------------ choices
    def reset_choices(self, *_) -> None:
        """Offer the user's Labels layers that are not part of the fit."""
        if self.session.closed:
            return
        fit = self.session.ctx
        skip = [unwrap(lay) for lay in fit_layers(fit)] if is_placeable(fit) else []
        names = [
            lay.name
            for lay in self.viewers.main.layers
            if isinstance(lay, Labels) and not is_ours(lay) and unwrap(lay) not in skip
        ]
        try:
            set_items(self.labels_combo, names)
            self.update_buttons()
        except RuntimeError:  # the Qt side is already gone (viewer closing)
            return

    def update_buttons(self) -> None:
        """Place: a map of Labels layers, idle, a layer to place; Save: a model."""
        session = self.session
        if session.closed:
            return
        fitted = session.model is not None and not session.is_running
        self.place_btn.setEnabled(
            fitted and is_placeable(session.ctx) and self.labels_combo.count() > 0
        )
        self.save_btn.setEnabled(fitted)

    # -------------------------------------------------------------- place
    def _on_place_clicked(self) -> None:
        self.place(
            self.labels_combo.currentText(), None, self.method_combo.currentText()
        )

    def place(self, labels, images=None, method: str = "auto"):
        """Place the objects of a Labels layer in the fitted map, in a worker.

        Parameters
        ----------
        labels : Labels layer or str
            Not one of the fit's layers; same axes and pixel size.
        images : list of Image layers or str, optional
            Its images, in the order of the fit's channels. None: as
            ``set_input`` pairs them (every image that fits its shape, less
            those lying on another Labels layer).
        method : {"auto", "network", "interpolate", "optimize"}
            ``auto``: the network of a parametric fit, else ``interpolate``.

        Returns
        -------
        GeneratorWorker or None
            None after showing an error (no map, a bad layer or method, a
            channel without an image: the message names its columns).
        """
        session = self.session
        try:
            if session.fit_underway():
                raise ValueError("a fit is under way: place once it is done")
            if session.model is None:
                raise ValueError("fit a map first (Run), then place other layers in it")
            if not is_placeable(session.ctx):
                raise ValueError(
                    "placing needs a map fitted on Labels layers (Source: Labels "
                    "+ image layers)"
                )
            if not labels:
                raise ValueError("choose a Labels layer to place")
            layer = self.viewers.layer(self.viewers.name_of(labels))
            method = resolve_method(method, session.model)
            ctx = place_context(layer, images, self.viewers, session.ctx)
        except USER_ERRORS as err:
            session.fail(str(err))
            return None
        return self.runner.submit(
            place_job(session, ctx, method), place_gen, replace=False
        )

    def finish(self, job: Job) -> None:
        """Add the placed layer (the worker is done), link it, colour it."""
        session, ctx = self.session, job.ctx
        Y = job.results.get(0)
        session.progress(0 if Y is None else 1, maximum=1)
        if job.error is not None:
            return
        if Y is None:
            session.say("Placing stopped." if job.cancelled else "Nothing was placed.")
            return
        if not self.viewers.contains(ctx.source):
            session.say(f"{ctx.source_name!r} was deleted: nothing was placed.")
            return
        names = write_source(ctx, Y, self.viewers.contains)
        layer = self._add_layer(job, Y, placed_metadata(job, names))
        self._link(job, layer)
        left = int((~ctx.kept).sum())
        session.say(
            f"Placed {len(Y)} objects of {ctx.source_name!r} in the map "
            f"({job.params['method']}): layer {layer.name!r}."
            + (f" {left} with missing values were left out." if left else "")
        )

    def _add_layer(self, job: Job, Y: np.ndarray, meta: dict):
        live = self.results.layer
        alive = self.viewers.alive(live)
        viewer = self.viewers.of(live) if alive else self.viewers.main
        main = live.features if alive else None
        if main is not None and {"cne_0", "cne_1"} <= set(main.columns):
            fitted = main[[c for c in ALL_COORDS if c in main.columns]].to_numpy(float)
        else:
            fitted = np.asarray(job.model.embedding_)
        raw = viewer is not self.viewers.main or Y.shape[1] != 2
        coords = placed_coords(Y, fitted, job.ctx.box, raw)
        df = points_features(job.ctx, Y)
        if alive and len(live.size):
            size = float(np.mean(live.size))
        else:
            size = point_size(len(coords), job.ctx.box[2])
        layer = viewer.add_points(
            coords,
            name=f"{job.ctx.source_name} placed",
            features=df,
            size=size,
            border_width=0,
            face_color=self._colors(df),
            metadata={META_KEY: meta},
        )
        self.layers = [lay for lay in self.layers if self.viewers.alive(lay)]
        self.layers.append(layer)
        return layer

    def _link(self, job: Job, layer) -> None:
        """Link the placed points and the layer's objects (both ways)."""
        ctx = job.ctx
        target = target_of(ctx)
        keys = keys_from_table(ctx.table.loc[ctx.kept], target, ctx.id_name)
        key = id(unwrap(ctx.source))
        linker = self._links.get(key) or Linker(self.viewers.of)
        self._links[key] = linker
        linker.attach(layer, keys, target)  # a second placing keeps the overlay

    def linker_of(self, layer):
        """Return the :class:`..linking.Linker` of a placed layer, or None."""
        return next(
            (lk for lk in self._links.values() if unwrap(lk.points) is unwrap(layer)),
            None,
        )

    # ------------------------------------------------------------ colours
    def _colors(self, df) -> np.ndarray:
        live = self.results.layer
        main = live.features if self.viewers.alive(live) else None
        column = self.results.color_combo.currentText()
        return placed_colors(df, main, column, position=column == POSITION)

    def recolor(self, *_) -> None:
        """Colour the placed layers like the embedding layer ("Colour by")."""
        self.layers = [lay for lay in self.layers if self.viewers.alive(lay)]
        for layer in self.layers:
            try:
                layer.face_color = self._colors(layer.features)
            except (ValueError, TypeError) as err:
                self.session.fail(f"cannot colour {layer.name!r}: {err}")
                return

    # ------------------------------------------------------------- model
    def save_model(self, path=None):
        """Save the fitted model so that ``napari-cne transform`` places new rows.

        Parameters
        ----------
        path : str or Path, optional
            The file (``.pt``; ``<path>.json`` gets a readable copy of the
            parameters); without it a file dialog asks.

        Returns
        -------
        pathlib.Path or None
            None after showing an error, or when the dialog was cancelled.
        """
        session = self.session
        if session.model is None or session.ctx is None:
            session.fail("fit a map first (Run), then save its model")
            return None
        if session.is_running:
            session.fail("a job is running: save the model once it is done")
            return None
        if path is None:
            path = ask_path(
                self, "Save model", "napari-cne model (*.pt)", save_as="model.pt"
            )
            if path is None:
                return None
        try:
            out = save_fitted(path, session.model, session.ctx)
        except (OSError, RuntimeError, ValueError) as err:
            session.fail(f"could not save the model: {err}")
            return None
        session.say(
            f"Model saved to {out.name}: napari-cne transform {out.name} TABLE "
            "-o OUT places the rows of a table of the same columns."
        )
        return out

    # ----------------------------------------------------------- cleanup
    def _on_removed(self, event=None) -> None:
        """Unlink placed layers (or Labels layers) that were deleted."""
        if self.session.closed:
            return
        for key, linker in list(self._links.items()):
            target = linker.target
            gone = target is None or not self.viewers.contains(target.layer)
            if gone or not self.viewers.alive(linker.points):
                linker.detach()
                del self._links[key]
        self.layers = [lay for lay in self.layers if self.viewers.alive(lay)]
        self.reset_choices()

    def detach(self) -> None:
        """Disconnect every link (the viewer is closing)."""
        for linker in self._links.values():
            linker.detach()
        self._links = {}
