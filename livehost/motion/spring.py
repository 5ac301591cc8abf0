"""A critically damped spring: follows a target smoothly, never overshoots. Postures and
settling use it so a target that jumps (a new emotion every word) still moves the head
along a smooth curve, whatever filter the style picked."""

from __future__ import annotations

import math


class CriticalSpring:
    def __init__(self, omega: float, value: float = 0.0) -> None:
        self.omega = omega  # rad/s: settles in about 4.7 / omega seconds
        self.value, self.velocity = value, 0.0

    def step(self, target: float, dt: float) -> float:
        # The exact solution over dt, so any tick rate gives the same curve.
        offset = self.value - target
        decay = math.exp(-self.omega * dt)
        temp = (self.velocity + self.omega * offset) * dt
        self.velocity = (self.velocity - self.omega * temp) * decay
        self.value = target + (offset + temp) * decay
        return self.value
