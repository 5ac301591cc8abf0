"""The rig: control points over the portrait and how each FaceState channel moves them.

Control points are the 468 mesh points, the two irises, and rings of anchors the mesh does
not cover: hair (moves with the head), neck (follows it partly), shoulders (breathe only)
and a fixed frame around all of them, outside which the picture never moves. Expressions
are linear blendshapes, one displacement per point and channel, defined in the *frontal*
head frame (the portrait's own head rotation undone), so the same numbers work for a turned
or tilted portrait.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from . import topology as T
from .paint import curve_y, ramp
from .pose import angles, face_size, head_rotation, rotation

CHANNELS = ("jaw", "mouth_w", "mouth_round", "lip_press", "smile", "blink_l", "blink_r",
            "brow", "gaze_x", "gaze_y", "breath")
RIG_VERSION = 9
FACE, HAIR, NECK, SHOULDER, FRAME = range(5)  # control point kinds
MAX_NEUTRAL_TURN = 20.0  # degrees of portrait head turn undone at FaceState zero


@dataclass(frozen=True)
class Rig:
    image_size: np.ndarray  # (width, height) of the portrait
    mesh: np.ndarray  # (468, 3) portrait pixels
    points: np.ndarray  # (N, 3) control points, portrait pixels
    kind: np.ndarray  # (N,) FACE (mesh and irises), HAIR, NECK, SHOULDER or FRAME
    pose_weight: np.ndarray  # (N,) how much of the head's rotation each point follows
    shapes: np.ndarray  # (len(CHANNELS), N, 3) displacement per unit of each channel, frontal frame
    neutral: np.ndarray  # (N, 3) frontal-frame displacement that makes FaceState zero neutral
    pivot: np.ndarray  # (3,) head rotation centre (top of the neck, behind the face)
    head_rotation: np.ndarray  # (3, 3) the portrait's own head rotation (clamped)
    face_box: np.ndarray  # (x0, y0, x1, y1) of the mesh
    mouth_open: float  # the portrait's inner-lip gap, as a fraction of the face height
    person: np.ndarray  # (H, W) uint8: 255 on the person, 0 on the photo's background
    version: int = RIG_VERSION

    @property
    def portrait_pose(self) -> tuple[float, float, float]:
        return angles(self.head_rotation)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Rig | None:
        """The cached rig, or None when it is missing, unreadable or from another version."""
        try:
            with np.load(path) as data:
                values = {f.name: data[f.name] for f in fields(cls)}
        except (OSError, KeyError, ValueError):
            return None
        if int(values["version"]) != RIG_VERSION:
            return None
        values["mouth_open"] = float(values["mouth_open"])
        values["version"] = int(values["version"])
        return cls(**values)


@dataclass(frozen=True)
class _Frame:
    """Frontal-frame geometry used to shape the blendshapes."""

    q: np.ndarray  # (N, 3) all control points in the frontal frame
    fw: float
    fh: float

    def y(self, idx) -> np.ndarray:
        return self.q[list(idx), 1]


def build_rig(image_size: tuple[int, int], mesh: np.ndarray, irises: np.ndarray, person: np.ndarray) -> Rig:
    fw, fh = face_size(mesh)
    _, yaw, roll = angles(head_rotation(mesh))
    clamp = lambda a: float(np.clip(a, -MAX_NEUTRAL_TURN, MAX_NEUTRAL_TURN))  # noqa: E731
    # Turn and tilt are undone at FaceState zero; pitch is not: a monocular mesh's pitch is
    # biased by the face's shape (a long chin reads as a lowered head), and undoing a wrong
    # pitch stretches the face.
    r0 = rotation(0.0, clamp(yaw), clamp(roll))
    oval = mesh[list(T.FACE_OVAL)]
    centre = oval.mean(0)
    # The head turns about the top of the neck, behind the face.
    pivot = centre + r0 @ np.array([0.0, 0.5 * fh, 0.4 * fw])

    # Face and iris points, then anchors built in the frontal frame and mapped back.
    eye_z = mesh[[T.LEFT_EYE_CORNERS[0], T.RIGHT_EYE_CORNERS[1]], 2].mean()
    iris3 = np.concatenate([irises.reshape(-1, 2), np.full((10, 1), eye_z)], axis=1)
    face = np.concatenate([mesh, iris3])
    q_face = (face - pivot) @ r0  # rows: r0^T (p - pivot)
    q_oval = q_face[list(T.FACE_OVAL)]
    oc = q_oval.mean(0)
    rel = q_oval - oc
    upper = rel[:, 1] < 0.15 * fh
    # Hair: the upper oval pushed outward, more at the crown than at the temples.
    k = 1.3 + 0.3 * np.clip(-rel[upper, 1] / (0.5 * fh), 0, 1)
    # Each hair anchor keeps the depth of the oval point it grew from, so the head turns as
    # one piece and the stretch lands on the background around it, not on the cheeks.
    hair = oc + rel[upper] * k[:, None]
    hair[:, 2] = q_oval[upper, 2]
    # Neck: the lower oval dropped by a third of the face and drawn in.
    neck = q_oval[~upper] + np.array([0.0, 0.35 * fh, 0.0])
    neck[:, 0] = oc[0] + 0.8 * (neck[:, 0] - oc[0])
    to_image = lambda q: q @ r0.T + pivot  # noqa: E731
    # Shoulders and the fixed frame are laid out upright in the image.
    chin = mesh[T.CHIN]
    sy = chin[1] + 0.9 * fh
    shoulders = np.array([[centre[0] + dx * fw, sy, pivot[2]] for dx in (-1.2, -0.6, 0.0, 0.6, 1.2)])
    hair_img, neck_img = to_image(hair), to_image(neck)
    x0, x1 = centre[0] - 1.7 * fw, centre[0] + 1.7 * fw
    y0 = min(hair_img[:, 1].min(), mesh[:, 1].min()) - 0.35 * fh
    y1 = sy + 0.3 * fh
    # Two fixed rectangles: the band between them holds still, so the warped region meets
    # the untouched picture seamlessly whatever grid the renderer samples it on.
    inset = 0.08 * fw
    frame = np.concatenate([_rectangle(x0, y0, x1, y1, step=0.35 * fw, z=pivot[2]),
                            _rectangle(x0 + inset, y0 + inset, x1 - inset, y1 - inset, step=0.35 * fw, z=pivot[2])])

    groups = [face, hair_img, neck_img, shoulders, frame]
    points = np.concatenate(groups)
    kind = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)])
    pose_weight = np.concatenate([np.ones(len(face) + len(hair)), np.full(len(neck), 0.4),
                                  np.zeros(len(shoulders) + len(frame))])
    # Breathing lifts head and shoulders together; the frame stays put.
    breath_weight = np.concatenate([np.ones(len(face) + len(hair) + len(neck)),
                                    np.full(len(shoulders), 0.7), np.zeros(len(frame))])
    geo = _Frame((points - pivot) @ r0, fw, fh)
    n_face = len(face)
    shapes = np.zeros((len(CHANNELS), len(points), 3))
    for i, name in enumerate(CHANNELS[:-1]):
        shapes[i] = _SHAPES[name](geo, n_face)
    shapes[-1, :, 1] = -BREATH_TRAVEL * fh * breath_weight
    gap = float(np.mean(geo.y(T.LIPS_INNER_LOWER[1:-1]) - geo.y(T.LIPS_INNER_UPPER[1:-1])))
    jaw_travel = JAW_TRAVEL * fh
    # A portrait with parted lips is closed at FaceState zero: the jaw comes up half the gap
    # and the upper lip rolls down over the other half, its outer line staying put (moving
    # it costs likeness: dlib distance at neutral 0.29 → 0.19 on the astronaut).
    neutral = -0.5 * max(gap, 0.0) / jaw_travel * shapes[CHANNELS.index("jaw")]
    _roll(neutral, UPPER_RINGS, np.full(len(T.LIPS_INNER_UPPER) - 2, 0.5 * max(gap, 0.0)))
    # Then each pair of inner-lip points meets exactly, so the lips seal along their length.
    top, bottom = list(T.LIPS_INNER_UPPER[1:-1]), list(T.LIPS_INNER_LOWER[1:-1])
    residual = (geo.q[bottom, 1] + neutral[bottom, 1]) - (geo.q[top, 1] + neutral[top, 1])
    _roll(neutral, UPPER_RINGS, residual / 2)
    _roll(neutral, LOWER_RINGS, -residual / 2)
    box = np.concatenate([mesh[:, :2].min(0), mesh[:, :2].max(0)])
    return Rig(np.asarray(image_size), mesh, points, kind, pose_weight, shapes, neutral, pivot, r0, box,
               gap / fh, person)


def _rectangle(x0, y0, x1, y1, step, z) -> np.ndarray:
    nx = max(2, int(np.ceil((x1 - x0) / step)) + 1)
    ny = max(2, int(np.ceil((y1 - y0) / step)) + 1)
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    pts = [(x, y0) for x in xs] + [(x, y1) for x in xs] + [(x0, y) for y in ys[1:-1]] + [(x1, y) for y in ys[1:-1]]
    return np.array([(x, y, z) for x, y in pts])


# How far each channel moves things at 1.0, as fractions of the face height.
JAW_TRAVEL = 0.17
BROW_TRAVEL = 0.05
BREATH_TRAVEL = 0.012


def _mouth(geo: _Frame):
    """Mouth centre (x, y), half width, and each point's normalized horizontal offset."""
    corners = geo.q[list(T.MOUTH_CORNERS)]
    cx, cy = corners[:, 0].mean(), corners[:, 1].mean()
    half = max(abs(corners[1, 0] - corners[0, 0]) / 2, 1.0)
    u = (geo.q[:, 0] - cx) / half
    return cx, cy, half, u


