"""Files of the command line: names, reading, writing, checks before any work.

A table is read by :func:`napari_cne.features.read_table`, an image by
:func:`napari_cne.features.images.read_image` (:func:`open_image`), with the
command line's one-line messages. An embedding goes to ``.npy`` (the coordinates only)
or ``.csv``/``.tsv`` (the input table plus the coordinate columns), with a
JSON provenance sidecar ``<output>.json`` beside it (:func:`sidecar_path`); a
sweep writes one file per spectrum position (:func:`sweep_path`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import output_columns, read_table
from .errors import UsageError, cannot_write, first_line

__all__ = [
    "IMAGE_KINDS",
    "INPUT_KINDS",
    "OUTPUT_KINDS",
    "check_model_path",
    "check_paths",
    "check_plot",
    "image_header",
    "is_image_path",
    "open_image",
    "read_input",
    "sha256",
    "sidecar_path",
    "sweep_path",
    "write_embedding",
    "write_json",
]

#: The input files ``embed`` reads, as the help and the messages name them.
INPUT_KINDS = ".csv, .tsv, .txt, .parquet or .npy"
#: The output files ``embed`` writes.
OUTPUT_KINDS = ".npy, .csv or .tsv"
#: The image files ``embed-images``, ``embed-pixels`` and ``transform`` read.
IMAGE_KINDS = ".tif, .tiff, .npy or .zarr"

_TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zip", ".zst")


# ----------------------------------------------------------------- file names
def _suffix(path: Path) -> tuple[str, str]:
    """Return ``(kind, full_suffix)``: ``("csv", ".csv.gz")`` for ``a.csv.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSION:
        return suffixes[-2].lstrip("."), "".join(path.suffixes[-2:])
    if suffixes:
        return suffixes[-1].lstrip("."), path.suffixes[-1]
    return "", ""


def sweep_path(output: str | Path, s: float) -> Path:
    """Output file of one spectrum position of a sweep.

    ``out.csv`` and ``s = -1, 0.5`` give ``out_s-1.csv`` and
    ``out_s0.5.csv``: ``_s`` and the value in Python's shortest ``g``
    format are inserted before the (possibly compressed) suffix.
    """
    output = Path(output)
    _, suffix = _suffix(output)
    stem = output.name[: len(output.name) - len(suffix)] if suffix else output.name
    return output.with_name(f"{stem}_s{float(s):g}{suffix}")


def sidecar_path(output: str | Path) -> Path:
    """Provenance file written beside ``output``: ``out.csv`` -> ``out.csv.json``."""
    output = Path(output)
    return output.with_name(output.name + ".json")


