"""The files of every pixel mapped: the image, the mask, the outputs.

``embed-pixels`` and ``transform`` (of an image) share this: open the image
lazily and check its channels (:func:`open_pixels`), read the mask
(:func:`read_mask`), say what an in-memory run holds beside the
coordinates (:func:`memory_parts`, checked by the workflow,
:mod:`napari_cne.app.every_pixel`), and write the coordinates (``.npy`` or,
out of core, ``.zarr``: :func:`coords_target`, :func:`save_coords`) and the
RGB picture of every pixel's place (:func:`write_rgb`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..app.inputs import FOREGROUND
from ..app.memory import format_bytes
from .errors import UsageError, cannot_write
from .files import image_header, open_image, sidecar_path, write_json

__all__ = [
    "COORD_KINDS",
    "RGB_KINDS",
    "PixelImage",
    "check_pixel_outputs",
    "check_rgb",
    "coords_target",
    "finish_pixels",
    "memory_parts",
    "memory_remedy",
    "open_pixels",
    "pixel_lines",
    "read_mask",
    "save_coords",
    "write_rgb",
]

COORD_KINDS = (".npy", ".zarr")
RGB_KINDS = (".png", ".tif", ".tiff", ".zarr")


def _shape(shape) -> str:
    return " x ".join(map(str, shape))


def check_pixel_outputs(inp, out, rgb) -> None:
    """Fail on bad output names before any work is done."""
    out = Path(out)
    if out.suffix.lower() not in COORD_KINDS:
        raise UsageError(
            f"-o/--output {out.name!r}: the coordinates of every pixel go to a "
            ".npy file (in memory) or a .zarr store (on disk)"
        )
    if rgb is not None and Path(rgb).suffix.lower() not in RGB_KINDS:
        raise UsageError(
            f"--rgb {Path(rgb).name!r}: unsupported picture type; use .png, .tif "
            "or .zarr"
        )
    paths = [Path(inp).resolve(), out.resolve()]
    if rgb is not None:
        paths.append(Path(rgb).resolve())
    if len(set(paths)) < len(paths):
        raise UsageError("the input, -o/--output and --rgb must be different files")


@dataclass
class PixelImage:
    """An image opened for its pixels: shape, channel axis, then its levels.

    Opening reads the header only; :meth:`load` reads a small image whole
    and opens a large one (or a Zarr pyramid) chunk by chunk.
    """

    path: Path
    shape: tuple
    dtype: np.dtype
    channel_axis: int | None
    in_memory: bool
    levels: list | None = None  # finest first, after load()

    @property
    def image(self):
        """The finest level: the pixels that get placed."""
        return self.levels[0]

    @property
    def spatial(self) -> tuple:
        """The shape of the pixels (the image without its channel axis)."""
        shape = list(self.shape)
        if self.channel_axis is not None:
            del shape[self.channel_axis]
        return tuple(shape)

    @property
    def n_channels(self) -> int:
        """Channels (1 without a channel axis)."""
        return 1 if self.channel_axis is None else self.shape[self.channel_axis]

    @property
    def nbytes(self) -> int:
        """Bytes of the finest level."""
        return int(math.prod(self.shape) * np.dtype(self.dtype).itemsize)

    def load(self) -> PixelImage:
        """Read the pixels: a small image into memory, a large one lazily."""
        levels = open_image(self.path, levels=True, lazy=not self.in_memory)
        if tuple(levels[0].shape) != self.shape:
            raise UsageError(
                f"{self.path.name}: its header says shape {self.shape}, its "
                f"pixels are {tuple(levels[0].shape)}"
            )
        return dataclasses.replace(self, levels=levels)


def open_pixels(path, channel_axis) -> PixelImage:
    """Read an image's header; ``channel_axis``: an int, ``"none"`` or ``None`` (auto).

    Raises
    ------
    UsageError
        For a file that is no image, a channel axis out of range, or pixels
        that are not 2-D or 3-D.
    """
    from ..features.images import LAZY_BYTES

    path = Path(path)
    shape, dtype = image_header(path)
    ndim = len(shape)
    if channel_axis is None:
        channel_axis = None if ndim == 2 else 0
    elif channel_axis == "none":
        channel_axis = None
    if channel_axis is not None:
        if not -ndim <= channel_axis < ndim:
            raise UsageError(
                f"--channel-axis {channel_axis} is out of range for {path.name} "
                f"of shape {shape}"
            )
        channel_axis %= ndim
    zarr = path.is_dir() or path.suffix.lower() == ".zarr"
    small = not zarr and path.stat().st_size <= LAZY_BYTES
    img = PixelImage(path, shape, dtype, channel_axis, small)
    if len(img.spatial) not in (2, 3):
        raise UsageError(
            f"{path.name} has shape {shape}: its pixels must be 2-D or 3-D after "
            f"the channel axis ({channel_axis}); check --channel-axis"
        )
    return img


def read_mask(path, img: PixelImage):
    """Read ``--mask`` as a boolean array of the pixels' shape (or ``None``).

    ``foreground``: the pixels brighter than Otsu's threshold of the
    channels' mean, made from the (loaded) image itself.
    """
    if path is None:
        return None
    if str(path) == FOREGROUND:
        from ..features.pixels import foreground_mask

        return foreground_mask(img.image, img.channel_axis)
    mask = np.asarray(open_image(path, lazy=False)) != 0
    if mask.shape != img.spatial:
        raise UsageError(
            f"the mask {Path(path).name} has shape {mask.shape} but the pixels of "
            f"{img.path.name} have shape {img.spatial}"
        )
    if not mask.any():
        raise UsageError(f"the mask {Path(path).name} has no non-zero pixel")
    return mask


def memory_parts(img: PixelImage, out, rgb) -> dict:
    """Return what an in-memory run holds beside the coordinates (bytes).

    Counted from the shapes alone: the image (when small enough to be read
    whole) and the RGB picture (unless ``.zarr``); the coordinates (a
    ``.npy`` output) are counted by the workflow.
    """
    parts = {}
    if img.in_memory:
        parts["the image"] = img.nbytes
    if rgb is not None and Path(rgb).suffix.lower() != ".zarr":
        parts["the RGB picture"] = 4 * math.prod(img.spatial)
    return parts


def memory_remedy(out, rgb) -> str:
    """Return what to do when an in-memory run would not fit."""
    hint = "-o coords.zarr" if Path(out).suffix.lower() == ".npy" else ""
    if rgb is not None and Path(rgb).suffix.lower() != ".zarr":
        hint = f"{hint} and --rgb rgb.zarr" if hint else "--rgb rgb.zarr"
    return f"write the result to disk with {hint}" if hint else "use a mask"


def coords_target(out):
    """Return the Zarr store the coordinates go to (None: in memory, a .npy)."""
    out = Path(out)
    if out.suffix.lower() != ".zarr":
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def save_coords(out, pm) -> None:
    """Save in-memory coordinates as ``.npy`` (a ``.zarr`` output is written)."""
    out = Path(out)
    if out.suffix.lower() == ".zarr":
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, pm.coords)
    except OSError as err:
        raise cannot_write(out, err) from None


def write_rgb(path, coords, bounds) -> None:
    """Write the RGBA picture of the coordinates (c, *pixels): PNG, TIFF or Zarr."""
    from ..render.position_colors import position_image

    path = Path(path)
    spatial = tuple(coords.shape[1:])
    kind = path.suffix.lower()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == ".zarr":
            import zarr

            out = zarr.open_array(
                str(path),
                mode="w",
                shape=(*spatial, 4),
                dtype="u1",
                chunks=(*[min(512, n) for n in spatial], 4),
            )
            position_image(coords, bounds, out=out)
            return
        rgba = position_image(coords, bounds)
        if kind == ".png":
            import imageio.v3 as iio

            iio.imwrite(path, rgba)
        else:
            import tifffile

            tifffile.imwrite(path, rgba, photometric="rgb")
    except OSError as err:
        raise cannot_write(path, err) from None


def check_rgb(rgb, img: PixelImage) -> None:
    """Refuse a PNG picture of 3-D pixels (it holds one plane) before any work."""
    if rgb is not None and Path(rgb).suffix.lower() == ".png" and len(img.spatial) > 2:
        raise UsageError(
            f"--rgb {Path(rgb).name}: a PNG holds 2-D pixels; these are "
            f"{_shape(img.spatial)}: use .tif or .zarr"
        )


def pixel_lines(img, mask, result, method: str, where: str, memory: dict) -> list:
    """Summary lines of a placed image (after its first line)."""
    axis = (
        "no channel axis"
        if img.channel_axis is None
        else (f"channel axis {img.channel_axis}")
    )
    n = int(mask.sum()) if mask is not None else int(np.prod(img.spatial))
    lines = [
        f"image     {img.n_channels} channel(s) x "
        f"{_shape(img.spatial)} pixels ({axis}), "
        + ("in memory" if img.in_memory else "read chunk by chunk"),
        f"placed    {n} pixels ({method}), {result.done} of {result.total} tiles, "
        f"in {where}",
    ]
    if memory:
        detail = ", ".join(f"{k} {format_bytes(v)}" for k, v in memory.items())
        lines.append(f"memory    about {format_bytes(sum(memory.values()))} ({detail})")
    return lines


def finish_pixels(model, result, args, record: dict, say_wrote) -> None:
    """Write the picture and the provenance of placed pixels; report them."""
    from ..render.position_colors import position_bounds

    out = Path(args.output)
    save_coords(out, result)
    if args.rgb is not None:
        write_rgb(args.rgb, result.coords, position_bounds(model.embedding_))
    write_json(sidecar_path(out), record)
    shape = " x ".join(map(str, result.coords.shape))
    say_wrote(f"{out} ({shape} float32) + {sidecar_path(out).name}")
    if args.rgb is not None:
        say_wrote(str(args.rgb))
