"""What every fitting subcommand shares: its parameters and its progress bars.

:func:`engine_params` resolves the parameters (engine defaults < seed 0 <
``--params`` < explicit flags); :class:`Progress` is the tqdm bar over the
epochs of a fit (:func:`fit_model`) or over the tiles of an image.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .errors import UsageError, first_line

__all__ = ["FLAG_PARAMS", "Progress", "check_device", "engine_params", "fit_model"]

#: CLI option -> ContrastiveEmbedding parameter (explicit flags only).
FLAG_PARAMS = {
    "s": "s",
    "loss": "loss",
    "n_neighbors": "n_neighbors",
    "n_epochs": "n_epochs",
    "n_components": "n_components",
    "metric": "metric",
    "exaggeration": "exaggeration",
    "parametric": "parametric",
    "seed": "random_state",
    "device": "device",
    "n_jobs": "n_jobs",
}


def engine_params(args: argparse.Namespace) -> dict:
    """Engine defaults < CLI defaults (seed 0) < ``--params`` < explicit flags."""
    from ..engine.provenance import load_params

    params: dict = {"random_state": 0}
    if args.params is not None:
        p = Path(args.params)
        if not p.is_file():
            raise FileNotFoundError(f"parameter file {str(p)!r} not found")
        params.update(load_params(p))
    for flag, name in FLAG_PARAMS.items():
        value = getattr(args, flag)
        if value is not None:
            params[name] = value
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


class Progress:
    """A tqdm bar (over optimisation epochs by default), or nothing."""

    def __init__(self, enabled: bool, desc: str = "kNN graph", unit: str = "epoch"):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=None,
                desc=desc,
                unit=unit,
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.2,
                leave=False,
            )

    def set_total(self, total: int, desc: str = "optimising") -> None:
        """Set the count the bar goes to (and its label)."""
        if self.bar is not None and self.bar.total != total:
            self.bar.total = total
            self.bar.set_description(desc, refresh=False)
            self.bar.refresh()

    def update_to(self, done: int) -> None:
        """Move the bar to ``done``."""
        if self.bar is not None and done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def tiles(self, done: int, total: int) -> None:
        """``map_pixels``'s ``progress(done, total)`` callback."""
        self.set_total(total, "placing pixels")
        self.update_to(done)

    def close(self) -> None:
        """Show the final count and remove the bar."""
        if self.bar is not None:
            self.bar.refresh()  # the final count, whatever mininterval skipped
            self.bar.close()
            self.bar = None


def fit_model(model, X: np.ndarray, progress: Progress, extra_epochs: int = 0) -> None:
    """Fit ``model`` on ``X``, moving the bar (sized for ``extra_epochs`` more)."""
    if progress.bar is None:
        model.fit(X)
        return
    for snap in model.iter_fit(X, every=1, min_interval=0.1):
        progress.set_total(snap.n_epochs + extra_epochs)
        progress.update_to(snap.total_epochs)