def _near_mouth(geo: _Frame, n_face: int, reach: float) -> np.ndarray:
    """1 on the lips, fading to 0 ``reach`` face heights away from the mouth's outline."""
    cx, cy, half, _ = _mouth(geo)
    d = np.hypot(np.maximum(np.abs(geo.q[:, 0] - cx) - half, 0), geo.q[:, 1] - cy)
    lip_h = np.ptp(geo.y(T.LIPS_OUTER_UPPER + T.LIPS_OUTER_LOWER)) / 2
    w = 1 - ramp((d - lip_h) / (reach * geo.fh))
    w[n_face:] = 0
    return w


# Each lip's rings, inner to outer. The jaw, rounding and press move all four: a ring left
# behind (the middle ones lie on the inner line in a smiling photo) drags the lip's edge.
UPPER_RINGS = (T.LIPS_INNER_UPPER, T.LIPS_SEMI_INNER_UPPER, T.LIPS_SEMI_OUTER_UPPER, T.LIPS_OUTER_UPPER)
LOWER_RINGS = (T.LIPS_INNER_LOWER, T.LIPS_SEMI_INNER_LOWER, T.LIPS_SEMI_OUTER_LOWER, T.LIPS_OUTER_LOWER)
RING_ENDS = [ring[i] for ring in UPPER_RINGS for i in (0, -1)]  # the corners, shared by both lips


