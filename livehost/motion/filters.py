"""Head-track filters, one instance per angle, selectable per style: One-Euro (default: low
lag when the head moves, smooth when it rests), EMA, a constant-velocity Kalman filter, and
"edge" (linear moves with a dead band) for weak devices. ``f(x, dt)`` returns the output."""

from __future__ import annotations

import math
from typing import Protocol

from .styles import EdgeConfig, EmaConfig, FilterConfig, KalmanConfig, NoFilterConfig, OneEuroConfig


class Filter(Protocol):
    def __call__(self, x: float, dt: float) -> float: ...


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuro:
    """Casiez, Roussel & Vogel (CHI 2012): the cutoff rises with the signal's speed."""

    def __init__(self, config: OneEuroConfig) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = config.min_cutoff, config.beta, config.d_cutoff
        self._x: float | None = None
        self._dx = 0.0

    def __call__(self, x: float, dt: float) -> float:
        if self._x is None:
            self._x = x
            return x
        a_d = _alpha(self.d_cutoff, dt)
        self._dx += a_d * ((x - self._x) / dt - self._dx)
        a = _alpha(self.min_cutoff + self.beta * abs(self._dx), dt)
        self._x += a * (x - self._x)
        return self._x


class Ema:
    def __init__(self, config: EmaConfig) -> None:
        self.time_constant = config.time_constant
        self._x: float | None = None

    def __call__(self, x: float, dt: float) -> float:
        if self._x is None:
            self._x = x
        else:
            self._x += (1.0 - math.exp(-dt / self.time_constant)) * (x - self._x)
        return self._x


class Kalman:
    """State (angle, angular velocity), constant-velocity model, angle measured each tick."""

    def __init__(self, config: KalmanConfig) -> None:
        self.q, self.r = config.process_noise, config.measurement_noise
        self._x: float | None = None
        self._v = 0.0
        self._p = [[1.0, 0.0], [0.0, 1.0]]

    def __call__(self, z: float, dt: float) -> float:
        if self._x is None:
            self._x = z
            return z
        (p00, p01), (p10, p11) = self._p
        # Predict.
        x, v = self._x + self._v * dt, self._v
        q, dt2 = self.q, dt * dt
        p00, p01, p10, p11 = (
            p00 + dt * (p10 + p01) + dt2 * p11 + q * dt2 * dt2 / 4,
            p01 + dt * p11 + q * dt2 * dt / 2,
            p10 + dt * p11 + q * dt2 * dt / 2,
            p11 + q * dt2,
        )
        # Update with the measured angle.
        s = p00 + self.r
        k0, k1 = p00 / s, p10 / s
        innovation = z - x
        self._x, self._v = x + k0 * innovation, v + k1 * innovation
        self._p = [[(1 - k0) * p00, (1 - k0) * p01], [p10 - k1 * p00, p11 - k1 * p01]]
        return self._x


class Edge:
    """Holds still until the input leaves a dead band, then glides there at a fixed speed."""

    def __init__(self, config: EdgeConfig) -> None:
        self.threshold, self.speed = config.threshold, config.speed
        self._x: float | None = None
        self._goal = 0.0

    def __call__(self, x: float, dt: float) -> float:
        if self._x is None:
            self._x = self._goal = x
            return x
        if abs(x - self._goal) > self.threshold:
            self._goal = x
        step = self.speed * dt
        self._x += max(-step, min(step, self._goal - self._x))
        return self._x


class Passthrough:
    def __init__(self, config: NoFilterConfig) -> None:
        pass

    def __call__(self, x: float, dt: float) -> float:
        return x


_KINDS: dict[str, type] = {
    "one_euro": OneEuro, "ema": Ema, "kalman": Kalman, "edge": Edge, "none": Passthrough,
}


def make_filter(config: FilterConfig) -> Filter:
    return _KINDS[config.kind](config)
