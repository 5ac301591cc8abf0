"""Turn-taking: from per-frame speech probabilities to "someone started talking", "they paused"
and "their turn is over". A pure state machine on sample counts — no clock, no threads — so
every timing rule is tested by pushing frames in.

A turn ends after ``end_silence_s`` of silence, or ``unfinished_silence_s`` when the words so
far sound unfinished (a trailing "and", "so", a comma...). Speech shorter than
``min_speech_s`` is a false start (a cough, a click, a door): it makes no turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from livehost.sources.classify import is_question

from .vad import FRAME, SAMPLE_RATE

Seconds = Annotated[float, Field(ge=0, le=120)]
Probability = Annotated[float, Field(gt=0, lt=1)]


class TurnConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: Probability = 0.5  # speech starts above it...
    off_threshold: Probability = 0.35  # ...and goes on while above this (hysteresis)
    min_speech_s: Seconds = 0.25  # less voiced time than this is a false start, not a turn
    end_silence_s: Seconds = 0.3  # peers use 0.2-0.55 s
    unfinished_silence_s: Seconds = 0.9  # after "... and", "so", a comma
    max_turn_s: Annotated[float, Field(gt=1, le=120)] = 20.0
    pre_roll_s: Seconds = 0.2  # audio kept from before the onset (VAD reacts a frame late)


@dataclass(frozen=True, slots=True)
class Onset:
    """Voiced for ``voiced_s`` so far in turn ``turn`` (sent on every voiced frame)."""

    turn: int
    voiced_s: float
    start: int  # sample index where the speech began


@dataclass(frozen=True, slots=True)
class Pause:
    """The speaker went quiet with enough speech for a turn: a good moment to transcribe
    ``audio`` already — if the turn ends here, the transcript is ready sooner."""

    turn: int
    audio: np.ndarray
    end: int  # sample index of the end of the last voiced frame


@dataclass(frozen=True, slots=True)
class TurnEnd:
    turn: int
    audio: np.ndarray  # float32 16 kHz, pre-roll included
    start: int  # sample indexes of the speech (without pre-roll)
    end: int
    forced: bool = False  # cut at max_turn_s


@dataclass(frozen=True, slots=True)
class FalseStart:
    turn: int
    voiced_s: float


TurnEvent = Onset | Pause | TurnEnd | FalseStart

_UNFINISHED_WORDS = frozenset((
    "and", "or", "but", "so", "because", "cause", "if", "then", "that", "which", "who", "with", "to",
    "of", "for", "the", "a", "an", "my", "your", "um", "uh", "er", "like", "well", "also", "plus",
    "than"))
_UNFINISHED_ZH = ("和", "还有", "然后", "所以", "但是", "因为", "就是", "那个", "的话")
_LAST_WORD = re.compile(r"([a-z']+)\W*$")


def sounds_unfinished(text: str) -> bool:
    """A cheap turn-end rule on a transcript: does it stop mid-phrase?"""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.endswith((",", "，", "、", "...", "…", "-", "—")):
        # Whisper ends a question cut short by silence with a comma as often as not: a
        # complete question is finished whatever its last mark
        return not is_question(stripped.rstrip(",，、.…-— ")) or _ends_unfinished_word(stripped)
    if stripped.endswith(_UNFINISHED_ZH):
        return True
    return not stripped.endswith((".", "?", "!")) and _ends_unfinished_word(stripped)


def _ends_unfinished_word(text: str) -> bool:
    last = _LAST_WORD.search(text.casefold())
    return bool(last) and last.group(1) in _UNFINISHED_WORDS


class TurnDetector:
    """Feed ``push(frame, probability)`` with consecutive 512-sample frames; each call returns
    the events that frame caused. ``unfinished`` (set by the listener from the latest
    transcript) stretches the silence that ends the turn."""

    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config = config or TurnConfig()
        self.unfinished = False
        self._samples = 0  # samples pushed so far
        self._pre_roll: list[np.ndarray] = []
        self._pre_frames = max(1, round(config.pre_roll_s * SAMPLE_RATE / FRAME))
        self._turn = 0
        self._frames: list[np.ndarray] | None = None  # the current turn's audio, None when silent
        self._start = self._voiced_end = 0
        self._voiced = self._silence = 0  # frames
        self._paused = False

    @property
    def in_speech(self) -> bool:
        return self._frames is not None

    @property
    def turn(self) -> int:
        return self._turn

    def push(self, frame: np.ndarray, probability: float, threshold: float | None = None) -> list[TurnEvent]:
        """``threshold`` overrides the start threshold for this frame (ducking while the host
        speaks)."""
        cfg = self.config
        self._samples += FRAME
        if self._frames is None:
            if probability < (threshold if threshold is not None else cfg.threshold):
                self._pre_roll.append(frame)
                del self._pre_roll[:-self._pre_frames]
                return []
            self._turn += 1
            self._frames = [*self._pre_roll, frame]
            self._pre_roll = []
            self._start = self._samples - FRAME
            self._voiced, self._silence, self._paused, self.unfinished = 0, 0, False, False
        else:
            self._frames.append(frame)
        events: list[TurnEvent] = []
        if probability >= cfg.off_threshold:
            self._voiced += 1
            self._silence = 0
            self._paused = False
            self._voiced_end = self._samples
            events.append(Onset(self._turn, self._voiced * FRAME / SAMPLE_RATE, self._start))
        else:
            self._silence += 1
        voiced_s = self._voiced * FRAME / SAMPLE_RATE
        silence_s = self._silence * FRAME / SAMPLE_RATE
        enough = voiced_s >= cfg.min_speech_s
        if self._silence and enough and not self._paused:
            self._paused = True
            events.append(Pause(self._turn, self._audio_until(self._voiced_end), self._voiced_end))
        needed = cfg.unfinished_silence_s if self.unfinished else cfg.end_silence_s
        if self._silence and silence_s >= needed:
            events.append(self._end() if enough else self._false_start(voiced_s))
        elif (self._samples - self._start) / SAMPLE_RATE >= cfg.max_turn_s:
            events.append(self._end(forced=True))
        return events

    def audio(self) -> np.ndarray:
        """The turn in progress so far (pre-roll included); empty when silent."""
        return np.zeros(0, np.float32) if self._frames is None else np.concatenate(self._frames)

    def reset(self) -> None:
        """Forget the turn in progress (the mic went away)."""
        self._frames, self._pre_roll = None, []

    def _audio_until(self, end: int) -> np.ndarray:
        audio = np.concatenate(self._frames)
        return audio[: len(audio) - (self._samples - end)]

    def _end(self, forced: bool = False) -> TurnEnd:
        end = self._samples if forced else self._voiced_end
        event = TurnEnd(self._turn, self._audio_until(end), self._start, end, forced)
        self._frames = None
        return event

    def _false_start(self, voiced_s: float) -> FalseStart:
        self._frames = None
        return FalseStart(self._turn, voiced_s)
