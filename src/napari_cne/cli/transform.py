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
from pathlib import Path

import numpy as np

from ..app.every_pixel import PIXEL_METHODS, EveryPixelRequest
from ..app.inputs import TableInput
from ..app.models import FittedMap, load_map
from ..app.place import PLACE_METHODS, PlaceRequest
from ..app.provenance import pixel_map_record, place_record
from ..app.scheduler import Scheduler
from ..features.pixel_map import memory_needed
from .columns import format_names
from .embed import Loaded
from .errors import EXIT_OK, UsageError, cannot_write, run_with_messages
from .files import (
    check_paths,
    check_plot,
    is_image_path,
    read_input,
    sha256,
    sidecar_path,
    write_embedding,
    write_json,
)
from .images import measure_folder
from .pixel_files import (
    check_pixel_outputs,
    check_rgb,
    coords_target,
    finish_pixels,
    memory_parts,
    memory_remedy,
    open_pixels,
    pixel_lines,
    read_mask,
)
from .progress import Progress, drive
from .settings import check_device

__all__ = ["PIXEL_METHODS", "TRANSFORM_METHODS", "transform_command"]

#: the ways rows are placed (``auto``: the network if there is one, else
#: optimize; pixels take network or interpolate)
TRANSFORM_METHODS = PLACE_METHODS


def _extra(args, fitted: FittedMap) -> dict:
    return {
        "command": ["napari-cne", *getattr(args, "_argv", [])],
        "model": str(args.model),
        "model_sha256": sha256(Path(args.model)),
        "output": str(args.output),
    }


def _transform_table(args, fitted: FittedMap, say) -> None:
    t0 = time.perf_counter()
    inp, out = Path(args.input), Path(args.output)
    check_paths(inp, out, None, args.plot)
    if fitted.kind == "objects" and inp.is_dir():  # measured as at the fit
        loaded = measure_folder(inp, fitted.info["patterns"], args.scheduler)
    else:
        if args.scheduler is not None and not args.quiet:
            print(
                "napari-cne: note: --scheduler measures folders and places "
                "pixels; a table is placed here",
                file=sys.stderr,
            )
        loaded = Loaded(read_input(inp), sha256(inp))
    table = loaded.table
    rows = TableInput(table, inp.name, layers=[str(inp)], id_name=loaded.id_name)
    request = PlaceRequest(fitted, rows, args.method, n_epochs=args.n_epochs)
    placed = drive(request, Progress(args.progress and not args.quiet))
    kept, method = placed.kept, placed.method
    names = write_embedding(out, table, placed.Y, kept)
    extra = {
        **_extra(args, fitted),
        "input_sha256": loaded.sha256,
        "output_columns": names,
        **loaded.record,
    }
    record = place_record(placed, fitted, map_name=Path(args.model).name, extra=extra)
    record["elapsed_s"] = time.perf_counter() - t0
    write_json(sidecar_path(out), record)
    cols = list(fitted.scaling.columns)
    say(f"napari-cne transform: {inp.name} with {Path(args.model).name}")
    for note in loaded.notes:
        say(f"  {note}")
    say(f"  rows      {int(kept.sum())} of {len(table)} placed ({method})")
    say(f"  columns   {len(cols)}: {format_names(cols)}")
    say(f"  time      {record['elapsed_s']:.2f} s")
    say(
        f"  wrote     {out}"
        + (f" (columns {', '.join(names)})" if names else "")
        + f" + {sidecar_path(out).name}"
    )
    if args.plot is not None:
        from ..render.plot import plot_placed

        title = f"napari-cne: {inp.name} in {Path(args.model).name} ({method})"
        _plot(args.plot, plot_placed, fitted.model.embedding_, placed.Y, title)
        say(f"  wrote     {args.plot} (the placed rows over the fitted map)")


def _open(args, fitted: FittedMap):
    """Open the image and the mask; name its channels as the map's."""
    axis = args.channel_axis
    if axis is None:
        saved_axis = fitted.info.get("channel_axis", 0)
        axis = "none" if saved_axis is None else saved_axis
    img = open_pixels(args.input, axis)
    channels = list(fitted.channels)
    if img.n_channels != len(channels):
        where = (
            "no channel axis"
            if img.channel_axis is None
            else f"channel axis {img.channel_axis}"
        )
        raise UsageError(
            f"{img.path.name} has {img.n_channels} channel(s) ({where}); the "
            f"model was fitted on {len(channels)} ({', '.join(channels)}); check "
            "--channel-axis"
        )
    check_rgb(args.rgb, img)
    img = img.load()
    return img, read_mask(args.mask, img), channels


