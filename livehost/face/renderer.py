"""RigRenderer: FaceState → frame, by moving the rig's control points and warping the
framed portrait once (with the person's mask when the background is replaced), then
painting the mouth's inside where the lips part."""

from __future__ import annotations

import numpy as np

from livehost.media.frames import FaceState

from . import topology as T
from .background import Background, backdrop, composite
from .eyelids import LidPainter
from .framing import Framing, frame_face
from .mouth import MouthPainter
from .pose import face_size, rotation
from .rig import CHANNELS, FACE, FRAME, HAIR, Rig
from .warp import DenseWarp


class RigRenderer:
    def __init__(self, portrait: np.ndarray, rig: Rig, size: tuple[int, int],
                 background: Background | None = None) -> None:
        self.size = size
        self.rig = rig
        _, face_h = face_size(rig.mesh)
        eyes = rig.mesh[[T.LEFT_EYE_CORNERS[0], T.RIGHT_EYE_CORNERS[1]]].mean(0)
        x_centre = rig.mesh[list(T.FACE_OVAL), 0].mean()
        self.framing: Framing = frame_face(tuple(rig.image_size), x_centre, eyes[1], face_h, size)
        # The warp's source: the framed photo, plus the person's mask as a 4th channel when
        # a new background goes behind it (one remap moves both).
        if background is not None and background.replaced:
            self._source = self.framing.crop(np.dstack([portrait, rig.person]))
            self._behind: np.ndarray | None = backdrop(background, size)
            self.base = composite(self._source[..., :3], self._behind, self._source[..., 3])
        else:
            self._source = self.base = self.framing.crop(portrait)
            self._behind = None
        self.base.setflags(write=False)
        scale = self.framing.scale
        self.face_h = face_h * scale
        self._frontal = _flatten((rig.points - rig.pivot) @ rig.head_rotation, rig.kind)  # r0^T (p - pivot)
        self._points_out = self.framing.to_output(rig.points[:, :2])
        step = int(np.clip(round(self.face_h / 100), 2, 6))
        self.warp = DenseWarp(self._points_out, _roi(self._points_out[rig.kind == FRAME], size, step), step)
        self._upper, self._lower = list(T.LIPS_INNER_UPPER), list(T.LIPS_INNER_LOWER)
        self._lid_idx = [(np.array(T.LEFT_EYE_UPPER), np.array(T.LEFT_EYE_LOWER)),
                         (np.array(T.RIGHT_EYE_UPPER), np.array(T.RIGHT_EYE_LOWER))]
        rest = self._posed(FaceState())
        self.mouth = MouthPainter(
            self.base, rest[list(T.LIPS_OUTER_UPPER + T.LIPS_OUTER_LOWER[::-1])],
            rest[self._upper + self._lower[::-1]],
            (self._points_out[self._upper], self._points_out[self._lower]), self.face_h,
        )
        self.lids = LidPainter(self.base, self._lids(rest))
        self._last: tuple[FaceState, np.ndarray] | None = None

    def _lids(self, posed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(upper, lower) lid contours of the image-left eye, then the image-right one."""
        return [(posed[upper], posed[lower]) for upper, lower in self._lid_idx]

    def _posed(self, state: FaceState) -> np.ndarray:
        """Every control point's position in the output for ``state``."""
        rig = self.rig
        weights = np.array([getattr(state, name) for name in CHANNELS])
        expression = rig.neutral + np.tensordot(weights, rig.shapes, axes=1)
        r = rotation(state.pitch, state.yaw, state.roll)
        head = self._frontal @ r.T + rig.pivot
        moved = rig.points + rig.pose_weight[:, None] * (head - rig.points) + expression @ r.T
        return self.framing.to_output(moved[:, :2])

    def render(self, state: FaceState) -> np.ndarray:
        if self._last is not None and self._last[0] == state:
            return self._last[1]
        posed = self._posed(state)
        frame = self.base.copy()
        x0, y0, x1, y1 = self.warp.roi
        warped = self.warp.remap(self._source, posed - self._points_out)
        if self._behind is not None:
            warped = composite(warped[..., :3], self._behind[y0:y1, x0:x1], warped[..., 3])
        frame[y0:y1, x0:x1] = warped
        self.mouth.paint(frame, posed[self._upper], posed[self._lower])
        self.lids.paint(frame, self._lids(posed), [state.blink_l, state.blink_r])
        frame.setflags(write=False)
        self._last = (state, frame)
        return frame


# Share of the face's depth relief (nose out, cheeks back) the head turns with. A warp of one
# photo cannot show what the nose hides, so full parallax squeezes one cheek and smears the
# other; 60% keeps a clear turn (re-detected yaw 0.7x the command) and the likeness
# (dlib distance at yaw ±15° 0.41/0.36 → 0.34/0.31 on the demo portrait).
DEPTH_RELIEF = 0.6


def _flatten(frontal: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Face and hair depths drawn toward the face's mean depth by DEPTH_RELIEF."""
    out = frontal.copy()
    head = (kind == FACE) | (kind == HAIR)
    mean_z = frontal[kind == FACE, 2].mean()
    out[head, 2] = mean_z + DEPTH_RELIEF * (frontal[head, 2] - mean_z)
    return out


def _roi(frame_points: np.ndarray, size: tuple[int, int], step: int) -> tuple[int, int, int, int]:
    """The frame anchors' box, clipped to the picture, in whole coarse-grid cells."""
    lo = np.maximum(frame_points.min(0), 0)
    hi = np.minimum(frame_points.max(0), size)
    x0, y0 = (np.ceil(lo / step) * step).astype(int)
    x1 = x0 + int((hi[0] - x0) // step) * step
    y1 = y0 + int((hi[1] - y0) // step) * step
    return x0, y0, x1, y1
