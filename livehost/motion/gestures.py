"""The pose fine-tuner: a sentence's tags become timed gestures layered on the base motion.

Every gesture is a fixed smooth shape (a raised-cosine bump, or a Hann-windowed wave) placed
on the media clock when its sentence starts playing, so it is exact to the sample and costs
nothing to look up per tick. Emphasis nods have their lowest point on the stressed vowel; a
question lifts the head and brows toward its end; an exclamation raises the brows and gives
a quick up-nod; "yes" is said the way the persona's region says it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from livehost.brain.tags import affirms
from livehost.media.frames import SentenceKind

from .speech import ActiveSpeech
from .styles import Style

Offsets = tuple[float, float, float, float]  # pitch, yaw, roll (degrees), brow (0..1)
_VELOCITY_SHARE = 0.6  # a planned gesture uses at most this share of the speed limit
_MAX_ACTIVE = 16  # more pending gestures than this are dropped, oldest first


@dataclass(frozen=True, slots=True)
class Gesture:
    kind: str
    peak: float  # media time of the extreme (the nod's lowest point)
    rise: float  # seconds from onset to the peak
    fall: float  # seconds from the end of the hold back to rest
    pitch: float = 0.0
    yaw: float = 0.0
    roll: float = 0.0
    brow: float = 0.0
    hold: float = 0.0
    cycles: int = 0  # 0: one bump; n: a wave of n cycles (head shake, wobble, double nod)
    fade_from: float = math.inf  # interrupted: fades out from here over FADE seconds

    FADE = 0.25

    @property
    def start(self) -> float:
        return self.peak - self.rise

    @property
    def end(self) -> float:
        return min(self.peak + self.hold + self.fall, self.fade_from + self.FADE)

    def weight(self, t: float) -> float:
        if t <= self.start or t >= self.end:
            return 0.0
        if self.cycles:
            u = (t - self.start) / (self.rise + self.hold + self.fall)
            w = math.sin(math.pi * u) ** 2 * math.sin(2.0 * math.pi * self.cycles * u)
        elif t < self.peak:
            w = 0.5 - 0.5 * math.cos(math.pi * (t - self.start) / self.rise)
        elif t <= self.peak + self.hold:
            w = 1.0
        else:
            w = 0.5 + 0.5 * math.cos(math.pi * (t - self.peak - self.hold) / self.fall)
        if t > self.fade_from:
            w *= max(0.0, 1.0 - (t - self.fade_from) / self.FADE)
        return w

    def peak_speed(self) -> float:
        """Degrees per second at the steepest point of the shape, before any fade."""
        size = math.sqrt(self.pitch**2 + self.yaw**2 + self.roll**2)
        if self.cycles:
            return size * 2.0 * math.pi * self.cycles / (self.rise + self.hold + self.fall)
        return size * math.pi / (2.0 * min(self.rise, self.fall))


class GestureTrack:
    """The gestures in flight; ``at(t)`` sums them."""

    def __init__(self) -> None:
        self.gestures: list[Gesture] = []

    def add(self, gestures: list[Gesture]) -> None:
        self.gestures = (self.gestures + gestures)[-_MAX_ACTIVE:]

    def at(self, t: float) -> Offsets:
        pitch = yaw = roll = brow = 0.0
        alive = []
        for g in self.gestures:
            if t < g.end:
                alive.append(g)
            w = g.weight(t)
            if w:
                pitch, yaw, roll, brow = pitch + w * g.pitch, yaw + w * g.yaw, roll + w * g.roll, brow + w * g.brow
        self.gestures = alive
        return pitch, yaw, roll, brow

    def fade_out(self, t: float) -> None:
        """An interrupt: what has not started is dropped, what is moving fades out."""
        self.gestures = [replace(g, fade_from=min(g.fade_from, t)) for g in self.gestures if g.start < t]


def plan(active: ActiveSpeech, style: Style, liveliness: float) -> list[Gesture]:
    """The gestures of one sentence. ``liveliness`` (from the emotion) scales their size."""
    sentence = active.sentence
    gain = (0.6 + 0.8 * sentence.intensity) * liveliness
    cfg = style.gestures
    max_speed = _VELOCITY_SHARE * style.limits.max_velocity
    gestures: list[Gesture] = []
    if style.allows("nod"):
        gestures += _nods(active, cfg.nod_deg * gain, cfg.nod_spacing_s)
    if sentence.kind is SentenceKind.QUESTION and style.allows("question"):
        # Up by 85 % of the sentence, held through its end and a moment after: the listener's turn.
        span = active.voice_end - active.t0
        rise = min(1.2, max(0.3, 0.5 * span))
        gestures.append(Gesture("question", active.voice_end - 0.15 * span, rise, 0.9, hold=0.15 * span + 0.35,
                                pitch=cfg.question_raise_deg * gain,
                                brow=cfg.question_brow * (0.6 + 0.8 * sentence.intensity)))
    if sentence.kind is SentenceKind.EXCLAMATION and style.allows("exclaim"):
        # Brows follow intensity only: liveliness is head motion, not a frozen stare.
        brow = cfg.exclaim_brow * (0.6 + 0.8 * sentence.intensity) / 1.4
        gestures += _exclaim(active, cfg.exclaim_nod_deg * gain, brow)
    if style.allows("affirm") and affirms(sentence.text) and active.speech.words:
        gestures.append(_affirm(active, style.affirm_gesture, cfg.affirm_deg * gain))
    return [_within_speed(g, max_speed) for g in gestures]


def _nods(active: ActiveSpeech, depth: float, spacing: float) -> list[Gesture]:
    """One decisive nod per emphasis; emphases closer than ``spacing`` share the stronger's."""
    chosen: list[tuple[float, float]] = []  # (time, strength)
    for mark in active.sentence.emphasis:
        at = active.word_stress(mark.index)
        if at is None:
            continue
        if chosen and at - chosen[-1][0] < spacing:
            if mark.strength > chosen[-1][1]:
                chosen[-1] = (at, mark.strength)
            continue
        chosen.append((at, mark.strength))
    return [Gesture("nod", at, 0.16, 0.3, pitch=-depth * strength) for at, strength in chosen]


