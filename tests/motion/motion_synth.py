"""Synthetic speech with exact phoneme timings, and the real render loop ticked by hand on
its media clock (deterministic, as under the ManualClock pacer): motion tests run in
milliseconds, with no TTS model."""

from __future__ import annotations

import numpy as np

from livehost.loop import RenderLoop
from livehost.media.clock import MediaClock
from livehost.media.frames import AVTick, PhonemeTiming, Sentence, SentenceKind, Speech
from livehost.media.timeline import SpeechTimeline
from livehost.motion.expressive import ExpressiveMotion
from livehost.motion.styles import load_style
from livehost.voice.timing import words_from_phonemes, words_of

SR, FPS = 48_000, 25
DT = 1.0 / FPS

# Each word: a lip closure, a stressed open vowel, a stop. Durations in seconds.
_WORD = (("m", 0.06, "buzz", 0.25), ("ˈ", 0.02, "buzz", 0.6), ("a", 0.14, "buzz", 1.0), ("t", 0.06, "noise", 0.15))


def make_speech(sentence: Sentence, f0=(120.0, 120.0), pause_after: int | None = None,
                timings: bool = True, seed: int = 0) -> Speech:
    """``pause_after``: a 0.4 s pause after that word index. ``f0``: start and end pitch."""
    rng = np.random.default_rng(seed)
    tokens = [("^", 0.05, "silence", 0.0)]
    for i, _ in enumerate(words_of(sentence.text)):
        if i:
            tokens.append((" ", 0.4 if pause_after == i - 1 else 0.04, "silence", 0.0))
        tokens += _WORD
    tokens += [(".", 0.06, "silence", 0.0), ("$", 0.04, "silence", 0.0)]
    phonemes, parts = [], []
    total = sum(d for _, d, _, _ in tokens)
    for symbol, duration, source, gain in tokens:
        n = int(round(duration * SR))
        start = sum(len(p) for p in parts) / SR
        times = start + np.arange(n) / SR
        if source == "buzz":
            freq = f0[0] + (f0[1] - f0[0]) * times / total
            phase = 2 * np.pi * np.cumsum(freq) / SR
            audio = gain * 0.3 * np.sign(np.sin(phase)) * np.hanning(n) ** 0.1
        elif source == "noise":
            audio = gain * 0.3 * rng.normal(0, 0.5, n)
        else:
            audio = np.zeros(n)
        parts.append(audio.astype(np.float32))
        phonemes.append(PhonemeTiming(symbol, start, start + n / SR))
    pcm = np.concatenate(parts).astype(np.float32)
    phonemes = tuple(phonemes)
    if not timings:
        return Speech(sentence, pcm, SR)
    return Speech(sentence, pcm, SR, phonemes, words_from_phonemes(sentence.text, phonemes))


def sentence(text: str, kind=SentenceKind.STATEMENT, emotion="neutral", emphasis=(), intensity=0.5) -> Sentence:
    return Sentence(text, emotion=emotion, kind=kind, emphasis=tuple(emphasis), intensity=intensity)


class _Blank:
    size = (16, 16)

    def render(self, state):
        return np.zeros((16, 16, 3), np.uint8)


class _Collect:
    name = "collect"

    def __init__(self):
        self.ticks: list[AVTick] = []

    def offer(self, tick):
        self.ticks.append(tick)


def render(speeches, seconds: float, motion: ExpressiveMotion | None = None, style="friendly",
           seed=0, before=None) -> tuple[list[AVTick], ExpressiveMotion]:
    """Play ``speeches`` back to back from t=0 and tick for ``seconds``. ``before(loop, i)``
    runs before tick ``i`` (to interrupt, toggle listening, switch style...)."""
    motion = motion or ExpressiveMotion(load_style(style), FPS, seed=seed)
    clock, timeline, sink = MediaClock(SR, FPS), SpeechTimeline(SR), _Collect()
    for speech in speeches:
        timeline.push(speech)
    loop = RenderLoop(clock, timeline, motion, _Blank(), [sink])
    for i in range(int(round(seconds * FPS))):
        if before is not None:
            before(loop, i)
        loop.tick()
    return sink.ticks, motion


def track(ticks, name: str) -> np.ndarray:
    return np.array([getattr(t.face, name) for t in ticks])


def times(ticks) -> np.ndarray:
    return np.array([t.t for t in ticks])
