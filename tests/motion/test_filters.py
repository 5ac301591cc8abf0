"""Filters smooth without drifting off; the limiter holds angles and speed whatever comes in."""

import math

import numpy as np
import pytest

from livehost.motion.filters import make_filter
from livehost.motion.limits import PoseLimiter
from livehost.motion.styles import (EdgeConfig, EmaConfig, KalmanConfig, LimitConfig,
                                    NoFilterConfig, OneEuroConfig)

DT = 0.04
SMOOTHERS = [OneEuroConfig(), EmaConfig(), KalmanConfig()]


def run(config, xs):
    f = make_filter(config)
    return np.array([f(float(x), DT) for x in xs])


@pytest.mark.parametrize("config", SMOOTHERS, ids=lambda c: c.kind)
def test_filters_settle_on_a_step_and_reduce_noise(config):
    rng = np.random.default_rng(0)
    step = np.r_[np.zeros(25), np.full(100, 5.0)]
    assert abs(run(config, step)[-1] - 5.0) < 0.45
    signal = np.sin(np.arange(500) * DT * 2 * math.pi * 0.3) * 3
    noisy = signal + rng.normal(0, 0.4, signal.size)
    out = run(config, noisy)
    assert np.abs(np.diff(out, 3)).mean() < 0.5 * np.abs(np.diff(noisy, 3)).mean()
    assert np.abs(out - signal)[50:].mean() < np.abs(noisy - signal)[50:].mean() + 0.2


def test_edge_holds_through_noise_below_its_threshold():
    rng = np.random.default_rng(1)
    slow = np.repeat([0.0, 2.0, 4.0], 60)
    out = run(EdgeConfig(threshold=0.5), slow + rng.normal(0, 0.12, slow.size))
    assert np.count_nonzero(np.diff(out)) < 0.2 * slow.size
    assert abs(out[-1] - 4.0) < 0.5


def test_edge_ignores_small_changes_and_glides_linearly():
    f = make_filter(EdgeConfig(threshold=0.5, speed=10.0))
    f(0.0, DT)
    assert all(f(x, DT) == 0.0 for x in (0.2, -0.3, 0.4))
    outs = [f(3.0, DT) for _ in range(10)]
    assert np.allclose(np.diff(outs[:7]), 10.0 * DT)
    assert outs[-1] == 3.0


def test_passthrough():
    assert run(NoFilterConfig(), [1.0, -2.0]).tolist() == [1.0, -2.0]


def test_limiter_clamps_angles_speed_and_nan():
    limits = LimitConfig(max_velocity=50.0)
    lim = PoseLimiter(limits)
    poses = [lim(100.0, -100.0, 100.0, DT) for _ in range(40)]
    steps = np.linalg.norm(np.diff(np.array([(0, 0, 0)] + poses), axis=0), axis=1)
    assert steps.max() <= 50.0 * DT + 1e-9
    assert poses[-1] == (12.0, -15.0, 8.0)
    assert lim(float("nan"), float("inf"), -float("inf"), DT) == pytest.approx((10.0, -13.0, 6.0), abs=2.1)
    assert all(math.isfinite(v) for v in lim.pose)
