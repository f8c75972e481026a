"""Pretending the machine has little memory, and what a memory message says."""

from __future__ import annotations

import os


def fake_low_memory(monkeypatch, available: int) -> None:
    """Make every available-memory probe the engine might use report ``available``."""
    import psutil

    from napari_cne.engine import prepare, validation

    for mod in (validation, prepare):
        monkeypatch.setattr(mod, "available_memory", lambda: available, raising=False)
    fake = psutil.virtual_memory()._replace(available=available, free=available)
    monkeypatch.setattr(psutil, "virtual_memory", lambda *a, **k: fake)
    real_sysconf, page = os.sysconf, os.sysconf("SC_PAGE_SIZE")

    def sysconf(name):
        if name == "SC_AVPHYS_PAGES":
            return max(1, available // page)
        return real_sysconf(name)

    monkeypatch.setattr(os, "sysconf", sysconf)


def assert_memory_message(err: BaseException) -> None:
    msg = str(err)
    # numpy's own "Unable to allocate ..." means nothing checked beforehand
    assert type(err).__name__ != "_ArrayMemoryError", msg
    assert "memory" in msg.lower(), msg
    assert any(u in msg for u in ("GB", "GiB", "MB", "MiB", "TB", "TiB")), msg
