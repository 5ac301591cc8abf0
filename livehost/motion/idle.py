"""Idle life, always on: blinks at random intervals (an occasional double), breathing at a
drifting ~0.25 Hz, small gaze shifts, and a faint head sway that half-follows the eyes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .noise import SmoothNoise
from .styles import IdleConfig

_GAMMA_SHAPE = 2.5  # blink intervals: irregular, but never two in a row by chance alone
_DOUBLE_GAP = 0.08  # seconds between the two blinks of a double


@dataclass(frozen=True, slots=True)
class IdleFrame:
    blink: float
    breath: float
    gaze: tuple[float, float]
    sway: tuple[float, float, float]  # pitch, yaw, roll (degrees)


class Blinker:
    def __init__(self, config: IdleConfig, rng: np.random.Generator) -> None:
        self.config, self._rng = config, rng
        self._until_next = self._interval() * rng.random()  # the first one comes soon
        self._starts: list[tuple[float, float]] = []  # (start, duration) pending or running
        self.count = 0

    def _interval(self) -> float:
        cfg = self.config
        if cfg.blinks_per_min <= 0:
            return math.inf
        # The rate counts every closure; a double is two.
        mean = 60.0 * (1.0 + cfg.double_blink) / cfg.blinks_per_min
        return max(0.3, self._rng.gamma(_GAMMA_SHAPE, mean / _GAMMA_SHAPE))

    def step(self, t: float, dt: float, rate: float, speed: float) -> float:
        self._until_next -= dt * rate
        if self._until_next <= 0.0:
            duration = self.config.blink_s / max(speed, 0.2)
            double = self._rng.random() < self.config.double_blink
            self._starts.append((t, duration))
            if double:
                self._starts.append((t + duration + _DOUBLE_GAP, duration))
            self.count += 2 if double else 1
            self._until_next = self._interval()
        closure = 0.0
        for start, duration in self._starts:
            closure = max(closure, _blink_shape((t - start) / duration))
        self._starts = [(s, d) for s, d in self._starts if t < s + d]
        return closure


def _blink_shape(u: float) -> float:
    """Closure over a blink's normalised time: a quick close, a moment shut, a slower open."""
    if u <= 0.0 or u >= 1.0:
        return 0.0
    if u < 0.35:
        x = u / 0.35
        return x * x * (3 - 2 * x)
    if u < 0.45:
        return 1.0
    x = (u - 0.45) / 0.55
    return 1.0 - x * x * (3 - 2 * x)


class Gaze:
    def __init__(self, config: IdleConfig, rng: np.random.Generator) -> None:
        self.config, self._rng = config, rng
        self._next = 0.0
        self._target = (0.0, 0.0)
        self.value = (0.0, 0.0)

    def step(self, t: float, dt: float, reach: float) -> tuple[float, float]:
        cfg = self.config
        if t >= self._next:
            low, high = cfg.gaze_interval_s
            self._next = t + low + (high - low) * self._rng.random()
            r = cfg.gaze_range * reach
            # Mostly back toward the camera, sometimes away: eyes return to the viewer.
            if self._rng.random() < 0.4:
                self._target = (0.0, 0.0)
            else:
                self._target = (r * (2 * self._rng.random() - 1), 0.5 * r * (2 * self._rng.random() - 1))
        k = 1.0 - math.exp(-dt / 0.03)  # a saccade: there in two or three frames
        x, y = self.value
        self.value = (x + k * (self._target[0] - x), y + k * (self._target[1] - y))
        return self.value


class IdleLife:
    def __init__(self, config: IdleConfig, rng: np.random.Generator) -> None:
        self.blinker, self.gaze = Blinker(config, rng), Gaze(config, rng)
        self._sway = [SmoothNoise(rng, 3.0) for _ in range(3)]
        self._breath_rate = SmoothNoise(rng, 6.0)
        self._phase = 2 * math.pi * rng.random()
        self._follow = 0.0  # the head's share of the gaze, lagging the eyes
        self.config = config

    def set_config(self, config: IdleConfig) -> None:
        self.config = self.blinker.config = self.gaze.config = config

    def step(self, t: float, dt: float, blink_rate: float, blink_speed: float, gaze_reach: float) -> IdleFrame:
        cfg = self.config
        blink = self.blinker.step(t, dt, blink_rate, blink_speed)
        # ±12 % wandering rate: breathing is rhythmic, not a metronome.
        self._phase += 2 * math.pi * cfg.breath_hz * (1.0 + 0.12 * self._breath_rate.at(t)) * dt
        gaze = self.gaze.step(t, dt, gaze_reach)
        self._follow += (1.0 - math.exp(-dt / 0.4)) * (gaze[0] - self._follow)
        s = cfg.sway_deg
        sway = (s * self._sway[0].at(t), s * self._sway[1].at(t) + 4.0 * self._follow, s * self._sway[2].at(t))
        return IdleFrame(blink, math.sin(self._phase), gaze, sway)
