"""Closed lids, painted. The warp squeezes the eye's opening to a line as the lids meet, but
a sliver of white and iris survives the squeeze; as a blink completes, lid skin (the
portrait's own colour, from just above the lash line) covers whatever is left between the
lids, with a lash line along their seam."""

from __future__ import annotations

import cv2
import numpy as np

from .paint import SUB, over, polygon_mask, soft_mask

COVER_FROM = 0.6  # blink amount where painting starts; fully covered at 1


class LidPainter:
    def __init__(self, frame: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]], face_h: float) -> None:
        """``frame``: the framed portrait; ``lids``: per eye its (upper, lower) lid contours,
        corner to corner, in output pixels; ``face_h``: the face's height in output pixels."""
        self.face_h = face_h
        self.skin, self.lash = [], []
        for upper, lower in lids:
            eye_h = float(np.max(lower[:, 1] - upper[:, 1]))
            # Lid skin: a band above the lash line, as tall as the eye is open.
            band = np.concatenate([upper - [0, 0.3 * eye_h], (upper - [0, 1.1 * eye_h])[::-1]])
            skin = frame[polygon_mask(frame.shape[:2], band)].astype(np.float32)
            self.skin.append(np.median(skin, 0))
            # Lashes: the darkest pixels along the upper lid's edge.
            edge = frame[polygon_mask(frame.shape[:2], np.concatenate([upper - [0, 2], (upper + [0, 2])[::-1]]))]
            dark = edge[np.argsort(edge.astype(np.float32).sum(1))[: max(1, len(edge) // 5)]]
            self.lash.append(np.mean(dark, 0) * 0.9 + 0.1 * self.skin[-1])

    def paint(self, frame: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]], blinks: list[float]) -> None:
        """``lids``: the posed (upper, lower) contours per eye; ``blinks``: 0 open .. 1 closed."""
        pad = 0.012 * self.face_h  # the sliver the squeeze leaves, and a little more
        for (upper, lower), blink, skin, lash in zip(lids, blinks, self.skin, self.lash):
            cover = float(np.clip((blink - COVER_FROM) / (1 - COVER_FROM), 0, 1))
            if cover <= 0:
                continue
            cover = cover * cover * (3 - 2 * cover)
            # Upward it also covers the open eye's lashes, squeezed onto the closed lid.
            polygon = np.concatenate([upper - [0, 2 * pad], (lower + [0, pad])[::-1]])
            x0, y0 = np.floor(polygon.min(0)).astype(int) - 3
            x1, y1 = np.ceil(polygon.max(0)).astype(int) + 4
            h, w = frame.shape[:2]
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if x1 <= x0 or y1 <= y0:
                continue
            origin = np.array([x0, y0])
            shape = (y1 - y0, x1 - x0)
            lid = cv2.GaussianBlur(soft_mask(shape, polygon - origin), (0, 0), max(0.5, pad / 2))
            lashes = np.zeros(shape, np.uint8)  # 8-bit: OpenCV antialiases only those
            cv2.polylines(lashes, [np.round((lower - origin) * SUB).astype(np.int32)], False, 255,
                          max(1, round(0.008 * self.face_h)), cv2.LINE_AA, 4)
            lashes = 0.85 * cv2.GaussianBlur(lashes.astype(np.float32) / 255.0, (0, 0), 0.6)
            patch = frame[y0:y1, x0:x1].astype(np.float32)
            patch = over(patch, np.broadcast_to(skin, (*shape, 3)), lid * cover)
            patch = over(patch, np.broadcast_to(lash, (*shape, 3)), lashes * cover)
            frame[y0:y1, x0:x1] = patch.astype(np.uint8)
