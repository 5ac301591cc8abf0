"""The inside of the mouth, painted where the lips part, as a webcam sees one: a dark,
warm cavity (the lips' and skin's own colours, deep in shadow, darkest at the back under
the upper lip and in the corners), the upper teeth hung under the upper lip (see teeth.py),
the lower teeth only when the mouth is wide open, and a dark hint of tongue low down.
While the lips touch, only the seam where they meet."""

from __future__ import annotations

import cv2
import numpy as np

from .paint import SUB, curve_y, grey, over, patch_box, polygon_mask, ramp, soft_mask, spread_into
from .teeth import Teeth

SEAM_ABOVE, SEAM_BELOW = 0.015, 0.012  # the seam's repainted band, in face heights
# Openings (inner-lip gap, face heights) over which the tongue and the lower teeth come into
# view, and the lower teeth's greatest height above the lower lip.
TONGUE_FROM, TONGUE_FULL = 0.03, 0.09
LOWER_TEETH_FROM, LOWER_TEETH_FULL, LOWER_TOOTH = 0.1, 0.16, 0.012


class MouthPainter:
    def __init__(self, frame: np.ndarray, outer: np.ndarray, inner: np.ndarray,
                 photographed: tuple[np.ndarray, np.ndarray], face_h: float) -> None:
        """``frame``: the framed portrait; ``outer``/``inner``: lip outlines at FaceState
        zero (closed polygons, the inner one's upper line first); ``photographed``: the
        (upper, lower) inner lip lines as in the photo; all in output pixels; ``face_h``:
        the face's height in output pixels."""
        shape = frame.shape[:2]
        lips = polygon_mask(shape, outer) & ~polygon_mask(shape, inner)
        lip = np.median(frame[lips], axis=0) if lips.any() else np.array([150.0, 80.0, 80.0])
        around = polygon_mask(shape, outer, dilate=int(face_h * 0.15)) & ~polygon_mask(shape, outer)
        skin = np.median(frame[around], axis=0) if around.any() else lip
        light = float(np.clip(frame[around | lips].mean() / 150.0, 0.55, 1.05))
        # Deep shadow: little light gets in, and what does is the lips' and cheeks' warmth.
        self.cavity = grey((0.6 * lip + 0.4 * skin) * [0.42, 0.3, 0.3], 0.2)
        self.tongue = grey(lip, 0.3) * [0.62, 0.42, 0.42]
        self.seam = lip * 0.45  # the shadow where the lips meet
        upper, lower = photographed
        self.teeth = Teeth(frame, upper, lower, lip, light, face_h)
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
        box = patch_box(frame.shape, band, int(np.ceil(SEAM_ABOVE * self.face_h)) + 3)
        if box is None:
            return
        x0, y0, x1, y1 = box
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
        box = patch_box(frame.shape, polygon, 3, clip=True)  # an open mouth is painted even half out of shot
        if box is None:
            return
        x0, y0, x1, y1 = box
        origin = np.array([x0, y0])
        shape = (y1 - y0, x1 - x0)
        inside = soft_mask(shape, polygon - origin, blur=0.4)
        xs = np.arange(x0, x1, dtype=np.float32)
        top, bottom = curve_y(upper, xs), curve_y(lower, xs)
        depth = ramp((np.arange(y0, y1)[:, None] - top) / np.maximum(bottom - top, 1))  # 0 under the upper lip
        half = max(float(upper[-1, 0] - upper[0, 0]) / 2, 1.0)
        u = (xs - (upper[0, 0] + upper[-1, 0]) / 2) / half
        corners = np.clip(1 - 0.45 * u**2, 0.4, 1)[None, :]
        colour = self.cavity * ((0.5 + 0.5 * depth) * corners)[..., None]
        open_ = gap / self.face_h
        # Tongue: a low, soft mound resting on the lower lip, darker toward the back.
        mound = np.zeros(shape, np.float32)
        centre = lower[len(lower) // 2] - origin
        cv2.ellipse(mound, (int(centre[0] * SUB), int(centre[1] * SUB)),
                    (int(0.6 * half * SUB), int(0.4 * gap * SUB)), 0, 180, 360, 1.0, -1, cv2.LINE_AA, 4)
        mound = cv2.GaussianBlur(mound, (0, 0), max(0.5, 0.06 * gap))
        colour = over(colour, self.tongue * (0.55 + 0.45 * depth[..., None]) * corners[..., None],
                      mound * ramp((open_ - TONGUE_FROM) / (TONGUE_FULL - TONGUE_FROM)))
        # Lower teeth: their edges just above the lower lip, only when the mouth is wide open.
        reach = LOWER_TOOTH * self.face_h * ramp((open_ - LOWER_TEETH_FROM) / (LOWER_TEETH_FULL - LOWER_TEETH_FROM))
        if reach > 0.5:
            rows = np.arange(y0, y1)[:, None]
            band = ramp((rows - (bottom - reach)) / 1.5) * (1 - ramp((np.abs(u) - 0.2) / 0.25))[None, :]
            colour = over(colour, self.teeth.colour * 0.5 * corners[..., None], 0.6 * band)
        teeth, cover = self.teeth.paint(upper, origin, shape)
        colour = over(colour, teeth, cover)
        alpha = inside * min(1.0, gap / 2.0)
        patch = frame[y0:y1, x0:x1].astype(np.float32)
        frame[y0:y1, x0:x1] = over(patch, colour, alpha).astype(np.uint8)
