"""The ``napari-cne`` command line (napari- and Qt-free)."""

from .embed import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    add_embed_parser,
    normalize_argv,
    run_embed,
    sidecar_path,
    sweep_path,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_embed_parser",
    "normalize_argv",
    "run_embed",
    "sidecar_path",
    "sweep_path",
]
