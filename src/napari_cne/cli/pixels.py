"""``napari-cne embed-pixels``: fit on a sample of an image's pixels, place them all.

The fit runs on ``--max-pixels`` pixels drawn from the image
(:func:`~napari_cne.features.pixel_sample.pixel_sample`: chunk by chunk for
a lazy image, at a coarse level of a pyramid when that holds enough pixels),
their channel values scaled as
:func:`~napari_cne.features.fit_feature_matrix` scales a table. Then every
pixel (in ``--mask``) is placed into that layout, tile by tile
(:mod:`.placing`; here, or on a cluster with ``--scheduler``), after a
memory check from the shapes alone. The outputs: the coordinates (``.npy``
or ``.zarr``), their provenance, the RGB picture (``--rgb``) and the model
(``--save-model``) that ``napari-cne transform`` places other images with.
"""

from __future__ import annotations

import argparse
import sys
import time

from .columns import format_names
from .errors import EXIT_OK, RunError, UsageError, run_with_messages
from .files import sidecar_path
from .fitting import Progress, engine_params, fit_model
from .models import check_model_path, save_fitted
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

__all__ = ["pixels_command"]


def _fit_sample(args, img, mask, params: dict, progress: Progress):
    """Draw the sample, scale its channels and fit; return the pieces."""
    from ..engine.estimator import ContrastiveEmbedding
    from ..features.matrix import fit_feature_matrix
    from ..features.pixel_sample import pixel_sample

    names = [f"ch{i}" for i in range(img.n_channels)]
    table = pixel_sample(
        img.levels, img.channel_axis, channel_names=names, mask=mask,
        max_pixels=args.max_pixels, random_state=params.get("random_state"),
    )  # fmt: skip
    X, _, scaling = fit_feature_matrix(
        table, names, standardize=not args.no_standardize
    )
    if list(scaling.columns) != names:
        flat = [c for c in names if c not in scaling.columns]
        raise UsageError(
            f"channel(s) {format_names(flat)} of {img.path.name} are constant in "
            "the sample; every channel must vary (or choose another image)"
        )
    model = ContrastiveEmbedding(**params)
    try:
        fit_model(model, X, progress)
    except FloatingPointError as err:
        raise RunError(str(err)) from None
    finally:
        progress.close()
    return table, X, scaling, model


def _prepare(args):
    """Check every name and the memory, open the image and the mask."""
    check_pixel_outputs(args.image, args.output, args.rgb)
    check_model_path(args.save_model, args.image, args.output, args.rgb, args.mask)
    params = engine_params(args)
    if args.method == "network" and not params.get("parametric"):
        raise UsageError("--method network needs a --parametric fit")
    img = open_pixels(args.image, args.channel_axis)
    check_rgb(args.rgb, img)
    mask = read_mask(args.mask, img)
    memory = check_memory(img, int(params.get("n_components", 2)), args.output,
                          args.rgb)  # fmt: skip
    return params, img.load(), mask, memory


def _record(args, img, table, scaling, model, result, method, extra: dict) -> dict:
    from ..engine.provenance import provenance

    extra = {
        "command": ["napari-cne", *getattr(args, "_argv", [])],
        "image": str(img.path),
        "image_shape": list(img.image.shape),
        "channel_axis": img.channel_axis,
        "mask": args.mask,
        "sample": {
            "pixels": len(table),
            "max_pixels": args.max_pixels,
            "level": int(table["level"].iloc[0]) if "level" in table else 0,
        },
        "standardize": not args.no_standardize,
        "method": method,
        "tiles": {
            "done": result.done,
            "total": result.total,
            "pixels_per_tile": args.tile_pixels,
        },
        "scheduler": args.scheduler,
        "output": str(args.output),
        "rgb": args.rgb,
        **extra,
    }
    inputs = [str(img.path)] + ([str(args.mask)] if args.mask else [])
    return provenance(model, inputs=inputs, columns=scaling.columns, extra=extra)


def _quality(args, X, model):
    from ..engine.metrics import quality_report

    if args.no_quality:
        return None
    return quality_report(X, model.embedding_, k=15, max_points=5000,
                          random_state=0, metric=model.metric)  # fmt: skip


def _fit_and_place(args, say, prepared, client, t0: float) -> int:
    from ..engine.metrics import format_quality
    from ..features.pixel_map import pixel_mapper

    params, img, mask, memory = prepared
    show = args.progress and not args.quiet
    table, X, scaling, model = _fit_sample(args, img, mask, params, Progress(show))
    quality = _quality(args, X, model)
    saved = None
    if args.save_model is not None:
        saved = save_fitted(
            args.save_model, model, scaling, "pixels", input=str(img.path),
            channel_axis=img.channel_axis, channels=list(scaling.columns),
        )  # fmt: skip
    t_fit = time.perf_counter() - t0
    mapper = pixel_mapper(model, scaling, args.method)
    method = "network" if mapper.network is not None else "interpolate"
    progress = Progress(show, "placing pixels", "tile")
    result = place(img, mapper, mask, args.output, progress, client, args.tile_pixels)
    elapsed = time.perf_counter() - t0
    extra = {"quality": quality, "saved_model": None if saved is None else str(saved)}
    record = _record(args, img, table, scaling, model, result, method, extra)
    record["elapsed_s"] = elapsed
    say(f"napari-cne embed-pixels: {img.path.name}")
    lines = pixel_lines(img, mask, result, method, describe(client), memory)
    lines.insert(1, (
        f"fit       {len(table)} pixels sampled, s = {float(model.s_):g}, "
        f"{model.loss} loss, {model.n_epochs_} epochs, {model.device_} "
        f"({model.backend_}), seed {model.seed_}"
    ))  # fmt: skip
    for line in lines:
        say(f"  {line}")
    say(f"  time      {elapsed:.2f} s (fit {t_fit:.2f}, placing {elapsed - t_fit:.2f})")
    if quality is not None:
        say(f"  quality   {format_quality(quality)} (the fitted sample)")
    finish_pixels(model, result, args, record, lambda t: say(f"  wrote     {t}"))
    if saved is not None:
        say(f"  wrote     {saved} + {sidecar_path(saved).name}")
    return EXIT_OK


def _embed_pixels(args, say) -> int:
    t0 = time.perf_counter()
    prepared = _prepare(args)
    with connect(args.scheduler) as client:  # before the fit: a bad address fails now
        return _fit_and_place(args, say, prepared, client, t0)


def pixels_command(args: argparse.Namespace) -> int:
    """Run ``napari-cne embed-pixels``; return the exit status (as ``embed``)."""
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return run_with_messages(args, _embed_pixels)