def _roll(shift: np.ndarray, rings, dy: np.ndarray) -> None:
    """Moves a lip's inner line down by ``dy`` (per point, corners excluded), the rings
    behind it less and less, its outer line not at all."""
    for share, ring in zip(np.linspace(1, 0, len(rings)), rings):
        shift[list(ring[1:-1]), 1] += share * dy


def _lip_sets():
    upper = {i for ring in UPPER_RINGS for i in ring[1:-1]}
    lower = {i for ring in LOWER_RINGS for i in ring[1:-1]}
    return sorted(upper), sorted(lower)


def _jaw(geo: _Frame, n_face: int) -> np.ndarray:
    cx, cy, half, _ = _mouth(geo)
    q = geo.q
    below = ramp((q[:, 1] - cy) / (0.06 * geo.fh))
    central = 1 - ramp((np.abs(q[:, 0] - cx) - 0.22 * geo.fw) / (0.3 * geo.fw))
    w = below * central
    w[n_face:] *= 0.5 * (q[n_face:, 1] > cy)  # the neck under the chin follows, half as far
    upper, lower = _lip_sets()
    w[upper] = -0.1  # the upper lip lifts a little as the mouth opens
    # The lower lip drops most in the middle, so the mouth opens to a rounded shape.
    w[lower] = 0.35 + 0.65 * (1 - np.clip(np.abs(q[lower, 0] - cx) / half, 0, 1) ** 2)
    w[RING_ENDS] = 0.35
    out = np.zeros_like(q)
    out[:, 1] = JAW_TRAVEL * geo.fh * w
    return out


def _spread(geo: _Frame, n_face: int, amount: float) -> np.ndarray:
    _, _, half, u = _mouth(geo)
    out = np.zeros_like(geo.q)
    out[:, 0] = amount * half * np.clip(u, -1.3, 1.3) * _near_mouth(geo, n_face, 0.12)
    return out


def _round(geo: _Frame, n_face: int) -> np.ndarray:
    out = _spread(geo, n_face, -0.22)
    upper, lower = _lip_sets()
    out[upper, 1] -= 0.012 * geo.fh  # lips purse: thicker, a small round opening
    out[lower, 1] += 0.012 * geo.fh
    return out


def _press(geo: _Frame, n_face: int) -> np.ndarray:
    out = np.zeros_like(geo.q)
    # Lips thin and meet: the outer lines move most, the rings inside them less.
    for travel, up, down in zip(np.linspace(0.012, 0.02, 4) * geo.fh, UPPER_RINGS, LOWER_RINGS):
        out[list(up[1:-1]), 1] += travel
        out[list(down[1:-1]), 1] -= travel
    return out


