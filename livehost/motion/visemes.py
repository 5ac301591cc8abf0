"""Phonemes (espeak IPA, as piper reports them) to mouth shapes, blended with co-articulation.

Each phoneme pulls the mouth toward its viseme with a dominance that peaks at its centre and
fades over its neighbours (after Cohen & Massaro's dominance model): lip closures (p b m)
dominate strongly so they are reached; a schwa or /h/ barely, so its neighbours shape it.
Pauses, punctuation and the start/end tokens are closed-mouth visemes, so the mouth shuts in
pauses and after the last phoneme.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from livehost.media.frames import PhonemeTiming


@dataclass(frozen=True, slots=True)
class Viseme:
    jaw: float = 0.0
    width: float = 0.0  # lips spread
    round: float = 0.0
    press: float = 0.0
    dominance: float = 1.0


CLOSED = Viseme(dominance=1.5)
_JUNCTURE = Viseme(jaw=0.08, dominance=0.3)  # a word break: neighbours decide
_TABLE: dict[str, Viseme] = {}


def _add(symbols: str, viseme: Viseme) -> None:
    for symbol in symbols.split():
        _TABLE[symbol] = viseme


_add("p b m", Viseme(jaw=0.02, press=1.0, dominance=4.0))
_add("f v", Viseme(jaw=0.10, width=0.25, press=0.55, dominance=2.5))
_add("θ ð", Viseme(jaw=0.20, width=0.25, dominance=1.5))
_add("t d n ɾ l ɫ", Viseme(jaw=0.22, width=0.25, dominance=0.8))
_add("s z ʦ ʣ", Viseme(jaw=0.10, width=0.5, dominance=1.5))
_add("ʃ ʒ tʃ dʒ ɕ ʑ ʂ ʐ ʨ ʥ ꭧ", Viseme(jaw=0.15, round=0.65, dominance=1.8))
_add("ɹ r ɚ ɝ ɻ", Viseme(jaw=0.22, round=0.4, dominance=1.0))
_add("k g ɡ ŋ x", Viseme(jaw=0.28, width=0.1, dominance=0.6))
_add("h ʔ", Viseme(jaw=0.3, dominance=0.3))
_add("w ʍ", Viseme(jaw=0.10, round=0.95, dominance=2.0))
_add("j ʲ", Viseme(jaw=0.15, width=0.5, dominance=0.8))
_add("i ɪ y ɨ", Viseme(jaw=0.25, width=0.8))
_add("e ɛ eɪ", Viseme(jaw=0.45, width=0.6))
_add("æ", Viseme(jaw=0.70, width=0.6))
_add("a ɑ ɐ ʌ aɪ aʊ", Viseme(jaw=0.85, width=0.3))
_add("ɒ ɔ ɔɪ", Viseme(jaw=0.60, round=0.6))
_add("o oʊ ø", Viseme(jaw=0.45, round=0.8))
_add("u ʊ ɯ", Viseme(jaw=0.20, round=1.0))
_add("ə ɜ ᵻ ɤ", Viseme(jaw=0.35, width=0.2, dominance=0.5))
_add("^ $ _ . , ; : ? ! … 。 ， ！ ？ — -", CLOSED)
_add("SIL sil", CLOSED)

_STRESS = {"ˈ", "ˌ"}  # belongs to the phoneme after it
# belongs to the phoneme before it (the arrows: Kokoro's Mandarin tones, after the syllable)
_LENGTH = {"ː", "ˑ", "̃", "ʰ", "̩", "→", "↗", "↓", "↘"}
_VOWEL_LETTERS = set("aeiouyɑɐɒæɛɪɔʊʌəɜɤɯøœ")
_LONG_PAUSE = 0.12  # a word break this long is a real pause: the lips close


def viseme_of(symbol: str) -> Viseme:
    if symbol in _TABLE:
        return _TABLE[symbol]
    if not symbol.strip():
        return _JUNCTURE
    # Unknown symbol (another language's IPA, tone digits): a vowel-ish or consonant-ish guess.
    if any(ch in _VOWEL_LETTERS for ch in symbol):
        return Viseme(jaw=0.5, width=0.3)
    if any(ch.isalpha() for ch in symbol):
        return Viseme(jaw=0.2, width=0.2, dominance=0.7)
    return CLOSED


@dataclass(frozen=True, slots=True)
class _Segment:
    centre: float
    spread: float  # seconds: how far its dominance reaches
    viseme: Viseme


class VisemeTrack:
    """The blended mouth shape of one speech at any time (seconds from its start)."""

    REACH = 3.0  # segments further than this many spreads away do not count

    def __init__(self, phonemes: tuple[PhonemeTiming, ...]) -> None:
        self.segments = _segments(phonemes)
        self._centres = [s.centre for s in self.segments]
        self._max_spread = max((s.spread for s in self.segments), default=0.0)

    def at(self, t: float) -> tuple[float, float, float, float]:
        """(jaw, width, round, press) blended at ``t``."""
        reach = self.REACH * self._max_spread
        lo = bisect.bisect_left(self._centres, t - reach)
        hi = bisect.bisect_right(self._centres, t + reach)
        total = jaw = width = rnd = press = 0.0
        for seg in self.segments[lo:hi]:
            u = (t - seg.centre) / seg.spread
            if u * u > self.REACH * self.REACH:
                continue
            w = seg.viseme.dominance * math.exp(-u * u)
            v = seg.viseme
            total += w
            jaw += w * v.jaw
            width += w * v.width
            rnd += w * v.round
            press += w * v.press
        if total < 1e-4:
            return (0.0, 0.0, 0.0, 0.0)
        return (jaw / total, width / total, rnd / total, press / total)


def _segments(phonemes: tuple[PhonemeTiming, ...]) -> list[_Segment]:
    """Fold stress and length marks into their phonemes, then one segment per phoneme."""
    spans: list[list] = []  # [symbol, start, end]
    carry_start: float | None = None
    for ph in phonemes:
        if ph.phoneme in _STRESS:
            carry_start = ph.start if carry_start is None else carry_start
            continue
        if ph.phoneme in _LENGTH and spans:
            spans[-1][2] = ph.end
            continue
        start = ph.start if carry_start is None else carry_start
        carry_start = None
        symbol = ph.phoneme
        if not symbol.strip() and ph.end - ph.start >= _LONG_PAUSE:
            symbol = "_"
        spans.append([symbol, start, ph.end])
    segments = []
    for symbol, start, end in spans:
        duration = max(end - start, 0.01)
        # A Gaussian whose bulk spans the phoneme, with a floor so short ones still blend.
        segments.append(_Segment((start + end) / 2, max(0.45 * duration, 0.025), viseme_of(symbol)))
    return segments
