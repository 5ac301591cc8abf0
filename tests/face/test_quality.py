"""Quality on the astronaut: the face follows its commands (landmarks re-detected on the
rendered frames) and stays the same person (dlib identity distance to the photo)."""

from __future__ import annotations

import pytest

from livehost.face.quality import control
from livehost.media.frames import FaceState

pytestmark = pytest.mark.slow


# Measured on the astronaut: jaw 0.96 / 0.97, yaw 0.998; the blink's eye aspect ratio (the iris
# model's lid outline) drops 75% at 512x512, 72% at 1280x720 (71% at 1080x1920).
@pytest.fixture(scope="module", params=["renderer", "renderer_720p"])
def figures(request, mesher) -> dict:
    return control(request.getfixturevalue(request.param).render, mesher)


def test_mouth_opening_follows_the_jaw(figures):
    assert figures["jaw_corr"] >= 0.95


def test_measured_yaw_follows_the_command(figures):
    assert figures["yaw_corr"] >= 0.9  # positive: the head turns the commanded way


def test_full_blink_closes_the_eyes(figures):
    assert figures["blink_ear_drop"] >= 0.7


# The target is 0.35 everywhere. Measured on the astronaut (512x512): neutral 0.194,
# roll +8/-8° 0.200/0.173, yaw +15/-15° 0.288/0.227, pitch +10/-10° 0.274/0.270, jaw 1 0.291
# (with the lips' middle rings left behind, the whole upper lip lowered at neutral and a
# painted bar of teeth: 0.294, 0.283/0.276, 0.316/0.284, 0.334/0.311, 0.345); the bounds
# sit just above, so any loss of likeness fails.
@pytest.mark.parametrize("state, bound", [
    (FaceState(), 0.2), (FaceState(roll=8), 0.21), (FaceState(roll=-8), 0.18),
    (FaceState(pitch=10), 0.28), (FaceState(pitch=-10), 0.28), (FaceState(jaw=1.0), 0.3),
    (FaceState(yaw=15), 0.3), (FaceState(yaw=-15), 0.24),
], ids=["neutral", "roll+8", "roll-8", "pitch+10", "pitch-10", "jaw1", "yaw+15", "yaw-15"])
def test_identity_holds_at_the_extremes(distance_to_astronaut, renderer, state, bound):
    assert distance_to_astronaut(renderer.render(state)) <= bound
