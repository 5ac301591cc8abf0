"""Framing: where the portrait sits in the output picture, like a webcam shot — the face
about a third of the frame's height, eyes a little above the middle, never an invented
pixel (the crop zooms in rather than leave the photo)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class Framing:
    """output = portrait * scale + offset."""

    size: tuple[int, int]
    scale: float
    offset: np.ndarray

    def to_output(self, xy: np.ndarray) -> np.ndarray:
        return xy * self.scale + self.offset

    def crop(self, portrait: np.ndarray) -> np.ndarray:
        """The portrait (any channel count) resampled into the output frame."""
        h, w = portrait.shape[:2]
        resized = cv2.resize(
            portrait, (max(1, round(w * self.scale)), max(1, round(h * self.scale))),
            interpolation=cv2.INTER_AREA if self.scale < 1 else cv2.INTER_CUBIC,
        )
        x0, y0 = (-np.round(self.offset)).astype(int)
        out = resized[y0 : y0 + self.size[1], x0 : x0 + self.size[0]]
        short_y, short_x = self.size[1] - out.shape[0], self.size[0] - out.shape[1]
        if short_x or short_y:  # rounding of the resized size can leave a pixel short
            out = np.pad(out, ((0, short_y), (0, short_x), (0, 0)), mode="edge")
        return np.ascontiguousarray(out)


def frame_face(image_size: tuple[int, int], face_center_x: float, eye_y: float, face_h: float,
               size: tuple[int, int]) -> Framing:
    width, height = size
    img_w, img_h = image_size
    target_face = min(0.38 * height, 0.45 * width)
    cover = max(width / img_w, height / img_h)
    scale = max(target_face / face_h, cover)
    eye_frac = 0.42 if width >= height else 0.36
    x0 = np.clip(face_center_x * scale - width / 2, 0, img_w * scale - width)
    y0 = np.clip(eye_y * scale - eye_frac * height, 0, img_h * scale - height)
    # Whole pixels, so the framed photo is a plain crop of the resized one.
    return Framing(size, scale, -np.round(np.array([x0, y0])))
