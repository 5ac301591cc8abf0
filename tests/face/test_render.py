"""The renderer: stability, framing, untouched background, neutral face, mouth interior."""

from __future__ import annotations

import numpy as np
import pytest

from livehost.face.enroll import rig_from_image
from livehost.face.renderer import RigRenderer
from livehost.media.frames import FaceState

EXTREMES = [FaceState(yaw=15), FaceState(yaw=-15), FaceState(pitch=10), FaceState(pitch=-10),
            FaceState(roll=8), FaceState(roll=-8), FaceState(jaw=1.0), FaceState(breath=1.0),
            FaceState(yaw=15, pitch=10, roll=8, jaw=1, smile=1, brow=1, blink_l=1, gaze_x=1)]


def test_zero_state_frames_are_identical(astronaut, rig, renderer):
    first = renderer.render(FaceState()).copy()
    renderer.render(FaceState(jaw=0.5, yaw=4))
    again = renderer.render(FaceState())
    fresh = RigRenderer(astronaut, rig, (512, 512)).render(FaceState())
    assert np.array_equal(first, again) and np.array_equal(first, fresh)


@pytest.mark.parametrize("state", EXTREMES, ids=lambda s: ",".join(f"{k}={v:g}" for k, v in s.as_dict().items() if v))
def test_background_beyond_the_rig_never_moves(renderer_720p, state):
    """The rig's outer anchors are fixed: beyond them no pixel moves at all, and in a
    landscape frame that is most of the background."""
    x0, y0, x1, y1 = renderer_720p.warp.roi
    outside = np.ones((720, 1280), bool)
    outside[y0:y1, x0:x1] = False
    assert outside.mean() > 0.25
    frame = renderer_720p.render(state)
    assert np.array_equal(frame[outside], renderer_720p.base[outside])
    maps = renderer_720p.warp.maps(renderer_720p._posed(state) - renderer_720p._points_out)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    shift = np.hypot(maps[..., 0] - xs, maps[..., 1] - ys)
    edge = np.zeros(shift.shape, bool)  # the ROI's own border: continuous with the still part
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    inside_frame = (xs > 0) & (xs < 1279) & (ys > 0) & (ys < 719)
    assert shift[edge & inside_frame].max() <= 1.0


@pytest.mark.parametrize("size", [(512, 512), (1280, 720), (1080, 1920)])
def test_framing_like_a_webcam(astronaut, rig, mesher, size):
    frame = RigRenderer(astronaut, rig, size).render(FaceState(jaw=0.3))
    assert frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8
    face = mesher.detect(frame)[0]
    cx = (face.box[0] + face.box[2]) / 2
    assert abs(cx - size[0] / 2) < 0.2 * size[0]  # centred (the photo allowing)
    height_share = (face.box[3] - face.box[1]) / size[1]
    assert 0.15 < height_share < 0.6
    assert face.eyes[:, 1].mean() < 0.55 * size[1]  # eyes in the upper half


def test_parted_lips_are_closed_at_zero(renderer, rig, mesher, astronaut):
    from livehost.face.quality import measure

    assert rig.mouth_open > 0.03  # the astronaut smiles with parted lips
    before = measure(astronaut, mesher).mouth_open
    after = measure(renderer.render(FaceState()), mesher).mouth_open
    assert after < 0.5 * before


def test_turned_portrait_faces_the_camera_at_zero(renderer, mesher):
    from livehost.face.quality import measure

    turned = np.ascontiguousarray(renderer.render(FaceState(yaw=14)))
    enrolled = rig_from_image(turned, "turned.png", mesher, len)
    assert enrolled.portrait_pose[1] > 7
    neutral = RigRenderer(turned, enrolled, (512, 512)).render(FaceState())
    assert abs(measure(neutral, mesher).yaw) < 0.5 * measure(turned, mesher).yaw


