"""``napari-cne transform``: place new rows, or every pixel of an image, with a model.

MODEL is a file written by ``--save-model`` (:mod:`.models`): the fitted
layout with the scaling of its features. A table INPUT (from ``embed`` or
``embed-images`` models; for an ``embed-images`` model also a folder of
label images, measured with the fit's patterns) is read as ``embed`` reads
it, its model columns
scaled as at the fit, and its rows placed
(:meth:`~napari_cne.ContrastiveEmbedding.transform`); the output is the
input plus the coordinate columns, named as ``embed`` names them. An image
INPUT (a model from ``embed-pixels``) gets every pixel placed, as
``embed-pixels`` places them (:mod:`.placing`).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ..engine.transform import TRANSFORM_METHODS
from .columns import format_names
from .embed import Loaded
from .errors import EXIT_OK, UsageError, run_with_messages
from .files import (
    check_paths,
    is_image_path,
    read_input,
    sha256,
    sidecar_path,
    write_embedding,
    write_json,
)
from .fitting import Progress, check_device
from .images import measure_folder
from .models import Saved, load_saved
from .placing import (
    check_memory,
    check_pixel_outputs,
    check_rgb,
    finish_pixels,
    open_pixels,
    pixel_lines,
    place,
    read_mask,
)
from .scheduler import connect, describe

__all__ = ["PIXEL_METHODS", "TRANSFORM_METHODS", "transform_command"]

#: the ways pixels are placed (``optimize`` is for table rows)
PIXEL_METHODS = ("auto", "network", "interpolate")


def _record(args, saved: Saved, inputs, columns, extra: dict) -> dict:
    from ..engine.provenance import provenance

    extra = {
        "command": ["napari-cne", *getattr(args, "_argv", [])],
        "model": str(args.model),
        "model_sha256": sha256(Path(args.model)),
        "model_kind": saved.kind,
        "output": str(args.output),
        **extra,
    }
    return provenance(saved.model, inputs=inputs, columns=columns, extra=extra)


def _rows(table, columns: list, name: str):
    """Return the model columns of ``table`` as values, and the complete rows."""
    from ..features import is_numeric

    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UsageError(
            f"{name!r} lacks the column(s) {format_names(missing, quote=True)} the "
            f"model was fitted on; it has {format_names(list(table.columns), 12)}"
        )
    bad = [c for c in columns if not is_numeric(table[c])]
    if bad:
        raise UsageError(f"column(s) {format_names(bad, quote=True)} are not numeric")
    A = table[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    kept = np.isfinite(A).all(axis=1)
    if not kept.any():
        raise UsageError(f"no row of {name!r} has a finite value in every column")
    if not kept.all():
        warnings.warn(
            f"{int((~kept).sum())} of {len(A)} rows have missing or infinite "
            "values and are not placed (NaN in the output)",
            UserWarning,
            stacklevel=2,
        )
    return A, kept


def _transform_table(args, saved: Saved, say) -> None:
    t0 = time.perf_counter()
    inp, out = Path(args.input), Path(args.output)
    check_paths(inp, out, None, None)
    model = saved.model
    if args.method == "network" and model._network is None:
        raise UsageError("--method network needs a model fitted with --parametric")
    if saved.kind == "objects" and inp.is_dir():  # measured as at the fit
        loaded = measure_folder(inp, saved.extra["patterns"], args.scheduler)
    else:
        if args.scheduler is not None and not args.quiet:
            print("napari-cne: note: --scheduler measures folders and places "
                  "pixels; a table is placed here", file=sys.stderr)  # fmt: skip
        loaded = Loaded(read_input(inp), sha256(inp))
    table = loaded.table
    cols = list(saved.scaling.columns)
    A, kept = _rows(table, cols, inp.name)
    X = saved.scaling.transform_values(A[kept])
    method = args.method
    if method == "auto":
        method = "network" if model._network is not None else "optimize"
    Y = model.transform(X, n_epochs=args.n_epochs, method=method)
    names = write_embedding(out, table, Y, kept)
    rows = {"input": len(table), "placed": int(kept.sum()),
            "left_out_rows": np.flatnonzero(~kept)[:1000]}  # fmt: skip
    extra = {"input_sha256": loaded.sha256, "method": method, "rows": rows,
             "output_columns": names, **loaded.record}  # fmt: skip
    record = _record(args, saved, [str(inp)], cols, extra)
    record["elapsed_s"] = time.perf_counter() - t0
    write_json(sidecar_path(out), record)
    say(f"napari-cne transform: {inp.name} with {Path(args.model).name}")
    for note in loaded.notes:
        say(f"  {note}")
    say(f"  rows      {int(kept.sum())} of {len(table)} placed ({method})")
    say(f"  columns   {len(cols)}: {format_names(cols)}")
    say(f"  time      {record['elapsed_s']:.2f} s")
    say(f"  wrote     {out}" + (f" (columns {', '.join(names)})" if names else "")
        + f" + {sidecar_path(out).name}")  # fmt: skip


def _open(args, saved: Saved):
    """Open the image and the mask, check them against the model and memory."""
    axis = args.channel_axis
    if axis is None:
        saved_axis = saved.extra.get("channel_axis", 0)
        axis = "none" if saved_axis is None else saved_axis
    img = open_pixels(args.input, axis)
    cols = list(saved.scaling.columns)
    if img.n_channels != len(cols):
        axis = img.channel_axis
        where = "no channel axis" if axis is None else f"channel axis {axis}"
        raise UsageError(
            f"{img.path.name} has {img.n_channels} channel(s) ({where}); the "
            f"model was fitted on {len(cols)} ({format_names(cols)}); check "
            "--channel-axis"
        )
    check_rgb(args.rgb, img)
    mask = read_mask(args.mask, img)
    n_components = int(np.asarray(saved.model.embedding_).shape[1])
    memory = check_memory(img, n_components, args.output, args.rgb)
    return img.load(), mask, memory


def _transform_pixels(args, saved: Saved, say) -> None:
    from ..features.pixel_map import pixel_mapper

    t0 = time.perf_counter()
    check_pixel_outputs(args.input, args.output, args.rgb)
    if args.method == "optimize":
        raise UsageError(
            "--method optimize places table rows; pixels are placed with "
            "interpolate or network"
        )
    if args.method == "network" and saved.model._network is None:
        raise UsageError("--method network needs a model fitted with --parametric")
    img, mask, memory = _open(args, saved)
    mapper = pixel_mapper(saved.model, saved.scaling, args.method)
    method = "network" if mapper.network is not None else "interpolate"
    show = args.progress and not args.quiet
    with connect(args.scheduler) as client:
        where = describe(client)
        progress = Progress(show, "placing pixels", "tile")
        result = place(
            img, mapper, mask, args.output, progress, client, args.tile_pixels
        )
    inputs = [str(img.path)] + ([str(args.mask)] if args.mask else [])
    extra = {"image_shape": list(img.image.shape), "channel_axis": img.channel_axis,
             "mask": args.mask, "method": method, "scheduler": args.scheduler,
             "tiles": {"done": result.done, "total": result.total,
                       "pixels_per_tile": args.tile_pixels},
             "rgb": args.rgb}  # fmt: skip
    record = _record(args, saved, inputs, list(saved.scaling.columns), extra)
    record["elapsed_s"] = time.perf_counter() - t0
    say(f"napari-cne transform: {img.path.name} with {Path(args.model).name}")
    for line in pixel_lines(img, mask, result, method, where, memory):
        say(f"  {line}")
    say(f"  time      {record['elapsed_s']:.2f} s")
    finish_pixels(saved.model, result, args, record, lambda t: say(f"  wrote     {t}"))


def _transform(args: argparse.Namespace, say) -> int:
    check_device(args.device)
    inp = Path(args.input)
    saved = load_saved(args.model, device=args.device)
    folder = inp.is_dir() and inp.suffix.lower() != ".zarr"
    if folder and saved.kind == "objects":
        image = False  # a folder of label images, measured as at the fit
    else:
        image = is_image_path(inp) or (
            inp.suffix.lower() == ".npy" and saved.kind == "pixels"
        )
    if image and saved.kind != "pixels":
        raise UsageError(
            f"{Path(args.model).name} was fitted on {saved.describe()}; placing "
            "the pixels of an image needs a model from napari-cne embed-pixels"
        )
    if not image and saved.kind == "pixels":
        raise UsageError(
            f"{Path(args.model).name} was fitted on {saved.describe()}; give it "
            "an image (.tif, .tiff, .npy, .zarr), not a table"
        )
    if image:
        _transform_pixels(args, saved, say)
    else:
        _transform_table(args, saved, say)
    return EXIT_OK


def transform_command(args: argparse.Namespace) -> int:
    """Run ``napari-cne transform``; return the exit status (as ``embed``)."""
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return run_with_messages(args, _transform)
