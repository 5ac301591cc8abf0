"""Closed lids, painted. The warp brings the upper lid down onto the lower one, but a squeeze
keeps what it squeezes: a sliver of white and iris, and the open eye's lashes and lid fold
pushed into a dark band that reads as a slit. As a blink completes, a lens of skin over the eye
is filled from the skin around it, shaded where the lid curves away toward its margin, and a
lash line is drawn where the lids meet, as on a closed eye. The proportions were tuned so that
the iris model, re-run on the rendered frame, sees the eye closed (``bench face``)."""

from __future__ import annotations

import numpy as np

from .paint import curve_y, over, patch_box, polygon_mask, ramp, soft_mask, spread_into

COVER_FROM = 0.6  # blink amount where painting starts; fully covered at 1
# How far past the mesh's lid line the closed lid is repainted, to cover the open eye's lashes
# and fold that the squeeze pushes down: above its upper lid's middle (eye heights) and past
# its corners (eye widths).
LID_ABOVE = 2.0
PAST_CORNERS = 0.2
LASH_LINE = 0.08  # the closed lashes' thickness, in eye widths
EDGE = 0.25  # the lid's soft edge, in eye heights
SHADOW, SHADOW_H = 0.2, 0.3  # darkening just above the lashes, and its height in eye heights


class LidPainter:
    def __init__(self, frame: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """``frame``: the framed portrait; ``lids``: per eye its (upper, lower) lid contours,
        corner to corner, in output pixels, at FaceState zero."""
        self.lash, self.eye_h = [], []
        for upper, lower in lids:
            opening = curve_y(lower, upper[:, 0]) - upper[:, 1]  # per upper-lid point, 0 at the corners
            self.eye_h.append(float(opening.max()))
            # Lashes: the darkest pixels along the upper lid's edge.
            edge = frame[polygon_mask(frame.shape[:2], np.concatenate([upper - [0, 2], (upper + [0, 2])[::-1]]))]
            dark = edge[np.argsort(edge.astype(np.float32).sum(1))[: max(1, len(edge) // 5)]]
            self.lash.append(np.mean(dark, 0))

    def paint(self, frame: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]], blinks: list[float]) -> None:
        """``lids``: the posed (upper, lower) contours per eye; ``blinks``: 0 open .. 1 closed."""
        # The image-left eye's outer corner is its first point, the image-right one's its last.
        for outer_last, (upper, lower), blink, eye_h, lash in zip(
                (False, True), lids, blinks, self.eye_h, self.lash):
            cover = float(ramp((blink - COVER_FROM) / (1 - COVER_FROM)))
            if cover > 0:
                self._paint_eye(frame, upper, lower, eye_h, lash, cover, outer_last)

    @staticmethod
    def _paint_eye(frame, upper, lower, eye_h, lash, cover: float, outer_last: bool) -> None:
        across = upper[-1] - upper[0]
        # The lid as a lens over the eye: one smooth arc above (LID_ABOVE eye heights over the
        # lid line at its middle) and one below, both reaching PAST_CORNERS beyond the corners.
        width = float(np.linalg.norm(across))
        xs = np.linspace(upper[0, 0] - PAST_CORNERS * across[0], upper[-1, 0] + PAST_CORNERS * across[0], 24)
        bulge = np.sin(np.pi * np.linspace(0, 1, len(xs)))
        top = np.column_stack([xs, curve_y(upper, xs) - LID_ABOVE * eye_h * bulge])
        bottom = np.column_stack([xs, curve_y(lower, xs) + 0.3 * eye_h * bulge])
        region = np.concatenate([top, bottom[::-1]])
        box = patch_box(frame.shape, region, int(np.ceil(eye_h)) + 2)
        if box is None:
            return
        x0, y0, x1, y1 = box
        origin = np.array([x0, y0])
        patch = frame[y0:y1, x0:x1].astype(np.float32)
        inside = soft_mask(patch.shape[:2], region - origin, blur=EDGE * eye_h)
        skin = spread_into(patch, inside, max(1.0, 0.5 * eye_h))  # the skin around the eye
        # A lid margin is a smooth arc: the mesh's kinks would show in a dark line.
        margin = np.column_stack([upper[:, 0], np.polyval(np.polyfit(upper[:, 0], upper[:, 1], 2), upper[:, 0])])
        # The lid's curve turns away from the light toward its margin: shade above the lashes.
        shadow = soft_mask(patch.shape[:2], np.concatenate([margin, (margin - [0, SHADOW_H * eye_h])[::-1]]) - origin,
                           blur=0.5 * SHADOW_H * eye_h)
        skin *= 1 - SHADOW * shadow[..., None]
        # The closed lashes hang from the margin, thickest toward the outer corner, tapering
        # into both corners.
        s = np.linspace(0, 1, len(upper)) if outer_last else np.linspace(1, 0, len(upper))
        hang = LASH_LINE * width * np.sqrt(np.sin(np.pi * s)) * (0.5 + 0.5 * s)
        fringe = np.concatenate([margin, (margin + np.column_stack([np.zeros_like(hang), hang]))[::-1]])
        lashes = soft_mask(patch.shape[:2], fringe - origin, blur=0.5)
        patch = over(patch, skin, inside * cover)
        patch = over(patch, np.broadcast_to(lash, patch.shape), lashes * cover)
        frame[y0:y1, x0:x1] = patch.astype(np.uint8)
