"""The ``napari-cne`` command line (napari- and Qt-free).

- :mod:`.parser`: the argparse parsers and :func:`normalize_argv`, with the
  shared options and their types in :mod:`.options`;
Every subcommand runs the workflows of :mod:`napari_cne.app` (the widget's
too) and prints their events (:mod:`.progress`):

- :mod:`.embed`: ``napari-cne embed`` (:func:`run_embed`), with the column
  choice in :mod:`.columns`, the files in :mod:`.files` and the engine's
  parameters in :mod:`.settings`;
- :mod:`.images`: ``napari-cne embed-images`` (a folder of label images,
  measured and embedded through :func:`run_embed`);
- :mod:`.pixels`: ``napari-cne embed-pixels`` (fit on a sample of pixels,
  map every pixel; its files in :mod:`.pixel_files`);
- :mod:`.transform`: ``napari-cne transform`` (a saved model places new
  rows or every pixel of an image);
- :mod:`.describe`: ``napari-cne describe`` (the features that make a
  group of rows different, :mod:`napari_cne.app.describe`);
- :mod:`.gallery`: ``napari-cne gallery`` (a group's objects cut from
  their own fields, :mod:`napari_cne.app.gallery`); ``--clusters``,
  ``--predict`` and ``--counts-by`` of ``embed`` in :mod:`.clusters` and
  :mod:`.findings`;
- :mod:`.demo`: ``napari-cne demo`` (napari, in a child process) and
  ``napari-cne demo-engine`` (the engine alone on the bundled sample);
- :mod:`.errors`: the exit codes and the one-line errors and warnings.

See ``docs/cli.md``.
"""

from __future__ import annotations

import importlib
import sys

from .errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from .parser import add_embed_parser, build_parser, command_of, normalize_argv

#: names loaded when first used (they import the engine)
_LAZY = {"run_embed": "embed", "sidecar_path": "files", "sweep_path": "files"}

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_embed_parser",
    "main",
    "normalize_argv",
    "run_embed",
    "sidecar_path",
    "sweep_path",
]


def main(argv: list[str] | None = None) -> int:
    """Run the ``napari-cne`` command line; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).
    """
    argv = normalize_argv(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    args._argv = list(argv)
    return int(args.func(args) or EXIT_OK)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