def test_mouth_interior_shows_only_where_the_lips_part(renderer):
    from livehost.face import topology as T

    def mouth_darkness(jaw):
        posed = renderer._posed(FaceState(jaw=jaw))
        lips = posed[list(T.LIPS_OUTER_UPPER + T.LIPS_OUTER_LOWER)]
        (x0, y0), (x1, y1) = lips.min(0).astype(int), lips.max(0).astype(int) + 1
        patch = renderer.render(FaceState(jaw=jaw))[y0:y1, x0:x1].astype(float)
        return float((patch.mean(-1) < 60).mean())

    closed, half, wide = mouth_darkness(0.0), mouth_darkness(0.5), mouth_darkness(1.0)
    assert closed < 0.5 * half < half < wide


def test_a_full_blink_covers_the_whites(renderer):
    """Where the open eyes show white, a full blink shows lid: the squeeze alone leaves a
    sliver (13% of the opening's pixels still white, measured), the painted lid none."""
    from livehost.face.paint import polygon_mask

    def white_share(state):
        frame = renderer.render(state)
        px = np.concatenate([frame[polygon_mask(frame.shape[:2], np.concatenate([up, lo[::-1]]))]
                             for up, lo in renderer._lids(renderer._posed(FaceState()))]).astype(int)
        return float(((px.min(1) > 140) & (np.ptp(px, 1) < 45)).mean())

    assert white_share(FaceState()) > 0.1
    assert white_share(FaceState(blink_l=1, blink_r=1)) < 0.01
    assert white_share(FaceState(blink_l=0.5, blink_r=0.5)) > 0.02  # half-closed: still open


def _mouth_column(renderer, state, x_share):
    """The frame's pixels down the inner mouth, at ``x_share`` of its width, lip to lip."""
    from livehost.face import topology as T
    from livehost.face.paint import curve_y

    posed = renderer._posed(state)
    upper, lower = posed[list(T.LIPS_INNER_UPPER)], posed[list(T.LIPS_INNER_LOWER)]
    x = upper[0, 0] + x_share * (upper[-1, 0] - upper[0, 0])
    top, bottom = curve_y(upper, np.array([x]))[0], curve_y(lower, np.array([x]))[0]
    return renderer.render(state)[int(np.ceil(top)) + 1:int(bottom) - 1, int(np.round(x))].astype(float)


def test_a_wide_open_mouth_shows_teeth_over_a_dark_warm_cavity(renderer):
    """Down the middle of a wide-open mouth: teeth under the upper lip, then a cavity that is
    dark, warm (red over blue) yet far from a saturated red."""
    column = _mouth_column(renderer, FaceState(jaw=1.0), 0.5)
    n = len(column)
    teeth, cavity = column[: n // 6], column[int(0.4 * n): int(0.7 * n)]
    assert teeth.mean() > 150
    assert cavity.mean() < 90
    r, g, b = cavity.mean(0)
    assert r > b
    assert (r - min(g, b)) / r < 0.55  # the old painted cavity, a deep red, was 0.7


def test_the_teeth_are_the_photo_s_own(astronaut, rig, renderer):
    """The astronaut smiles with her teeth showing; the open mouth shows those teeth (their
    gaps and shading along the row), not an even painted bar."""
    from livehost.face import topology as T
    from livehost.face.paint import curve_y

    posed = renderer._posed(FaceState(jaw=0.5))
    upper = posed[list(T.LIPS_INNER_UPPER)]
    photo_upper = renderer._points_out[list(T.LIPS_INNER_UPPER)]
    below = 0.02 * renderer.face_h  # a row through the upper teeth
    shares = np.linspace(0.3, 0.7, 40)

    def row(image, line):
        xs = line[0, 0] + shares * (line[-1, 0] - line[0, 0])
        ys = curve_y(line, xs) + below
        return image[np.round(ys).astype(int), np.round(xs).astype(int)].astype(float).mean(1)

    rendered = row(np.asarray(renderer.render(FaceState(jaw=0.5))), upper)
    photo = row(renderer.base, photo_upper)
    assert np.corrcoef(rendered, photo)[0, 1] > 0.7
