"""The upper teeth: a strip of colour and coverage hung under the upper lip's inner line and
curving with it. When the portrait shows its teeth the strip is the photo's own, taken from
under its upper lip (the person's real teeth, their gaps and shading);
otherwise it is painted from a greyed ivory lit like the face. Either way it is narrower
than the mouth, darker toward its sides, where the teeth recede into the cheeks' shadow,
and soft along its lower edge."""

from __future__ import annotations

import cv2
import numpy as np

from .paint import curve_y, grey, polygon_mask, ramp

TOOTH = 0.045  # the upper teeth showing under a relaxed upper lip, in face heights
HALF_SPAN = 0.75  # the teeth's visible half-width, in the mouth's half-widths
# The photo shows its teeth when a quarter of what lies between its lips is paler and less
# coloured than the lips (teeth are; a dark mouth or a tongue is not).
TEETH_SHARE = 0.25


class Teeth:
    def __init__(self, photo: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                 lip: np.ndarray, light: float, face_h: float) -> None:
        """``photo``: the framed portrait; ``upper``/``lower``: its inner lip lines, in
        output pixels; ``lip``: the lips' colour; ``light``: the light on the mouth (about 1)."""
        self.centre = float(upper[[0, -1], 0].mean())
        half = max(float(upper[-1, 0] - upper[0, 0]) / 2, 1.0)
        height = int(np.ceil(TOOTH * face_h)) + 2
        xs = self.centre + np.arange(-int(half) - 1, int(half) + 2, dtype=np.float32)
        self.x0 = float(xs[0])
        u = (xs - self.centre) / half
        v = np.arange(height, dtype=np.float32)[:, None]
        # Shorter toward the sides (the arch curves away), softly ended.
        length = TOOTH * face_h * (1 - 0.4 * u**2)
        cover = (1 - ramp((v - length + 1) / 2)) * (1 - ramp((np.abs(u) - HALF_SPAN + 0.25) / 0.35))
        shade = np.clip(1 - 0.55 * u**2, 0.35, 1) * (0.88 + 0.12 * ramp(v / (0.3 * TOOTH * face_h)))
        real = _photo_teeth(photo, upper, lower, lip)
        if real is not None:
            # Rows from the photo's upper lip down to a little above its lower lip.
            top = curve_y(upper, xs)
            floor = curve_y(lower, xs) - 0.15 * (curve_y(lower, xs) - curve_y(upper, xs))
            rows = (top + v).astype(np.float32)
            colour = cv2.remap(photo.astype(np.float32), np.broadcast_to(xs, rows.shape).copy(), rows,
                               cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            cover = cover * (1 - ramp((rows - floor + 1) / 2))
            shade = shade / shade.max(0)  # the photo has its own shading toward the sides
            self.colour = real
        else:
            self.colour = grey(np.clip((0.88 * np.array([236.0, 228.0, 212.0]) + 0.12 * lip) * light, 0, 255), 0.15)
            colour = np.broadcast_to(self.colour, (height, len(xs), 3))
        self.strip = np.dstack([colour * shade[..., None], cover]).astype(np.float32)

    def paint(self, upper: np.ndarray, origin: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Colour (H, W, 3) and coverage (H, W) of the teeth in a patch at ``origin`` of
        ``shape``, hung under ``upper``, the posed upper lip's inner line."""
        xs = np.arange(shape[1], dtype=np.float32) + origin[0]
        centre = float(upper[[0, -1], 0].mean())
        cols = np.broadcast_to(xs - centre + self.centre - self.x0, shape)
        rows = np.arange(shape[0], dtype=np.float32)[:, None] + origin[1] - curve_y(upper, xs)[None, :]
        out = cv2.remap(self.strip, cols.astype(np.float32), rows.astype(np.float32), cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return out[..., :3], out[..., 3]


def _photo_teeth(photo: np.ndarray, upper: np.ndarray, lower: np.ndarray, lip: np.ndarray) -> np.ndarray | None:
    """The colour of the teeth the photo shows between its lips, or None when it shows none."""
    between = polygon_mask(photo.shape[:2], np.concatenate([upper, lower[::-1]]))
    if between.sum() < 20:
        return None
    hsv = cv2.cvtColor(photo, cv2.COLOR_RGB2HSV)
    lip_hsv = cv2.cvtColor(np.uint8([[np.clip(lip, 0, 255)]]), cv2.COLOR_RGB2HSV)[0, 0].astype(float)
    px = hsv[between].astype(float)
    toothy = (px[:, 1] < 0.75 * lip_hsv[1]) & (px[:, 2] > 0.85 * lip_hsv[2])
    if toothy.mean() < TEETH_SHARE:
        return None
    return np.median(photo[between][toothy], axis=0).astype(np.float64)
