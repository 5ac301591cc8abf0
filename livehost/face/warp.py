"""A dense warp driven by a few hundred moving control points.

At set-up the control points are triangulated and every pixel of the region of interest
(on a coarse grid) gets its triangle and barycentric weights, once, as a sparse matrix. Per
frame the points' displacements are spread over the grid by that matrix (one sparse product),
inverted by a fixed-point step (remap samples *from* the source), upsampled, and applied
with one ``cv2.remap``. Outside the region the picture is untouched, by construction.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import sparse
from scipy.spatial import Delaunay


class DenseWarp:
    def __init__(self, points: np.ndarray, roi: tuple[int, int, int, int], step: int) -> None:
        """``points``: (N, 2) control points in output pixels; ``roi``: (x0, y0, x1, y1),
        multiples of ``step`` wide and high, inside the points' hull."""
        self.roi, self.step = roi, step
        x0, y0, x1, y1 = roi
        gw, gh = (x1 - x0) // step, (y1 - y0) // step
        # Coarse sample positions that cv2.resize maps exactly onto full-resolution pixels.
        off = (step - 1) / 2
        gx = x0 + off + step * np.arange(gw, dtype=np.float64)
        gy = y0 + off + step * np.arange(gh, dtype=np.float64)
        grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
        tri = Delaunay(points)
        simplex = tri.find_simplex(grid)
        inside = simplex >= 0
        simplex = np.where(inside, simplex, 0)
        transform = tri.transform[simplex]
        b = np.einsum("nij,nj->ni", transform[:, :2], grid - transform[:, 2])
        bary = np.column_stack([b, 1 - b.sum(1)]) * inside[:, None]
        rows = np.repeat(np.arange(len(grid)), 3)
        self._spread = sparse.csr_matrix(
            (bary.ravel().astype(np.float32), (rows, tri.simplices[simplex].ravel())),
            shape=(len(grid), len(points)),
        )
        self._shape = (gh, gw)
        self._grid = ((grid - [x0, y0] - off) / step).astype(np.float32).reshape(gh, gw, 2)
        self._full_grid = np.stack(
            np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)), -1
        )

    def maps(self, displacement: np.ndarray) -> np.ndarray:
        """Full-resolution source coordinates (H, W, 2) for the ROI, given each control
        point's (dx, dy) in output pixels."""
        field = (self._spread @ displacement.astype(np.float32)).reshape(*self._shape, 2)
        # Backward map: the source of output pixel x is s with s + d(s) = x. Start from
        # x - d(x), then correct once with d sampled at that first guess.
        guess = self._grid - field / self.step
        field = cv2.remap(field, guess, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        width, height = self.roi[2] - self.roi[0], self.roi[3] - self.roi[1]
        dense = cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)
        return self._full_grid - dense

    def remap(self, image: np.ndarray, displacement: np.ndarray) -> np.ndarray:
        """The ROI of ``image`` (any channel count), warped."""
        return cv2.remap(image, self.maps(displacement), None, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