def _plot(path, draw, *args) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        draw(path, *args)
    except OSError as err:
        raise cannot_write(path, err) from None


def _transform_pixels(args, fitted: FittedMap, say) -> None:
    t0 = time.perf_counter()
    check_pixel_outputs(args.input, args.output, args.rgb)
    check_plot(args.plot)
    img, mask, channels = _open(args, fitted)
    request = EveryPixelRequest(
        fitted,
        img.levels,
        img.channel_axis,
        channels,
        mask=mask,
        method=args.method,
        tile_pixels=args.tile_pixels,
        out=coords_target(args.output),
        memory=memory_parts(img, args.output, args.rgb),
        remedy=memory_remedy(args.output, args.rgb),
        name=img.path.name,
    )
    request.check()  # the method, the channels and the memory, before any work
    show = args.progress and not args.quiet
    with Scheduler(args.scheduler) as cluster:
        request.scheduler = cluster
        where = cluster.describe()
        pm = drive(request, Progress(show))
    method = request.resolved_method
    inputs = [str(img.path)] + ([str(args.mask)] if args.mask else [])
    extra = {
        **_extra(args, fitted),
        "image_shape": list(img.image.shape),
        "channel_axis": img.channel_axis,
        "mask": args.mask,
        "scheduler": args.scheduler,
        "rgb": args.rgb,
    }
    record = pixel_map_record(
        fitted,
        pm,
        inputs=inputs,
        method=method,
        tile_pixels=args.tile_pixels,
        extra=extra,
    )
    record["extra"]["tiles"] = {
        "done": pm.done,
        "total": pm.total,
        "pixels_per_tile": args.tile_pixels,
    }
    record["elapsed_s"] = time.perf_counter() - t0
    say(f"napari-cne transform: {img.path.name} with {Path(args.model).name}")
    memory = memory_parts(img, args.output, args.rgb)
    if coords_target(args.output) is None:
        n_components = int(np.shape(fitted.model.embedding_)[1])
        memory["coordinates"] = memory_needed(img.spatial, n_components)
    for line in pixel_lines(img, mask, pm, method, where, memory):
        say(f"  {line}")
    say(f"  time      {record['elapsed_s']:.2f} s")
    finish_pixels(fitted.model, pm, args, record, lambda t: say(f"  wrote     {t}"))
    if args.plot is not None:
        from ..render.plot import plot_position_key

        title = f"napari-cne: {Path(args.model).name} (key to the colours)"
        _plot(args.plot, plot_position_key, fitted.model.embedding_, title)
        say(f"  wrote     {args.plot} (the fitted map, coloured as --rgb)")


def _transform(args: argparse.Namespace, say) -> int:
    check_device(args.device)
    inp = Path(args.input)
    fitted = load_map(args.model, device=args.device)
    folder = inp.is_dir() and inp.suffix.lower() != ".zarr"
    if folder and fitted.kind == "objects":
        image = False  # a folder of label images, measured as at the fit
    else:
        image = is_image_path(inp) or (
            inp.suffix.lower() == ".npy" and fitted.kind == "pixels"
        )
    if image and fitted.kind != "pixels":
        raise UsageError(
            f"{Path(args.model).name} was fitted on {fitted.describe()}; placing "
            "the pixels of an image needs a model from napari-cne embed-pixels"
        )
    if not image and fitted.kind == "pixels":
        raise UsageError(
            f"{Path(args.model).name} was fitted on {fitted.describe()}; give it "
            "an image (.tif, .tiff, .npy, .zarr), not a table"
        )
    if image:
        _transform_pixels(args, fitted, say)
    else:
        _transform_table(args, fitted, say)
    return EXIT_OK


def transform_command(args: argparse.Namespace) -> int:
    """Run ``napari-cne transform``; return the exit status (as ``embed``)."""
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return run_with_messages(args, _transform)
