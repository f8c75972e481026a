"""3-D shape features that scikit-image does not give for every object."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

__all__ = ["shape_3d"]


def _convex_voxel_count(obj: np.ndarray) -> int:
    """Count the voxel centres inside the convex hull of a 3-D object.

    Same definition as scikit-image's ``convex_hull_image`` (hull of the
    voxel centres pushed half a voxel along each axis, tolerance 1e-10), but
    it never fails on flat objects (one voxel thick, a single voxel), and
    it counts per line of voxels instead of testing every voxel.
    """
    from scipy.spatial import ConvexHull

    # the hull's vertices are extreme voxels, which lie on the object's surface
    surface = obj & ~ndi.binary_erosion(obj)
    pts = np.argwhere(surface).astype(np.float64)
    diamond = np.concatenate([np.eye(3) * -0.5, np.eye(3) * 0.5])
    pts = np.unique((pts[:, None, :] + diamond).reshape(-1, 3), axis=0)
    eq = ConvexHull(pts).equations  # rows (a, b, c, d): a z + b y + c x + d <= 0
    nz, ny, nx = obj.shape
    zz, yy = (
        g.ravel() for g in np.meshgrid(np.arange(nz), np.arange(ny), indexing="ij")
    )
    c = eq[:, 2]
    pos, neg, par = c > 1e-12, c < -1e-12, np.abs(c) <= 1e-12
    count = 0
    step = max(1, 4_000_000 // len(eq))  # bounds the (lines x facets) temporary
    for s in range(0, zz.size, step):
        # for every (z, y) line: c x <= r with r = tol - d - a z - b y, per facet
        r = 1e-10 - eq[:, 3] - np.multiply.outer(zz[s : s + step], eq[:, 0])
        r -= np.multiply.outer(yy[s : s + step], eq[:, 1])
        hi = np.full(r.shape[0], nx - 1.0)
        lo = np.zeros(r.shape[0])
        if pos.any():
            hi = np.minimum(hi, np.floor((r[:, pos] / c[pos]).min(axis=1)))
        if neg.any():
            lo = np.maximum(lo, np.ceil((r[:, neg] / c[neg]).max(axis=1)))
        ok = (r[:, par] >= 0).all(axis=1)
        count += int(np.where(ok, np.maximum(hi - lo + 1, 0), 0).sum())
    return count


def _surface_area(obj: np.ndarray, spacing: tuple[float, ...]) -> float:
    """Marching-cubes (level 0.5) surface area of a binary 3-D object."""
    from skimage.measure import marching_cubes, mesh_surface_area

    padded = np.pad(obj, 1).astype(np.float64)
    verts, faces, _, _ = marching_cubes(padded, level=0.5, spacing=spacing)
    return float(mesh_surface_area(verts, faces))


def shape_3d(
    lab: np.ndarray, ids: np.ndarray, sp: tuple[float, ...] | None
) -> dict[str, np.ndarray]:
    """Return ``surface_area`` and ``solidity`` of the objects ``ids`` of ``lab``."""
    slices = ndi.find_objects(lab)
    spacing = sp or (1.0, 1.0, 1.0)
    area = np.empty(ids.size)
    solidity = np.empty(ids.size)
    for i, obj_id in enumerate(ids.tolist()):
        obj = lab[slices[obj_id - 1]] == obj_id
        area[i] = _surface_area(obj, spacing)
        solidity[i] = np.count_nonzero(obj) / _convex_voxel_count(obj)
    return {"surface_area": area, "solidity": solidity}
