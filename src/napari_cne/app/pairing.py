"""Several Labels layers in one embedding: which images each is measured in.

Several Labels layers (fields of view, wells, tiles of a slide) are
measured together by :func:`napari_cne.features.sources.sources_features`
into one table with a categorical ``source`` column (the layer names); the
objects of all of them are one key space
(:class:`~.targets.SourcesTarget`).

* :func:`pair_images`: which ticked images belong to which Labels layer:
  those of its shape (a multichannel image: with one axis more); an image
  that fits several of them goes to the ones at its place in the world
  (same extent), else to all of them (two segmentations of one field).
* :func:`channel_names`: every source must have as many images; the k-th
  images of all sources are one channel, named by what their names have in
  common (``DNA top`` and ``DNA bottom``: ``DNA``), else ``ch<k>``.

No Qt here; napari layers are only read.
"""

from __future__ import annotations

import os
import re

import numpy as np

__all__ = ["channel_names", "common_name", "pair_images", "same_place"]

_SEP = " _-.:/"


def same_place(image, labels) -> bool:
    """Return whether an image covers the same world region as a Labels layer."""
    n = labels.ndim
    a = np.asarray(image.extent.world, float)[:, -n:]
    b = np.asarray(labels.extent.world, float)[:, -n:]
    return a.shape == b.shape and np.allclose(a, b)


def pair_images(labels_layers, images, fits) -> dict[str, list]:
    """Return the images of every Labels layer (by its name), in ``images`` order.

    Parameters
    ----------
    labels_layers : list of napari Labels layers
    images : list of napari Image layers
        The candidates (the ticked ones).
    fits : callable
        ``fits(image, labels)``: whether the shapes line up.
    """
    fit = {lab.name: [im for im in images if fits(im, lab)] for lab in labels_layers}
    out = {}
    for lab in labels_layers:
        mine = []
        for im in fit[lab.name]:
            owners = [other for other in labels_layers if im in fit[other.name]]
            if len(owners) > 1:
                here = [other for other in owners if same_place(im, other)]
                if here and lab not in here:
                    continue  # it lies on another Labels layer
            mine.append(im)
        out[lab.name] = mine
    return out


def _trim_prefix(p: str, names: list[str]) -> str:
    """Cut a common prefix back to a word boundary (``DNA 1``, ``DNA 10``: ``DNA``)."""
    if all(len(n) == len(p) or n[len(p)] in _SEP for n in names) or p[-1:] in _SEP:
        return p
    cut = max(p.rfind(c) for c in _SEP)
    return p[: cut + 1] if cut >= 0 else ""


def common_name(names: list[str]) -> str:
    """Return what a list of names shares: its common prefix and suffix, whole words."""
    names = [str(n) for n in names]
    if len(set(names)) == 1:
        return names[0]
    pre = _trim_prefix(os.path.commonprefix(names), names)
    rest = [n[len(pre) :] for n in names]
    rev = [n[::-1] for n in rest]
    suf = _trim_prefix(os.path.commonprefix(rev), rev)[::-1]
    return re.sub(r"\s+", " ", (pre + suf).strip(_SEP))


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[ _\-.:/]+", name) if w]


def channel_names(per_source: dict[str, list[str]]) -> list[str]:
    """Return the channel names of sources' images (the k-th of each: channel k).

    A channel is named by what its images' names share, less the words all
    the sources' (Labels layers') names share: ``DNA field 1``, ``DNA field
    2`` of ``nuclei field 1``, ``nuclei field 2`` give ``DNA``.

    Raises
    ------
    ValueError
        When the sources have different numbers of images (names them).
    """
    items = list(per_source.items())
    counts = {name: len(images) for name, images in items}
    if len(set(counts.values())) > 1:
        listed = "; ".join(
            f"{name!r}: {', '.join(map(repr, imgs)) or 'none'}" for name, imgs in items
        )
        raise ValueError(
            "every Labels layer needs the same channels (as many images, in the "
            f"same order); the ticked images per layer are {listed}"
        )
    # words every source's own name has ("field" of "nuclei field 1", ...)
    # say nothing about the channel
    shared = set(_words(common_name([name for name, _ in items])))
    out: list[str] = []
    for k in range(len(items[0][1])):
        name = common_name([imgs[k] for _, imgs in items])
        kept = [w for w in re.split(r"([ _\-.:/]+)", name) if w not in shared]
        name = (
            "".join(kept).strip(_SEP) if _words("".join(kept)) else name
        ) or f"ch{k}"
        while name in out:
            name = f"{name}_{k}"
        out.append(name)
    return out
