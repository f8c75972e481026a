"""Images from files, read lazily: TIFF (tifffile), OME-Zarr and Zarr, NumPy.

:func:`read_image` returns a numpy array for small files and a dask array
(chunk by chunk, nothing read yet) for large ones and for every Zarr store;
:func:`image_levels` gives the pyramid levels of an OME-Zarr image.
:func:`find_sources` pairs label images with their intensity images in a
folder, by file-name patterns: the many fields of a screen, or the frames of
a time-lapse saved one file each.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Source", "find_sources", "image_levels", "read_image", "tiff_header"]

#: files above this size are read lazily (a dask array)
LAZY_BYTES = 256 * 2**20
_TIFF = (".tif", ".tiff")


class _Collect(logging.Handler):
    """Keeps tifffile's log lines (they belong in our error, not on stderr)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        self.lines.append(re.sub(r"^<tifffile\.\w+ @-?\d+>\s*", "", text))


@contextlib.contextmanager
def _tiff(path: Path) -> Iterator[None]:
    """Read a TIFF quietly; a broken one is one ``ValueError`` saying why.

    tifffile logs what it finds wrong (``<tifffile.TiffPages @...> invalid
    offset ...``) and may then fail with an unrelated message (an empty list
    of pages: "list index out of range"); the reason goes into the error.
    """
    logger = logging.getLogger("tifffile")
    handler, propagate = _Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    except Exception as err:  # noqa: BLE001 - any unreadable content
        why = "; ".join(handler.lines) or str(err).strip() or type(err).__name__
        raise ValueError(f"not a readable TIFF: {why}") from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def tiff_header(path: str | Path) -> tuple[tuple, np.dtype]:
    """Return a TIFF's ``(shape, dtype)``, reading no pixels.

    Raises
    ------
    ValueError
        For a broken TIFF (one line, the reason tifffile found).
    """
    import tifffile

    path = Path(path)
    with _tiff(path), tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise ValueError("it holds no image")
        series = tif.series[0]
        return tuple(series.shape), np.dtype(series.dtype)


def _zarr_levels(path: Path) -> list:
    """Return the arrays of a Zarr store: the pyramid levels of an OME-Zarr image."""
    import dask.array as da
    import zarr

    node = zarr.open(str(path), mode="r")
    if isinstance(node, zarr.Array):
        return [da.from_zarr(node)]
    attrs = dict(node.attrs)
    multiscales = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
    if multiscales:
        paths = [d["path"] for d in multiscales[0]["datasets"]]
    else:
        paths = sorted(k for k, _ in node.arrays())
    if not paths:
        raise ValueError(f"{path} holds no array")
    return [da.from_zarr(node[p]) for p in paths]


def image_levels(path: str | Path) -> list:
    """Return an image file's resolution levels, finest first (one for most files)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_dir() or path.suffix.lower() == ".zarr":
        return _zarr_levels(path)
    return [read_image(path)]


def read_image(path: str | Path, lazy: bool | None = None):
    """Read an image file: TIFF, ``.npy`` or a Zarr / OME-Zarr store (level 0).

    Parameters
    ----------
    path : str or Path
    lazy : bool, optional
        Return a dask array (read chunk by chunk when computed). Default:
        for Zarr stores and files over 256 MiB.

    Returns
    -------
    numpy.ndarray or dask.array.Array
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".zarr":
        return _zarr_levels(path)[0]
    big = path.stat().st_size > LAZY_BYTES
    lazy = big if lazy is None else lazy
    if suffix in _TIFF:
        import tifffile

        tiff_header(path)  # a broken file: one clear error before reading
        with _tiff(path):
            if not lazy:
                return tifffile.imread(path)
            import dask.array as da
            import zarr

            store = tifffile.imread(path, aszarr=True)
            return da.from_zarr(zarr.open(store, mode="r"))
    if suffix == ".npy":
        arr = np.load(path, mmap_mode="r" if lazy else None, allow_pickle=False)
        if lazy:
            import dask.array as da

            return da.from_array(arr)
        return arr
    raise ValueError(
        f"cannot read {path.name!r}: not a .tif, .tiff, .npy or .zarr image"
    )


@dataclass
class Source:
    """One field of view: a label image and the intensity images measured in it.

    Attributes
    ----------
    name : str
        What the file names share (the part a ``*`` of the patterns matched).
    labels : path or array
    images : dict of str to path or array
        Channel name -> image (or a multichannel image under ``""``).
    """

    name: str
    labels: object
    images: dict = field(default_factory=dict)


def _key_regex(pattern: str) -> re.Pattern:
    if pattern.count("*") != 1:
        raise ValueError(
            f"the pattern {pattern!r} needs exactly one '*' (the part the files "
            "of one field share), e.g. '*_labels.tif'"
        )
    head, tail = pattern.split("*")
    return re.compile(re.escape(head) + "(.+?)" + re.escape(tail) + "$")


def _matches(folder: Path, pattern: str) -> dict[str, Path]:
    regex = _key_regex(pattern)
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        m = regex.match(rel)
        if m and (p.is_file() or p.suffix.lower() == ".zarr"):
            out[m.group(1)] = p
    return out


def _listing(folder: Path, limit: int = 12) -> str:
    names = sorted(p.relative_to(folder).as_posix() for p in folder.iterdir())
    shown = ", ".join(names[:limit]) + (f", ... (+{len(names) - limit})" if
                                        len(names) > limit else "")  # fmt: skip
    return shown or "nothing"


def find_sources(
    folder: str | Path,
    labels: str,
    images: str | None = None,
    channels: dict[str, str] | None = None,
) -> list[Source]:
    """Pair the label images of a folder with their intensity images.

    Parameters
    ----------
    folder : str or Path
        Searched recursively.
    labels : str
        File pattern of the label images with one ``*``, e.g.
        ``"*_labels.tif"``; what the ``*`` matches names the field.
    images : str, optional
        Pattern of one multichannel intensity image per field (channels
        ``ch0``, ``ch1``, ...), e.g. ``"*_image.tif"``.
    channels : dict of str to str, optional
        Channel name -> pattern of its image, e.g. ``{"DNA": "*_dna.tif"}``.

    Returns
    -------
    list of Source
        Sorted by name.

    Raises
    ------
    ValueError
        When no file matches a pattern (the message lists what the folder
        holds) or a field lacks one of its images (the message names it).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    found = _matches(folder, labels)
    if not found:
        raise ValueError(
            f"no file in {folder} matches {labels!r}; it holds: {_listing(folder)}"
        )
    patterns = dict(channels or {})
    if images is not None:
        patterns[""] = images
    per_pattern = {name: _matches(folder, pat) for name, pat in patterns.items()}
    sources = []
    for key, lab in sorted(found.items()):
        imgs = {}
        for name, files in per_pattern.items():
            if key not in files:
                raise ValueError(
                    f"field {key!r} ({lab.name}) has no image matching "
                    f"{patterns[name]!r}; the folder holds: {_listing(folder)}"
                )
            imgs[name] = files[key]
        sources.append(Source(key, lab, imgs))
    return sources
