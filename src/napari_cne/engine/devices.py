"""Where the work runs: the CPU, or a CUDA GPU through torch.

Devices are named by strings as torch names them (``"cpu"``, ``"cuda"``,
``"cuda:1"``), so that a fit on the CPU never needs torch.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

__all__ = [
    "NVIDIA_DRIVER_FILES",
    "cuda_available",
    "deterministic",
    "is_cuda",
    "resolve_device",
]

#: Files that exist where an NVIDIA driver is installed (Linux, WSL).
NVIDIA_DRIVER_FILES = (
    "/proc/driver/nvidia/version",
    "/dev/nvidiactl",
    "/usr/lib/wsl/lib/libcuda.so",
)


def cuda_available() -> bool:
    """Whether torch can run on a CUDA GPU here.

    Without an NVIDIA driver the answer is no without importing torch (a CPU
    fit on the numba backend never loads it); with one, torch is asked.
    """
    if "torch" not in sys.modules:
        if sys.platform == "darwin":
            return False
        if sys.platform.startswith("linux") and not any(
            os.path.exists(f) for f in NVIDIA_DRIVER_FILES
        ):
            return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device) -> str:
    """Return the device as torch names it: "auto" is CUDA when available, else "cpu".

    A string, so that the CPU needs no torch; ``torch.device`` objects are
    accepted too.
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if isinstance(device, str) and device == "cpu":
        return "cpu"
    import torch

    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' requested but CUDA is not available")
    return str(dev)


def is_cuda(device) -> bool:
    """Whether ``device`` (a string or ``torch.device``) is a CUDA device."""
    return str(device).startswith("cuda")


#: cuBLAS's setting for reproducible results (NVIDIA's documentation)
CUBLAS_DETERMINISTIC = ":4096:8"


@contextlib.contextmanager
def deterministic(device, seeded: bool) -> Iterator[None]:
    """Run the block with torch's deterministic algorithms on a seeded CUDA fit.

    On CUDA, scatter-adds (the batch rule's sums per point) use atomic
    additions whose order changes from run to run; with
    ``torch.use_deterministic_algorithms`` torch sorts them instead, and
    cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` (set while the block runs
    unless the user set it). Elsewhere, or without a seed, nothing changes.
    """
    if not (seeded and is_cuda(device)):
        yield
        return
    import torch

    was_on = torch.are_deterministic_algorithms_enabled()
    ours = "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    if ours:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_DETERMINISTIC
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was_on)
        if ours:
            del os.environ["CUBLAS_WORKSPACE_CONFIG"]
