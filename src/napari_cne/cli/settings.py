"""The run's engine parameters from the command line: defaults < ``--params`` < flags.

:func:`engine_params` starts from the settings' defaults
(:func:`napari_cne.app.settings.engine_defaults`: the engine's, with seed
0), lays a ``--params`` file over them and the flags given over that;
:func:`check_device` refuses a CUDA device this machine does not have,
before any work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..app.settings import SETTINGS, engine_defaults
from .errors import UsageError, first_line

__all__ = ["check_device", "engine_params"]


def engine_params(args: argparse.Namespace) -> dict:
    """Return the engine's parameters: defaults < ``--params`` < explicit flags."""
    from ..engine.provenance import load_params

    params = engine_defaults()
    if args.params is not None:
        p = Path(args.params)
        if not p.is_file():
            raise FileNotFoundError(f"parameter file {str(p)!r} not found")
        params.update(load_params(p))
    for row in SETTINGS:
        if row.engine and row.flag is not None:
            value = getattr(args, row.name, None)
            if value is not None:
                params[row.name] = value
    params.pop("callbacks", None)
    params.pop("verbose", None)
    check_device(params.get("device", "auto"))
    return params


def check_device(device) -> None:
    """Reject a CUDA device that is not there before any work is done."""
    text = str(device)
    if not text.startswith("cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise UsageError(
            f"--device {text}: CUDA is not available on this machine (use cpu)"
        )
    try:
        index = torch.device(text).index
    except RuntimeError as err:
        raise UsageError(f"--device {text!r}: {first_line(err)}") from None
    if index is not None and index >= torch.cuda.device_count():
        raise UsageError(
            f"--device {text}: this machine has {torch.cuda.device_count()} CUDA "
            "device(s)"
        )