def _smile(geo: _Frame, n_face: int) -> np.ndarray:
    out = _spread(geo, n_face, 0.12)
    _, _, _, u = _mouth(geo)
    out[:, 1] -= 0.045 * geo.fh * np.clip(u, -1.3, 1.3) ** 2 * _near_mouth(geo, n_face, 0.15)
    cheeks = geo.q[list(T.CHEEKS)]
    for c in cheeks:
        d = np.hypot(*(geo.q[:, :2] - c[:2]).T) / (0.15 * geo.fw)
        lift = (1 - ramp(d)) * 0.02 * geo.fh
        lift[n_face:] = 0
        out[:, 1] = np.minimum(out[:, 1], -lift)
    for lower in (T.LEFT_EYE_LOWER, T.RIGHT_EYE_LOWER):
        out[list(lower[1:-1]), 1] -= 0.006 * geo.fh  # a smile narrows the eyes from below
    return out


def _iris(slot: int) -> np.ndarray:
    """Control-point indices of an eye's five iris points (0 image-left, 1 image-right),
    which follow the 468 mesh points."""
    return np.arange(468 + 5 * slot, 468 + 5 * slot + 5)


def _blink(eye_upper, eye_lower, iris_slot):
    def shape(geo: _Frame, n_face: int) -> np.ndarray:
        q = geo.q
        upper = q[list(eye_upper), :2]
        x = q[:, 0]
        inside_x = (x > upper[:, 0].min()) & (x < upper[:, 0].max())
        top, bottom = curve_y(upper, x), curve_y(q[list(eye_lower), :2], x)
        seam = bottom - 0.1 * (bottom - top)  # lids meet low, as real ones do
        height = max(float(np.max(bottom - top)), 1.0)
        y = q[:, 1]
        dy = np.zeros(len(q))
        between = (y >= top - 1e-6) & (y <= bottom + 1e-6)
        dy[between] = seam[between] - y[between]
        # Lid skin above slides down, fading out toward the brow; a little below slides up.
        above = y < top
        fade_up = 1 - ramp((top - y) / (1.6 * height))
        dy[above] = ((seam - top) * fade_up)[above]
        below = y > bottom
        fade_dn = 1 - ramp((y - bottom) / (0.8 * height))
        dy[below] = ((seam - bottom) * fade_dn)[below]
        dy[~inside_x] = 0  # nothing moves beyond the eye's corners
        dy[list(eye_upper)] = (seam - y)[list(eye_upper)]
        dy[list(eye_lower)] = (seam - y)[list(eye_lower)]
        iris = _iris(iris_slot)
        dy[iris] = (seam - y)[iris]
        dy[n_face:] = 0
        out = np.zeros_like(q)
        out[:, 1] = dy
        return out

    return shape


def _brow(geo: _Frame, n_face: int) -> np.ndarray:
    q = geo.q
    brows = list(T.LEFT_BROW + T.RIGHT_BROW)
    brow_y = geo.y(brows).mean()
    eye_y = geo.y(T.LEFT_EYE_UPPER + T.RIGHT_EYE_UPPER).mean()
    span = max(eye_y - brow_y, 1.0)
    y = q[:, 1]
    w = np.where(y > brow_y, 1 - ramp((y - brow_y) / span), 0.5 + 0.5 * (1 - ramp((brow_y - y) / (0.35 * geo.fh))))
    w[brows] = 1.0
    w[n_face:] = 0
    out = np.zeros_like(q)
    out[:, 1] = -BROW_TRAVEL * geo.fh * w
    return out


def _gaze(axis: int):
    def shape(geo: _Frame, n_face: int) -> np.ndarray:
        out = np.zeros_like(geo.q)
        for slot, (a, b) in enumerate((T.LEFT_EYE_CORNERS, T.RIGHT_EYE_CORNERS)):
            eye_w = abs(geo.q[b, 0] - geo.q[a, 0])
            iris = _iris(slot)
            # x: a quarter of the eye's width; y > 0 is up, a smaller travel.
            out[iris, axis] = 0.2 * eye_w if axis == 0 else -0.09 * eye_w
        return out

    return shape


_SHAPES = {
    "jaw": _jaw,
    "mouth_w": lambda g, n: _spread(g, n, 0.16),
    "mouth_round": _round,
    "lip_press": _press,
    "smile": _smile,
    "blink_l": _blink(T.LEFT_EYE_UPPER, T.LEFT_EYE_LOWER, 0),
    "blink_r": _blink(T.RIGHT_EYE_UPPER, T.RIGHT_EYE_LOWER, 1),
    "brow": _brow,
    "gaze_x": _gaze(0),
    "gaze_y": _gaze(1),
}
