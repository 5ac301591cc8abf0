"""Small painting helpers shared by the mouth, the teeth and the lids: antialiased polygon
masks, alpha blending in float, contours as curves, shading ramps and colour greying."""

from __future__ import annotations

import cv2
import numpy as np

SUB = 16  # sub-pixel precision of the polygons (cv2 shift=4)


def patch_box(frame_shape: tuple[int, ...], points: np.ndarray, pad: int,
              clip: bool = False) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) around ``points`` plus ``pad`` pixels. A box that leaves the frame is
    None (a feature half out of shot is not painted rather than painted cut) or, with
    ``clip``, cut to the frame (None only when nothing of it is left)."""
    x0, y0 = np.floor(points.min(0)).astype(int) - pad
    x1, y1 = np.ceil(points.max(0)).astype(int) + pad
    h, w = frame_shape[:2]
    if clip:
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return None
    elif x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def over(base: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return base * (1 - a) + colour * a


def soft_mask(shape: tuple[int, int], points: np.ndarray, line: bool = False, blur: float = 0.0) -> np.ndarray:
    """Antialiased float mask of a filled polygon, or of a 1 px polyline, optionally blurred."""
    mask = np.zeros(shape, np.uint8)  # 8-bit: OpenCV antialiases only those
    pts = [np.round(points * SUB).astype(np.int32)]
    if line:
        cv2.polylines(mask, pts, False, 255, 1, cv2.LINE_AA, 4)
    else:
        cv2.fillPoly(mask, pts, 255, cv2.LINE_AA, 4)
    out = mask.astype(np.float32) / 255.0
    return cv2.GaussianBlur(out, (0, 0), blur) if blur > 0 else out


def spread_into(patch: np.ndarray, inside: np.ndarray, sigma: float) -> np.ndarray:
    """The colours around ``inside`` (a 0..1 mask) spread into it by a normalized blur:
    smooth, and continuous with its surroundings whatever they are."""
    known = 1 - inside
    total = cv2.GaussianBlur(patch * known[..., None], (0, 0), sigma)
    return total / np.maximum(cv2.GaussianBlur(known, (0, 0), sigma), 1e-3)[..., None]


def polygon_mask(shape: tuple[int, int], polygon: np.ndarray, dilate: int = 0) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    if dilate > 0:
        mask = cv2.dilate(mask, np.ones((dilate, dilate), np.uint8))
    return mask.astype(bool)


def curve_y(contour: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The contour's y at each x (a lid or a lip's edge is a function of x between its corners)."""
    order = np.argsort(contour[:, 0])
    return np.interp(xs, contour[order, 0], contour[order, 1])


def ramp(x: np.ndarray | float) -> np.ndarray:
    """0 below 0, 1 above 1, smooth in between."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def grey(colour: np.ndarray, amount: float) -> np.ndarray:
    """``colour`` drawn toward its own grey by ``amount`` (0 unchanged, 1 grey)."""
    return colour + amount * (np.mean(colour, axis=-1, keepdims=True) - colour)
