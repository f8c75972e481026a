"""The "Fitted map" panel: new fields of view placed in the map; the model saved.

Fit once, then place: the objects of another Labels layer (with its
images, paired with the fit's channels) are measured and placed in the
current embedding without refitting (:mod:`napari_cne.app.place`, as
``napari-cne transform`` places them), as a new Points
layer ``"<labels> placed"`` beside the embedding layer, in its coordinates
and colours; its points and the layer's objects are linked (a
:class:`..linking.Linker` of their own: clicking an object selects its
point, selecting points lights the objects up). "Save model…" writes the
fitted model for ``napari-cne transform``. GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from napari.layers import Labels
from qtpy.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QPushButton

from ...app.events import USER_ERRORS
from ...app.metadata import META_KEY, is_ours
from ...app.models import save_map
from ...app.place import PLACE_METHODS
from ...app.provenance import place_record
from ...app.session import Session
from ...app.targets import keys_from_table, unwrap
from ...engine.provenance import jsonable
from ...render.colors import colors_like, column_colors
from ...render.layout import fit_box, point_size
from ...render.position_colors import position_bounds, position_colors
from ..controls import ask_path, set_items
from ..layer_inputs import Origin, place_origin
from ..linking import Linker
from ..outputs import ALL_COORDS, points_features, target_of, write_source
from ..runner import Run
from ..viewers import Viewers
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
        Set by the dock widget: it runs the place requests.
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
            "auto: the network of a parametric fit, else optimize (each new\n"
            "point optimised against the fixed layout, as napari-cne\n"
            "transform does); interpolate: the weighted mean of the nearest\n"
            "fitted objects' places (fast)"
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
        events.removed.connect(self.on_removed)
        results.color_combo.currentTextChanged.connect(self.recolor)
        viewers.main_closing.connect(self.detach)
        self.reset_choices()

    # ------------------------------------------------------------ choices
    def reset_choices(self, *_) -> None:
        """Offer the user's Labels layers that are not part of the fit."""
        if self.session.closed:
            return
        origin = self._fit_origin()
        skip = [unwrap(lay) for lay in origin.layers] if origin is not None else []
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

    def _fit_origin(self) -> Origin | None:
        """Return the fit's input if it was measured in Labels layers (else None)."""
        fit = self.session.fit
        if (
            fit is None
            or fit.origin is None
            or fit.origin.mode
            not in (
                "labels",
                "sources",
            )
        ):
            return None
        return fit.origin

    def update_buttons(self) -> None:
        """Place: a map of Labels layers, idle, a layer to place; Save: a model."""
        session = self.session
        if session.closed:
            return
        fitted = session.model is not None and not session.is_running
        self.place_btn.setEnabled(
            fitted and self._fit_origin() is not None and self.labels_combo.count() > 0
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
            if self._fit_origin() is None:
                raise ValueError(
                    "placing needs a map fitted on Labels layers (Source: Labels "
                    "+ image layers)"
                )
            if not labels:
                raise ValueError("choose a Labels layer to place")
            layer = self.viewers.layer(self.viewers.name_of(labels))
            columns = list(session.fit.matrix.used)
            origin = place_origin(
                layer, images, self.viewers, session.fit.origin, columns
            )
            request = session.place_request(origin.input, method, origin)
            request.check()  # the method, before any work
        except USER_ERRORS as err:
            session.fail(str(err))
            return None
        return self.runner.submit(request, replace=False)

    def finish(self, run: Run) -> None:
        """Add the placed layer (the worker is done), link it, colour it."""
        session, placed = self.session, run.result
        session.progress(0 if placed is None else 1, maximum=1)
        if run.error is not None:
            return
        if placed is None:
            session.say("Placing stopped." if run.cancelled else "Nothing was placed.")
            return
        origin = placed.origin
        if not self.viewers.contains(origin.source):
            session.say(f"{origin.name!r} was deleted: nothing was placed.")
            return
        Y = placed.Y
        names = write_source(
            origin, placed.table, placed.kept, Y, self.viewers.contains
        )
        layer = self._add_layer(placed, self._metadata(run, names))
        self._link(placed, layer)
        left = int((~placed.kept).sum())
        session.say(
            f"Placed {len(Y)} objects of {origin.name!r} in the map "
            f"({placed.method}): layer {layer.name!r}."
            + (f" {left} with missing values were left out." if left else "")
        )

    def _metadata(self, run: Run, names) -> dict:
        """Return ``metadata["napari_cne"]`` of a placed layer."""
        placed, fitted = run.result, run.request.fitted
        inp, model = placed.input, fitted.model
        channels = {k: v[0] for k, v in inp.channels.items()}
        map_name = self.session.fit.input.name
        return {
            "source": inp.name,
            "kind": "placed",
            "map": map_name,
            "method": placed.method,
            "input_layers": list(inp.layers),
            "channels": channels,
            "columns": list(fitted.scaling.columns),
            "n_objects": int(placed.kept.sum()),
            "left_out": int((~placed.kept).sum()),
            "output_columns": list(names) if names else None,
            "s": float(model.s_),
            "params": jsonable(model.get_params()),
            "provenance": place_record(placed, fitted, map_name=map_name),
        }

    def _add_layer(self, placed, meta: dict):
        live = self.results.live.layer
        alive = self.viewers.alive(live)
        viewer = self.viewers.of(live) if alive else self.viewers.main
        main = live.features if alive else None
        if main is not None and {"cne_0", "cne_1"} <= set(main.columns):
            fitted = main[[c for c in ALL_COORDS if c in main.columns]].to_numpy(float)
        else:
            fitted = np.asarray(self.session.model.embedding_)
        Y, origin = placed.Y, placed.origin
        raw = viewer is not self.viewers.main or Y.shape[1] != 2
        # as the embedding layer: raw, or scaled into the box like the fit
        coords = Y.copy() if raw else fit_box(Y, origin.box, like=fitted)
        df = points_features(placed.table, placed.kept, placed.input.id_name, Y)
        if alive and len(live.size):
            size = float(np.mean(live.size))
        else:
            size = point_size(len(coords), origin.box[2])
        layer = viewer.add_points(
            coords,
            name=f"{origin.name} placed",
            features=df,
            size=size,
            border_width=0,
            face_color=self._colors(df),
            metadata={META_KEY: meta},
        )
        self.layers = [lay for lay in self.layers if self.viewers.alive(lay)]
        self.layers.append(layer)
        return layer

    def _link(self, placed, layer) -> None:
        """Link the placed points and the layer's objects (both ways)."""
        origin = placed.origin
        target = target_of(origin)
        rows = placed.table.loc[placed.kept]
        keys = keys_from_table(rows, target, placed.input.id_name)
        key = id(unwrap(origin.source))
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
    def _colors(self, df: pd.DataFrame) -> np.ndarray:
        """Return the colours of placed points, on the embedding layer's scale."""
        live = self.results.live.layer
        main = live.features if self.viewers.alive(live) else None
        column = self.results.color_combo.currentText()
        if main is None:
            return column_colors(None, len(df))
        if column == POSITION:  # each point's place, over the fitted range
            return position_colors(_coords(df), position_bounds(_coords(main)))
        if column not in df.columns or column not in main.columns:
            return column_colors(None, len(df))
        return colors_like(df[column], main[column])

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
        if session.fit is None:
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
            fit = session.fit
            out = save_map(path, fit.fitted_map(widget_mode=fit.origin.mode))
        except (OSError, RuntimeError, ValueError) as err:
            session.fail(f"could not save the model: {err}")
            return None
        session.say(
            f"Model saved to {out.name}: napari-cne transform {out.name} TABLE "
            "-o OUT places the rows of a table of the same columns."
        )
        return out

    # ----------------------------------------------------------- cleanup
    def on_removed(self, event=None) -> None:
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


def _coords(df: pd.DataFrame) -> np.ndarray:
    return df[[c for c in ALL_COORDS if c in df.columns]].to_numpy(float)
