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

__all__ = [
    "Source",
    "field_regex",
    "find_sources",
    "image_levels",
    "read_image",
    "tiff_header",
]

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


#: a pattern's placeholder for what the files of one field share
FIELD = "{field}"


def _glob(text: str) -> str:
    """Return a glob's ``*`` and ``?`` (within one folder level) as a regex."""
    return re.escape(text).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")


def field_regex(pattern: str) -> re.Pattern:
    r"""Return the regular expression of a file pattern (group ``field``: the field).

    Three kinds of patterns: one ``*`` (what it matches names the field:
    ``*_labels.tif``); a ``{field}`` placeholder, with ``*`` and ``?`` free
    wildcards elsewhere (``plate1_{field}_w1_*.tif``); or a regular
    expression after ``re:`` with a named group ``field``
    (``re:(?P<field>[A-P]\d\d_s\d)_w1.*\.tif``). Paths are relative to the
    folder, with ``/`` between levels.

    Raises
    ------
    ValueError
        For a pattern of none of these kinds (the message shows each).
    """
    if pattern.startswith("re:"):
        try:
            regex = re.compile(pattern[3:])
        except re.error as err:
            raise ValueError(
                f"the pattern {pattern!r} is no regular expression ({err})"
            ) from None
        if "field" not in regex.groupindex:
            raise ValueError(
                f"the regular expression {pattern!r} needs a group (?P<field>...) "
                "for the part the files of one field share"
            )
        return regex
    if FIELD in pattern:
        if pattern.count(FIELD) > 1:
            raise ValueError(f"the pattern {pattern!r} has more than one {FIELD}")
        head, tail = pattern.split(FIELD)
        return re.compile(_glob(head) + "(?P<field>.+?)" + _glob(tail))
    if pattern.count("*") != 1:
        raise ValueError(
            f"the pattern {pattern!r} needs a '*' or a '{FIELD}' for the part the "
            "files of one field share, e.g. '*_labels.tif' or "
            "'plate1_{field}_w1_*.tif' (other '*' match anything), or a regular "
            "expression 're:(?P<field>...)...'"
        )
    head, tail = pattern.split("*")
    return re.compile(re.escape(head) + "(?P<field>.+?)" + re.escape(tail))


def _matches(folder: Path, pattern: str) -> dict[str, Path]:
    regex = field_regex(pattern)
    out: dict[str, Path] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        m = regex.fullmatch(rel)
        if m and (p.is_file() or p.suffix.lower() == ".zarr"):
            key = m.group("field")
            if key in out:
                raise ValueError(
                    f"{pattern!r} matches {out[key].relative_to(folder).as_posix()} "
                    f"and {rel} for one field {key!r}; make the pattern narrower"
                )
            out[key] = p
    return out


def _listing(folder: Path, limit: int = 12) -> str:
    names = sorted(p.relative_to(folder).as_posix() for p in folder.iterdir())
    more = f", ... (+{len(names) - limit})" if len(names) > limit else ""
    shown = ", ".join(names[:limit]) + more
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
        File pattern of the label images (:func:`field_regex`): one ``*``,
        e.g. ``"*_labels.tif"`` (what it matches names the field), a
        ``{field}`` placeholder with other wildcards
        (``"plate1_{field}_w0_*.tif"``) or a regular expression
        (``"re:(?P<field>...)..."``).
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
