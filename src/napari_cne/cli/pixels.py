"""``napari-cne embed-pixels``: fit on a sample of an image's pixels, place them all.

The workflow is the widget's pixel fit with "Place every pixel"
(:class:`napari_cne.app.fit.FitRequest`): the fit runs on ``--max-pixels``
pixels drawn from the image with the run's seed (chunk by chunk for a lazy
image, at a coarse level of a pyramid when that holds enough pixels), their
channel values scaled as a table's (a constant channel is left out, with a
warning); then every pixel (in ``--mask``) is placed into that layout,
tile by tile (here, or on a cluster with ``--scheduler``), after a memory
check from the shapes alone. The outputs (:mod:`.pixel_files`): the
coordinates (``.npy`` or ``.zarr``), their provenance, the RGB picture
(``--rgb``) and the model (``--save-model``) that ``napari-cne transform``
places other images with.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..app.fit import FitRequest
from ..app.inputs import PixelsInput
from ..app.models import save_map
from ..app.provenance import fit_record
from ..app.scheduler import Scheduler
from ..features.pixel_map import memory_needed
from .errors import EXIT_OK, RunError, UsageError, cannot_write, run_with_messages
from .files import check_model_path, check_plot, sidecar_path
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
from .settings import engine_params

__all__ = ["pixels_command"]


def _request(args, img, mask, params: dict, cluster: Scheduler) -> FitRequest:
    """Return the fit on a sample of the image's pixels, then every pixel placed."""
    names = [f"ch{i}" for i in range(img.n_channels)]
    file_mask = args.mask is not None and args.mask != "foreground"
    inputs = [str(img.path)] + ([str(args.mask)] if file_mask else [])
    inp = PixelsInput(
        img.levels,
        img.channel_axis,
        names,
        img.path.name,
        mask=mask,
        max_pixels=args.max_pixels,
        layers=inputs,
    )
    every = {
        "method": args.method,
        "tile_pixels": args.tile_pixels,
        "out": coords_target(args.output),
        "memory": memory_parts(img, args.output, args.rgb),
        "remedy": memory_remedy(args.output, args.rgb),
    }
    return FitRequest(
        inp,
        params,
        standardize=not args.no_standardize,
        interval=0.1,
        every_pixel=every,
        scheduler=cluster,
    )


def _prepare(args):
    """Check every name, open the image and the mask."""
    check_pixel_outputs(args.image, args.output, args.rgb)
    check_plot(args.plot)
    mask_file = None if args.mask == "foreground" else args.mask
    check_model_path(args.save_model, args.image, args.output, args.rgb, mask_file)
    params = engine_params(args)
    if args.method == "network" and not params.get("parametric"):
        raise UsageError("--method network needs a --parametric fit")
    img = open_pixels(args.image, args.channel_axis)
    check_rgb(args.rgb, img)
    img = img.load()
    mask = read_mask(args.mask, img)
    return params, img, mask


def _quality(args, fit):
    from ..engine.metrics import quality_report

    if args.no_quality:
        return None
    model = fit.model
    return quality_report(
        fit.matrix.X,
        model.embedding_,
        k=15,
        max_points=5000,
        random_state=0,
        metric=model.metric,
    )


def _record(args, img, fit, method: str, extra: dict) -> dict:
    pm = fit.pixel_map
    extra = {
        "command": ["napari-cne", *getattr(args, "_argv", [])],
        "image": str(img.path),
        "image_shape": list(img.image.shape),
        "mask": args.mask,
        "method": method,
        "tiles": {
            "done": pm.done,
            "total": pm.total,
            "pixels_per_tile": args.tile_pixels,
        },
        "scheduler": args.scheduler,
        "output": str(args.output),
        "rgb": args.rgb,
        **extra,
    }
    return fit_record(fit, extra=extra)


def _plot(path, Y, title: str) -> None:
    """Write the fitted layout coloured by position: the key to ``--rgb``."""
    from ..render.plot import plot_position_key

    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        plot_position_key(path, Y, title)
    except OSError as err:
        raise cannot_write(path, err) from None


def _save(args, img, fit):
    if args.save_model is None:
        return None
    fitted = fit.fitted_map(input=str(img.path))
    try:
        return save_map(args.save_model, fitted)
    except (OSError, RuntimeError) as err:
        raise cannot_write(args.save_model, err) from None


def _embed_pixels(args, say) -> int:
    from ..engine.metrics import format_quality

    t0 = time.perf_counter()
    params, img, mask = _prepare(args)
    show = args.progress and not args.quiet
    with Scheduler(args.scheduler) as cluster:
        request = _request(args, img, mask, params, cluster)
        request.check()  # the method and the memory, before any work
        cluster.get()  # a bad address fails now
        try:
            fit = drive(request, Progress(show))
        except FloatingPointError as err:
            raise RunError(str(err)) from None
        where = cluster.describe()
    method = request.map_request.resolved_method
    quality = _quality(args, fit)
    saved = _save(args, img, fit)
    elapsed = time.perf_counter() - t0
    extra = {"quality": quality, "saved_model": None if saved is None else str(saved)}
    record = _record(args, img, fit, method, extra)
    record["elapsed_s"] = elapsed
    model, table = fit.model, fit.matrix.table
    say(f"napari-cne embed-pixels: {img.path.name}")
    memory = memory_parts(img, args.output, args.rgb)
    if coords_target(args.output) is None:
        memory["coordinates"] = memory_needed(img.spatial, model.embedding_.shape[1])
    lines = pixel_lines(img, mask, fit.pixel_map, method, where, memory)
    lines.insert(
        1,
        f"fit       {len(table)} pixels sampled, s = {float(model.s_):g}, "
        f"{model.loss} loss, {model.n_epochs_} epochs, {model.device_} "
        f"({model.backend_}), seed {model.seed_}",
    )
    for line in lines:
        say(f"  {line}")
    say(f"  time      {elapsed:.2f} s")
    if quality is not None:
        say(f"  quality   {format_quality(quality)} (the fitted sample)")
    finish_pixels(model, fit.pixel_map, args, record, lambda t: say(f"  wrote     {t}"))
    if args.plot is not None:
        _plot(args.plot, model.embedding_, f"napari-cne: {img.path.name} (key)")
        say(f"  wrote     {args.plot} (the fitted pixels, coloured as --rgb)")
    if saved is not None:
        say(f"  wrote     {saved} + {sidecar_path(saved).name}")
    return EXIT_OK


def pixels_command(args: argparse.Namespace) -> int:
    """Run ``napari-cne embed-pixels``; return the exit status (as ``embed``)."""
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return run_with_messages(args, _embed_pixels)
