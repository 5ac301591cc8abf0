"""Small painting helpers shared by the mouth and the lids: antialiased polygon masks and
alpha blending in float."""

from __future__ import annotations

import cv2
import numpy as np

SUB = 16  # sub-pixel precision of the polygons (cv2 shift=4)


def over(base: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return base * (1 - a) + colour * a


def soft_mask(shape: tuple[int, int], polygon: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * SUB).astype(np.int32)], 255, cv2.LINE_AA, 4)
    return mask.astype(np.float32) / 255.0


def polygon_mask(shape: tuple[int, int], polygon: np.ndarray, dilate: int = 0) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    if dilate > 0:
        mask = cv2.dilate(mask, np.ones((dilate, dilate), np.uint8))
    return mask.astype(bool)
