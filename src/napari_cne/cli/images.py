"""``napari-cne embed-images``: every object of a folder of label images, embedded.

The label images of a folder are paired with their intensity images by
file-name patterns (:func:`~napari_cne.features.images.find_sources`),
every object of every field is measured
(:func:`~napari_cne.features.sources.sources_features`; here, or as tasks of
a dask.distributed cluster with ``--scheduler``), and the one table runs
through ``embed`` (:func:`~.embed.run_embed`): the same features, fit,
quality readout, outputs, plot and ``--save-model``. The table keeps its
``source`` and ``label`` (and ``frame``) columns; the plot is coloured by
source unless ``--color-by`` says otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..app.scheduler import Scheduler
from ..features.sources import SOURCE_COLUMN, channel_axis_of
from .columns import format_names
from .embed import Loaded, run_embed
from .errors import UsageError
from .files import image_header

__all__ = [
    "channel_patterns",
    "check_shapes",
    "folder_input",
    "folder_patterns",
    "images_command",
    "measure_folder",
]


def channel_patterns(values: list[str] | None) -> dict[str, str]:
    """Return ``{name: pattern}`` of the ``--channel NAME=PATTERN`` options."""
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, pattern = (v.strip() for v in value.partition("="))
        if not sep or not name or not pattern:
            raise UsageError(
                f"--channel {value!r}: expected NAME=PATTERN, e.g. DNA='*_dna.tif'"
            )
        if name in out:
            raise UsageError(f"--channel {name!r} is given twice")
        out[name] = pattern
    return out


def check_shapes(sources) -> None:
    """Fail, naming both files, when an image does not fit its label image.

    Only the files' headers are read.
    """
    for src in sources:
        labels = image_header(src.labels)[0]
        for path in src.images.values():
            shape = image_header(path)[0]
            if channel_axis_of(shape, labels) is False:
                raise UsageError(
                    f"{Path(path).name} has shape {shape} but its label image "
                    f"{Path(src.labels).name} has shape {labels}; an intensity "
                    "image must have the labels' shape (or one channel axis more)"
                )


def folder_input(folder, patterns: dict):
    """Return the fields of ``folder`` as an objects input (nothing measured).

    ``patterns``: ``labels``, ``images``, ``channels`` (name -> pattern) and
    ``time_axis``, as ``embed-images`` takes them (and a saved model keeps
    them). Each field is named as in ``embed-images``' ``source`` column.
    """
    from ..app.inputs import LabelsSource, ObjectsInput
    from ..features.images import find_sources

    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"folder {str(folder)!r} not found")
    if not folder.is_dir():
        raise UsageError(
            f"{str(folder)!r} is not a folder; embed-images reads a folder of "
            "images (napari-cne embed reads a table)"
        )
    sources = find_sources(
        folder,
        patterns["labels"],
        images=patterns.get("images"),
        channels=patterns.get("channels") or {},
    )
    check_shapes(sources)
    return ObjectsInput(
        [LabelsSource(s.name, s.labels, dict(s.images)) for s in sources],
        time_axis=patterns.get("time_axis"),
        source_column=True,
        positions=True,
    )


def measure_folder(folder, patterns: dict, scheduler: str | None) -> Loaded:
    """Find the fields of ``folder``, check them, and measure every object.

    ``patterns``: as :func:`folder_input`.
    """
    inp = folder_input(folder, patterns)
    sources = inp.sources
    with Scheduler(scheduler) as cluster:
        table = inp.measure(cluster.get())
        where = cluster.describe()
    names = [s.name for s in sources]
    note = (
        f"sources   {len(sources)} fields ({format_names(names)}), {len(table)} "
        f"objects, measured in {where}"
    )
    record = {
        "patterns": patterns,
        "scheduler": scheduler,
        "sources": {
            s.name: {
                "labels": str(s.labels),
                "images": {k: str(v) for k, v in s.images.items()},
            }
            for s in sources
        },
    }
    return Loaded(
        table,
        None,
        [note],
        record,
        "objects",
        {"patterns": patterns},
        "label",
        type(inp).feature_columns,
    )


def folder_patterns(args: argparse.Namespace) -> dict:
    """Return the file-name patterns of ``--labels``, ``--images``, ``--channel``."""
    return {
        "labels": args.labels_pattern,
        "images": args.images,
        "channels": channel_patterns(args.channel),
        "time_axis": args.time_axis,
    }


def _load(args: argparse.Namespace) -> Loaded:
    """Measure the folder of the command line (:func:`measure_folder`)."""
    return measure_folder(args.input, folder_patterns(args), args.scheduler)


def images_command(args: argparse.Namespace) -> int:
    """Run ``napari-cne embed-images``; return the exit status (as ``embed``)."""
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    if args.plot is not None and args.color_by is None:
        args.color_by = SOURCE_COLUMN
    return run_embed(args, load=lambda: _load(args), command="embed-images")
