"""Closed lids, painted. The warp brings the upper lid down onto the lower one, but a squeeze
keeps what it squeezes: a sliver of white and iris, and the open eye's lashes (which sit
above the mesh's lid line, and past its corners) pushed into a dark band that reads as a
slit. As a blink completes, the eye is filled with the skin around it, a crease is shaded
where the lid folds, and a lash line is drawn where the lids meet, as on a closed eye."""

from __future__ import annotations

import numpy as np

from .paint import curve_y, over, patch_box, polygon_mask, soft_mask, spread_into

COVER_FROM = 0.6  # blink amount where painting starts; fully covered at 1
# How far past the mesh's lid line the closed lid is repainted, to cover the open eye's lashes
# and fold that the squeeze pushes down: above its upper lid (eye heights) and past its
# corners (eye widths).
LID_ABOVE = 1.0
PAST_CORNERS = 0.2
LASH_LINE = 0.06  # the closed lashes' thickness, in eye widths


class LidPainter:
    def __init__(self, frame: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """``frame``: the framed portrait; ``lids``: per eye its (upper, lower) lid contours,
        corner to corner, in output pixels, at FaceState zero."""
        self.lift, self.lash, self.eye_h = [], [], []
        for upper, lower in lids:
            opening = curve_y(lower, upper[:, 0]) - upper[:, 1]  # per upper-lid point, 0 at the corners
            self.lift.append(np.column_stack([np.zeros(len(upper)), LID_ABOVE * opening]))
            self.eye_h.append(float(opening.max()))
            # Lashes: the darkest pixels along the upper lid's edge.
            edge = frame[polygon_mask(frame.shape[:2], np.concatenate([upper - [0, 2], (upper + [0, 2])[::-1]]))]
            dark = edge[np.argsort(edge.astype(np.float32).sum(1))[: max(1, len(edge) // 5)]]
            self.lash.append(np.mean(dark, 0))

    def paint(self, frame: np.ndarray, lids: list[tuple[np.ndarray, np.ndarray]], blinks: list[float]) -> None:
        """``lids``: the posed (upper, lower) contours per eye; ``blinks``: 0 open .. 1 closed."""
        # The image-left eye's outer corner is its first point, the image-right one's its last.
        for outer_last, (upper, lower), blink, lift, eye_h, lash in zip(
                (False, True), lids, blinks, self.lift, self.eye_h, self.lash):
            cover = float(np.clip((blink - COVER_FROM) / (1 - COVER_FROM), 0, 1))
            if cover > 0:
                self._paint_eye(frame, upper, lower, lift, eye_h, lash, cover * cover * (3 - 2 * cover), outer_last)

    @staticmethod
    def _paint_eye(frame, upper, lower, lift, eye_h, lash, cover: float, outer_last: bool) -> None:
        across = upper[-1] - upper[0]
        past = np.zeros_like(upper)
        past[0], past[-1] = -PAST_CORNERS * across, PAST_CORNERS * across
        top = upper - lift + past
        region = np.concatenate([top, (lower + [0, 0.3 * eye_h] + past)[::-1]])
        box = patch_box(frame.shape, region, int(np.ceil(eye_h)) + 2)
        if box is None:
            return
        x0, y0, x1, y1 = box
        origin = np.array([x0, y0])
        patch = frame[y0:y1, x0:x1].astype(np.float32)
        inside = soft_mask(patch.shape[:2], region - origin, blur=0.5)
        skin = spread_into(patch, inside, max(1.0, 0.5 * eye_h))  # the skin around the eye
        # The lid's crease, a soft shadow along the region's top; the closed lashes hanging
        # from the lid margin, thickest toward the outer corner, tapering into both corners.
        crease = soft_mask(patch.shape[:2], top - origin, line=True, blur=0.25 * eye_h)
        skin *= 1 - 0.08 * crease[..., None]
        # A lid margin is a smooth arc: the mesh's kinks would show in a dark line.
        margin = np.column_stack([upper[:, 0], np.polyval(np.polyfit(upper[:, 0], upper[:, 1], 2), upper[:, 0])])
        s = np.linspace(0, 1, len(upper)) if outer_last else np.linspace(1, 0, len(upper))
        hang = LASH_LINE * float(np.linalg.norm(across)) * np.sqrt(np.sin(np.pi * s)) * (0.5 + 0.5 * s)
        fringe = np.concatenate([margin, (margin + np.column_stack([np.zeros_like(hang), hang]))[::-1]])
        lashes = soft_mask(patch.shape[:2], fringe - origin, blur=0.5)
        patch = over(patch, skin, inside * cover)
        patch = over(patch, np.broadcast_to(lash, patch.shape), lashes * cover)
        frame[y0:y1, x0:x1] = patch.astype(np.uint8)
