"""Smooth random drift that never looks periodic: value noise on randomly spaced knots,
joined by a C1 cubic, with a faster, fainter second octave. Generated lazily as time goes
forward, from the channel's seeded RNG, so a render is reproducible."""

from __future__ import annotations

from collections import deque

import numpy as np


class _Knots:
    def __init__(self, rng: np.random.Generator, spacing: float) -> None:
        self._rng, self.spacing = rng, spacing
        # Starts at 0 so the head begins centred.
        self._t = deque([-spacing, 0.0])
        self._v = deque([0.0, 0.0])
        self._extend()
        self._extend()

    def _extend(self) -> None:
        # Spacing jitters by ±40 %: regular knots would beat like a metronome.
        self._t.append(self._t[-1] + self.spacing * (0.6 + 0.8 * self._rng.random()))
        self._v.append(2.0 * self._rng.random() - 1.0)

    def at(self, t: float) -> float:
        while t >= self._t[2]:
            self._extend()
            self._t.popleft()
            self._v.popleft()
        (t0, t1, t2, t3), (v0, v1, v2, v3) = self._t, self._v
        t = max(t, t1)
        h = t2 - t1
        u = (t - t1) / h
        m1 = (v2 - v0) / (t2 - t0) * h
        m2 = (v3 - v1) / (t3 - t1) * h
        u2, u3 = u * u, u * u * u
        return ((2 * u3 - 3 * u2 + 1) * v1 + (u3 - 2 * u2 + u) * m1
                + (-2 * u3 + 3 * u2) * v2 + (u3 - u2) * m2)


class SmoothNoise:
    """A value in about -1..1 drifting on the time scale ``timescale`` (seconds)."""

    def __init__(self, rng: np.random.Generator, timescale: float) -> None:
        self._slow = _Knots(rng, timescale)
        self._fast = _Knots(rng, timescale / 2.9)

    def set_timescale(self, value: float) -> None:
        # Only knots not yet drawn change: the curve bends, it does not jump.
        self._slow.spacing, self._fast.spacing = value, value / 2.9

    def at(self, t: float) -> float:
        return 0.8 * self._slow.at(t) + 0.3 * self._fast.at(t)
