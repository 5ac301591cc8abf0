"""The typed messages that flow through a channel.

Audio inside the channel is always mono float32 in [-1, 1] at the channel's sample rate;
times are seconds on the channel's media clock (see ``clock.py``).
"""

from __future__ import annotations

import enum
import itertools
import time
from dataclasses import dataclass, field, fields

import numpy as np


class SentenceKind(str, enum.Enum):
    STATEMENT = "statement"
    QUESTION = "question"
    EXCLAMATION = "exclamation"
    CLAUSE = "clause"  # a leading part of a longer sentence, spoken on its own (it goes on)


@dataclass(frozen=True, slots=True)
class Emphasis:
    """A stressed word of a sentence; ``index`` is its position among the sentence's words."""

    word: str
    index: int
    strength: float = 1.0


_sentence_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence to be spoken, with the tags that drive gestures."""

    text: str
    emotion: str = "neutral"
    kind: SentenceKind = SentenceKind.STATEMENT
    emphasis: tuple[Emphasis, ...] = ()
    intensity: float = 0.5
    id: int = field(default_factory=lambda: next(_sentence_ids))
    to: str = ""  # the id of the chat message this sentence answers ("" when none)


@dataclass(frozen=True, slots=True)
class PhonemeTiming:
    """A phoneme of synthesized speech; times in seconds from the start of its audio."""

    phoneme: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class WordTiming:
    """A word of synthesized speech; times in seconds from the start of its audio."""

    word: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Speech:
    """Synthesized audio for one sentence, at the channel rate, with whatever timings the
    engine could give (empty tuples when it gave none)."""

    sentence: Sentence
    pcm: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeTiming, ...] = ()
    words: tuple[WordTiming, ...] = ()

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass(frozen=True, slots=True)
class ScheduledSpeech:
    """A Speech placed on the media clock: it plays from ``t0`` to ``t1``."""

    speech: Speech
    t0: float

    @property
    def t1(self) -> float:
        return self.t0 + self.speech.duration


@dataclass(frozen=True, slots=True)
class FaceState:
    """Everything the face renderer needs for one frame. All zeros is the neutral face.

    ``jaw``, ``mouth_w`` (spread), ``mouth_round``, ``lip_press``, ``smile``, ``blink_*``,
    ``brow`` are in 0..1 (blink 1 = closed). ``gaze_*`` in -1..1 (x > 0 = image right,
    y > 0 = up). Angles in degrees: ``pitch`` > 0 = chin up, ``yaw`` > 0 = face turns toward
    the image's right, ``roll`` > 0 = clockwise in the image. ``breath`` in -1..1.
    """

    jaw: float = 0.0
    mouth_w: float = 0.0
    mouth_round: float = 0.0
    lip_press: float = 0.0
    smile: float = 0.0
    blink_l: float = 0.0
    blink_r: float = 0.0
    brow: float = 0.0
    gaze_x: float = 0.0
    gaze_y: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    roll: float = 0.0
    breath: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class AVTick:
    """One tick of the render loop: a video frame and exactly the audio that plays with it.

    ``audio`` is float32 mono, ``sample_rate / fps`` samples long (the rounding of a
    non-integer ratio is spread over ticks so the sum is exact). ``started`` lists the speech
    that began playing during this tick. ``cut``: the voice was stopped at this tick (held or
    interrupted): a sink still holding earlier audio may drop it, so the voice falls silent at
    the receiver now rather than a buffer later.
    """

    index: int
    t: float
    image: np.ndarray
    audio: np.ndarray
    sample_rate: int
    speaking: bool
    face: FaceState
    started: tuple[ScheduledSpeech, ...] = ()
    cut: bool = False


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A message from a live chat, the API, the operator or the microphone, normalized across
    platforms. ``kind``: chat | question | gift | superchat | member | follow | raid | system |
    operator | mic. ``amount`` is in ``currency`` units (bits, coins, EUR...) where paid."""

    platform: str
    user: str
    text: str
    received_at: float = field(default_factory=time.time)
    id: str = ""
    priority: int = 0
    kind: str = "chat"
    user_id: str = ""
    amount: float | None = None
    currency: str = ""
    platform_time: float | None = None  # the platform's own timestamp, when it sends one


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Stop speaking now: flushes queued speech; the mouth closes within a few frames."""

    reason: str = "operator"


MAX_HOLD_S = 2.0  # a hold nothing ends plays on after this: the host is never silenced for good


@dataclass(frozen=True, slots=True)
class Hold:
    """Fall silent now but keep the place (someone may be talking over the host); a
    ``Resume`` plays on, an ``Interrupt`` drops it, and after ``max_s`` it plays on by itself."""

    max_s: float = MAX_HOLD_S


@dataclass(frozen=True, slots=True)
class Resume:
    """Play on after a ``Hold``."""
