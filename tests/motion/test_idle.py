"""Idle life: blinks at the configured rate (fewer while listening or asking), breathing at
0.2–0.3 Hz, gaze that moves, reproducible per seed."""

import numpy as np
import pytest

from livehost.motion.styles import load_style

from motion_synth import FPS, render, track

MINUTES = 5


def blink_onsets(ticks) -> int:
    closed = track(ticks, "blink_l") > 0.5
    return int(np.sum(closed[1:] & ~closed[:-1]))


@pytest.mark.parametrize("style", ["friendly", "calm", "lively"])
def test_blinks_at_the_configured_rate(style):
    ticks, motion = render([], 60.0 * MINUTES, style=style)
    rate = blink_onsets(ticks) / MINUTES
    configured = load_style(style).idle.blinks_per_min
    assert 12 <= configured <= 20
    assert abs(rate - configured) <= 0.15 * configured, (rate, configured)
    assert motion.idle.blinker.count == pytest.approx(blink_onsets(ticks), abs=2)


def test_some_blinks_are_double():
    ticks, _ = render([], 60.0 * MINUTES, seed=5)
    onsets = np.flatnonzero(np.diff((track(ticks, "blink_l") > 0.5).astype(int)) == 1) / FPS
    assert np.sum(np.diff(onsets) < 0.5) >= 3


def test_fewer_blinks_while_listening():
    def listen(loop, i):
        if i == 0:
            loop.motion.set_listening(True)

    ticks, _ = render([], 60.0 * MINUTES, before=listen)
    listening_rate = blink_onsets(ticks) / MINUTES
    style = load_style("friendly")
    assert listening_rate < 0.8 * style.idle.blinks_per_min
    # The listening posture: a tilt, and small nods now and then.
    assert track(ticks, "roll")[FPS * 5 :].mean() > 1.5
    assert np.ptp(track(ticks, "pitch")) > 1.5


def test_breathing_between_0_2_and_0_3_hz_and_not_a_metronome():
    ticks, _ = render([], 120.0)
    breath = track(ticks, "breath")
    ups = np.flatnonzero((breath[1:] >= 0) & (breath[:-1] < 0))
    rate = (len(ups) - 1) / ((ups[-1] - ups[0]) / FPS)
    assert 0.2 <= rate <= 0.3
    periods = np.diff(ups) / FPS
    assert periods.std() > 0.05  # the rate drifts


def test_gaze_shifts_and_the_face_is_never_frozen():
    ticks, _ = render([], 20.0)
    gaze = track(ticks, "gaze_x")
    assert np.ptp(gaze) > 0.1
    # Something changes in every stretch of half a second.
    state = np.stack([track(ticks, n) for n in ("breath", "yaw", "pitch", "gaze_x")], axis=1)
    for start in range(0, len(state) - FPS // 2, FPS // 2):
        assert np.ptp(state[start : start + FPS // 2], axis=0).max() > 1e-3


def test_same_seed_same_face_other_seed_other_face():
    a = track(render([], 10.0, seed=7)[0], "yaw")
    b = track(render([], 10.0, seed=7)[0], "yaw")
    c = track(render([], 10.0, seed=8)[0], "yaw")
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
