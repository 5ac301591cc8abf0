"""Postures: the held attitude of an emotion (concerned tilts and leans in, excited lifts and
livens up) and of listening. Targets jump when tags change; critically damped springs make
the face follow along smooth curves whatever arrives."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .spring import CriticalSpring


@dataclass(frozen=True, slots=True)
class Posture:
    pitch: float = 0.0  # degrees; < 0 leans in
    roll: float = 0.0  # degrees; a tilt
    smile: float = 0.0
    brow: float = 0.0
    press: float = 0.0
    liveliness: float = 1.0  # scales prosody and gesture sizes
    blink_rate: float = 1.0  # factor on the style's rate
    blink_speed: float = 1.0  # < 1: slower blinks


# Keyed by livehost.brain.tags.EMOTIONS (a test holds them equal).
POSTURES: dict[str, Posture] = {
    "neutral": Posture(),
    "happy": Posture(pitch=0.8, roll=1.0, smile=0.45, brow=0.1, liveliness=1.15),
    "excited": Posture(pitch=1.5, smile=0.6, brow=0.3, liveliness=1.45, blink_rate=1.2),
    "concerned": Posture(pitch=-1.5, roll=-3.0, brow=0.3, press=0.2, liveliness=0.8,
                         blink_rate=0.85, blink_speed=0.7),
    "sad": Posture(pitch=-3.0, roll=-1.5, brow=0.15, liveliness=0.6, blink_speed=0.75),
    "angry": Posture(pitch=-1.0, press=0.4, liveliness=1.2),
    "surprised": Posture(pitch=1.5, brow=0.8, liveliness=1.2),
}
LISTENING = Posture(pitch=-0.8, roll=2.5, smile=0.15, brow=0.1, blink_rate=1.0)

_FIELDS = [f.name for f in fields(Posture)]
_NEUTRAL_VALUES = Posture()


def blend(posture: Posture, amount: float) -> Posture:
    """``amount`` of the way from neutral to ``posture`` (intensity × the style's gain)."""
    return Posture(*(
        getattr(_NEUTRAL_VALUES, name) + amount * (getattr(posture, name) - getattr(_NEUTRAL_VALUES, name))
        for name in _FIELDS
    ))


class PostureState:
    """Follows a target posture; ~1 s to settle, never overshooting."""

    def __init__(self, omega: float = 4.5) -> None:
        self._springs = {name: CriticalSpring(omega, getattr(_NEUTRAL_VALUES, name)) for name in _FIELDS}
        self.current = _NEUTRAL_VALUES

    def step(self, target: Posture, dt: float) -> Posture:
        self.current = Posture(*(self._springs[n].step(getattr(target, n), dt) for n in _FIELDS))
        return self.current