# ---------------------------------------------------------------------- input
def read_input(path: str | Path) -> pd.DataFrame:
    """Read an input file into a table (the one place that reads inputs).

    :func:`napari_cne.features.read_table` does the reading (``.csv``,
    ``.tsv``/``.tab``, ``.txt``, optionally compressed, ``.parquet``,
    ``.npy`` with columns ``f0``, ``f1``, ...); this adds the command line's
    one-line messages.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UsageError
        For an unsupported suffix or content that cannot be read as a table
        (also a ``.parquet`` file without pyarrow: the message says so).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file {str(path)!r} not found")
    if _suffix(path)[0] == "npy" and path.is_file():
        with path.open("rb") as fh:
            if fh.read(6) != b"\x93NUMPY":
                raise UsageError(
                    f"{path.name!r} is not a .npy file (no NumPy header); save "
                    "arrays with numpy.save"
                )
    try:
        table = read_table(path)
    except (ImportError, ValueError, OSError) as err:
        msg = first_line(err)
        if path.name not in msg:
            msg = f"cannot read {path.name!r}: {msg}"
        raise UsageError(msg) from None
    table.columns = [str(c) for c in table.columns]
    return table


def is_image_path(path: str | Path) -> bool:
    """Whether a path is an image file by its name alone (``.npy`` may be either)."""
    path = Path(path)
    return path.is_dir() or path.suffix.lower() in (".tif", ".tiff", ".zarr")


def open_image(path: str | Path, levels: bool = False, lazy: bool | None = True):
    """Open an image file (lazily by default), or all its pyramid levels.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UsageError
        For a file that is not an image the command line reads (its name
        and what was wrong).
    """
    from ..features.images import image_levels, read_image

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"image file {str(path)!r} not found")
    zarr = path.is_dir() or path.suffix.lower() == ".zarr"
    if not zarr and path.suffix.lower() not in (".tif", ".tiff", ".npy"):
        raise UsageError(f"{path.name!r} is not an image: {IMAGE_KINDS} files are read")
    try:
        if levels and zarr:
            return image_levels(path)
        image = read_image(path, lazy=lazy)
    except Exception as err:  # any unreadable content: tifffile, zarr, numpy
        raise UsageError(
            f"cannot read {path.name!r} as an image: {first_line(err)}"
        ) from None
    return [image] if levels else image


def image_header(path: str | Path) -> tuple[tuple, np.dtype]:
    """Return an image file's ``(shape, dtype)``, reading no pixels.

    Raises
    ------
    FileNotFoundError, UsageError
        As :func:`open_image`.
    """
    path = Path(path)
    kind = path.suffix.lower()
    if path.is_dir() or kind == ".zarr" or not path.exists():
        image = open_image(path)
        return tuple(image.shape), np.dtype(image.dtype)
    if kind not in (".tif", ".tiff", ".npy"):
        open_image(path)  # the message for a file that is not an image
    try:
        if kind == ".npy":
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
            return tuple(arr.shape), arr.dtype
        from ..features.images import tiff_header

        return tiff_header(path)
    except Exception as err:  # any unreadable content
        raise UsageError(
            f"cannot read {path.name!r} as an image: {first_line(err)}"
        ) from None


def sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------- checking
def check_paths(
    inp: str | Path,
    output: str | Path,
    sweep: Sequence[float] | None,
    plot: str | None,
) -> None:
    """Fail on bad output names before any work is done.

    Raises
    ------
    UsageError
        For an output of an unsupported type or that is a folder, an output
        (or sweep file) that would replace the input, or a plot of an image
        type matplotlib cannot write.
    """
    out = Path(output)
    kind, _ = _suffix(out)
    if kind not in ("npy", "csv", "tsv"):
        raise UsageError(
            f"-o/--output {out.name!r}: unsupported file type "
            f"{''.join(out.suffixes) or '(no suffix)'!r}; use {OUTPUT_KINDS}"
        )
    if out.exists() and out.is_dir():
        raise UsageError(f"-o/--output {str(out)!r} is a directory")
    inp = Path(inp)
    targets = [sweep_path(out, s) for s in sweep] if sweep else [out]
    if inp.exists() and any(t.resolve() == inp.resolve() for t in targets):
        raise UsageError("the output would overwrite the input file; choose another")
    check_plot(plot)


def check_plot(plot: str | None) -> None:
    """Fail on a ``--plot`` of a type matplotlib cannot write, before any work."""
    if plot is None:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = Path(plot).suffix.lower().lstrip(".")
    if fmt not in FigureCanvasBase.get_supported_filetypes():
        raise UsageError(
            f"--plot {plot!r}: unsupported image type {fmt or '(none)'!r}; "
            "use .png (or .pdf, .svg)"
        )


def check_model_path(path: str | None, *others) -> None:
    """Fail early on a ``--save-model`` that is a folder or another file of the run."""
    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"--save-model {str(p)!r} is a directory")
    for other in others:
        if other is not None and Path(other).resolve() == p.resolve():
            raise UsageError(
                f"--save-model {str(p)!r} is also an input or output of this run"
            )


# -------------------------------------------------------------------- writing
def _embedding_table(
    table: pd.DataFrame, Y: np.ndarray, kept: np.ndarray, after=None
) -> tuple[pd.DataFrame, list[str]]:
    names = output_columns(table.columns, Y.shape[1])
    out = table.copy()
    # float32 values written with their shortest representation
    clean = Y.astype(str).astype(np.float64)
    for j, name in enumerate(names):
        col = np.full(len(table), np.nan)
        col[kept] = clean[:, j]
        out[name] = col
    for name, values in (after or {}).items():  # per embedded row
        col = np.full(len(table), np.nan)
        col[kept] = values
        out[name] = col
    return out, names


def write_embedding(
    path: Path, table: pd.DataFrame, Y: np.ndarray, kept: np.ndarray, after=None
) -> list[str] | None:
    """Write one embedding; return the new column names (``None`` for .npy).

    Rows of ``table`` not in ``kept`` get NaN coordinates, so the output has
    as many rows as the input. ``after``: more columns (name -> a value per
    embedded row, e.g. ``cne_trust``) written after the coordinates.

    Raises
    ------
    RunError
        If the file cannot be written.
    """
    kind, _ = _suffix(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "npy":
            full = np.full((len(table), Y.shape[1]), np.nan, dtype=np.float32)
            full[kept] = Y
            np.save(path, full)
            return None
        out, names = _embedding_table(table, Y, kept, after)
        out.to_csv(path, sep=_TABLE_SEPARATORS["." + kind], index=False)
        return names
    except OSError as err:
        raise cannot_write(path, err) from None


def write_json(path: Path, record: dict) -> None:
    """Write ``record`` as indented JSON.

    Raises
    ------
    RunError
        If the file cannot be written.
    """
    try:
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        raise cannot_write(path, err) from None
