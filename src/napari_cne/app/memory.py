"""Will it fit into memory? One check, before any work, for both front ends.

The results of a run (every pixel's coordinates, the pictures of them) may
take at most :data:`~napari_cne.engine.validation.MEMORY_SHARE` of the
memory available now
(:func:`~napari_cne.engine.validation.available_memory`). Where the memory
available cannot be known, nothing is refused and the run says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..engine import validation
from ..engine.validation import MEMORY_SHARE

__all__ = ["MEMORY_SHARE", "check_memory", "format_bytes"]


def format_bytes(n: float) -> str:
    """``12.3 MiB`` or ``1.25 GiB``."""
    return f"{n / 2**20:.1f} MiB" if n < 2**30 else f"{n / 2**30:.2f} GiB"


def check_memory(parts: Mapping[str, int], what: str, remedy: str) -> str | None:
    """Refuse a run whose results will not fit; return a note or None.

    Parameters
    ----------
    parts : mapping
        What the run keeps in memory (``{"coordinates": bytes, ...}``).
    what : str
        The run, for the message (``"placing every pixel of a.tif"``).
    remedy : str
        What the user can do instead (the front end knows its options).

    Returns
    -------
    str or None
        A note when the memory available is unknown (nothing was checked).

    Raises
    ------
    MemoryError
        When the parts need more than :data:`MEMORY_SHARE` of the memory
        available (the message names the parts and the remedy).
    """
    need = int(sum(parts.values()))
    have = validation.available_memory()
    if have is None:
        return (
            f"the memory available is unknown: {what} needs about "
            f"{format_bytes(need)}, not checked"
        )
    if need <= MEMORY_SHARE * have:
        return None
    detail = ", ".join(f"{k} {format_bytes(v)}" for k, v in parts.items() if v)
    raise MemoryError(
        f"{what} needs about {format_bytes(need)} of memory ({detail}), more than "
        f"{int(100 * MEMORY_SHARE)}% of the {format_bytes(have)} available; "
        f"{remedy}"
    )
