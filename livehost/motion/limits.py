"""The last word on the head pose: hard angle limits and a maximum angular speed. Whatever
the layers above produce (adversarial tags included), the pose leaving here obeys them."""

from __future__ import annotations

import math

from .styles import LimitConfig


class PoseLimiter:
    def __init__(self, limits: LimitConfig) -> None:
        self.limits = limits
        self.pose = (0.0, 0.0, 0.0)  # pitch, yaw, roll: the head starts centred

    def __call__(self, pitch: float, yaw: float, roll: float, dt: float) -> tuple[float, float, float]:
        lim = self.limits
        target = (_clamp(pitch, lim.pitch), _clamp(yaw, lim.yaw), _clamp(roll, lim.roll))
        deltas = [b - a for a, b in zip(self.pose, target)]
        step = math.sqrt(sum(d * d for d in deltas))
        max_step = lim.max_velocity * dt
        if step > max_step:  # scale the whole move: the direction of the turn survives
            scale = max_step / step
            target = tuple(a + d * scale for a, d in zip(self.pose, deltas))
        self.pose = target
        return target


def _clamp(value: float, limit: float) -> float:
    if math.isnan(value):
        return 0.0
    return max(-limit, min(limit, value))