def _exclaim(active: ActiveSpeech, nod: float, brow: float) -> list[Gesture]:
    marks = [active.word_stress(m.index) for m in active.sentence.emphasis]
    marks = [m for m in marks if m is not None]
    last_word = active.word_stress(len(active.speech.words) - 1)
    up_at = marks[-1] if marks else (last_word if last_word is not None else active.voice_end)
    span = active.voice_end - active.t0
    return [
        Gesture("exclaim-brow", active.t0 + min(0.25, span / 3), 0.2, 0.6, brow=brow,
                hold=min(0.6, max(0.0, span - 0.5))),
        # Just after the stressed vowel: the emphasis nod (if any) has its dip there.
        Gesture("exclaim-nod", up_at + 0.12, 0.1, 0.25, pitch=nod),
    ]


def _affirm(active: ActiveSpeech, how: str, size: float) -> Gesture:
    first = active.speech.words[0]
    start = active.t0 + first.start
    axis = {"nod": "pitch", "shake": "yaw", "wobble": "roll"}[how]
    # Two cycles over ~0.7 s; a nod's wave starts downward.
    amplitude = -size if how == "nod" else size * 1.5
    return Gesture(f"affirm-{how}", start + 0.35, 0.35, 0.35, cycles=2, **{axis: amplitude})


def _within_speed(gesture: Gesture, max_speed: float) -> Gesture:
    speed = gesture.peak_speed()
    if speed <= max_speed:
        return gesture
    k = max_speed / speed
    return replace(gesture, pitch=gesture.pitch * k, yaw=gesture.yaw * k, roll=gesture.roll * k)
