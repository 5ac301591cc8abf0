"""The inside of the mouth, painted where the lips part: a dark cavity, the upper teeth
under the upper lip and a hint of tongue, all coloured from the portrait's own lips and
light so they sit in the picture. While the lips touch, only the seam where they meet."""

from __future__ import annotations

import cv2
import numpy as np

from .paint import SUB, over, polygon_mask, soft_mask, spread_into

SEAM_ABOVE, SEAM_BELOW = 0.015, 0.012  # the seam's repainted band, in face heights


class MouthPainter:
    def __init__(self, frame: np.ndarray, outer: np.ndarray, inner: np.ndarray, face_h: float) -> None:
        """``frame``: the framed portrait; ``outer``/``inner``: lip outlines in it (closed
        polygons, output pixels); ``face_h``: the face's height in output pixels."""
        lips = polygon_mask(frame.shape[:2], outer) & ~polygon_mask(frame.shape[:2], inner)
        lip = np.median(frame[lips], axis=0) if lips.any() else np.array([150.0, 80.0, 80.0])
        light = float(np.clip(frame[polygon_mask(frame.shape[:2], outer, dilate=int(face_h * 0.15))].mean() / 150.0, 0.55, 1.05))
        self.cavity = lip * [0.32, 0.13, 0.13]  # a deep, red-tinted shadow
        self.teeth = np.clip((0.85 * np.array([242.0, 236.0, 222.0]) + 0.15 * lip) * (0.3 + 0.7 * light), 0, 255)
        self.tongue = lip * [0.8, 0.45, 0.45]
        self.seam = lip * 0.45  # the shadow where the lips meet
        self.face_h = face_h

    def _seam(self, frame: np.ndarray, upper: np.ndarray, lower: np.ndarray, strength: float) -> None:
        """Where the lips meet: a band around the seam is filled with the lips on either side
        (hiding what the photo had between them: a smile's teeth, squeezed to a bright thread,
        and the mesh's inner lip line sits inside them), then a soft, thin shadow is drawn
        along the seam, deepest toward the corners."""
        seam = (upper + lower) / 2
        reach = np.sin(np.linspace(0, np.pi, len(seam))) ** 0.5  # the band tapers into the corners
        up, down = SEAM_ABOVE * self.face_h * reach, SEAM_BELOW * self.face_h * reach
        band = np.concatenate([seam - np.column_stack([0 * up, up]), (seam + np.column_stack([0 * down, down]))[::-1]])
        pad = int(np.ceil(SEAM_ABOVE * self.face_h)) + 3
        x0, y0 = np.floor(band.min(0)).astype(int) - pad
        x1, y1 = np.ceil(band.max(0)).astype(int) + pad
        h, w = frame.shape[:2]
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            return
        origin = np.array([x0, y0])
        patch = frame[y0:y1, x0:x1].astype(np.float32)
        inside = soft_mask(patch.shape[:2], band - origin, blur=0.5)
        lips = spread_into(patch, inside, max(1.0, SEAM_ABOVE * self.face_h))
        patch = over(patch, lips, inside * strength)
        u = np.linspace(-1, 1, len(seam))
        shadow = soft_mask(patch.shape[:2], seam - origin, line=True, blur=0.004 * self.face_h)
        depth = np.clip(0.5 + 0.5 * np.abs(u) ** 2, 0, 1)  # along the seam, more toward the corners
        along = np.interp(np.arange(x0, x1), seam[:, 0], depth)[None, :]
        patch = over(patch, np.broadcast_to(self.seam, patch.shape), 0.7 * shadow * along * strength)
        frame[y0:y1, x0:x1] = patch.astype(np.uint8)

    def paint(self, frame: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> None:
        """``upper``/``lower``: inner lip contours, corner to corner, in output pixels."""
        gap = float(np.max(lower[:, 1] - upper[:, 1]))
        sealed = 1 - gap / (SEAM_ABOVE * self.face_h)  # the seam fades as the lips part
        if sealed > 0:
            self._seam(frame, upper, lower, sealed)
        if gap < 0.75:
            return
        polygon = np.concatenate([upper, lower[::-1][1:-1]])
        x0, y0 = np.floor(polygon.min(0)).astype(int) - 2
        x1, y1 = np.ceil(polygon.max(0)).astype(int) + 3
        h, w = frame.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return
        origin = np.array([x0, y0])
        shape = (y1 - y0, x1 - x0)
        inside = soft_mask(shape, polygon - origin)
        # Upper teeth: the upper lip's inner edge, and that edge moved down by a tooth.
        tooth = 0.05 * self.face_h
        teeth_outline = np.concatenate([upper, (upper + [0, tooth])[::-1]])
        teeth = soft_mask(shape, teeth_outline - origin)
        # Tongue: a low ellipse resting on the lower lip, seen once the mouth is well open.
        mouth_w = float(lower[-1, 0] - lower[0, 0])
        centre = lower[len(lower) // 2] - origin + [0, -0.12 * gap]
        tongue = np.zeros(shape, np.float32)
        cv2.ellipse(tongue, (int(centre[0] * SUB), int(centre[1] * SUB)),
                    (int(0.28 * mouth_w * SUB), int(0.22 * gap * SUB)), 0, 180, 360, 1.0, -1, cv2.LINE_AA, 4)
        u = (np.arange(shape[1]) + x0 - (upper[0, 0] + upper[-1, 0]) / 2) / max(mouth_w / 2, 1)
        side_shade = np.clip(1 - 0.4 * u**4, 0.45, 1)[None, :, None]  # darker toward the corners
        top = (np.arange(shape[0])[:, None, None] + y0 - upper[:, 1].min()) / max(tooth, 1)
        lip_shadow = np.clip(0.8 + 0.4 * top, 0.8, 1.0)  # the upper lip shades the teeth's tops
        colour = np.broadcast_to(self.cavity, (*shape, 3)).astype(np.float32)
        colour = over(colour, self.tongue * side_shade, tongue * min(1.0, gap / (0.05 * self.face_h)))
        colour = over(colour, self.teeth * side_shade * lip_shadow, teeth)
        alpha = inside * min(1.0, gap / 2.0)
        patch = frame[y0:y1, x0:x1].astype(np.float32)
        frame[y0:y1, x0:x1] = over(patch, colour, alpha).astype(np.uint8)
