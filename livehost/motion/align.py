"""Timings for speech whose engine gave none: segment the audio itself into silence, voiced
(vowel-like, open) and unvoiced (fricative-like, narrow) stretches, and spread the words over
the voiced span. Coarser than real phonemes, but the mouth opens on sound and shuts in pauses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from livehost.media.frames import PhonemeTiming, Speech
from livehost.voice.timing import spread_words, words_of

from .analysis import HOP, SpeechAnalysis, analyze

_MIN_RUN = 3  # frames (30 ms): shorter runs join their neighbour


def ensure_timings(speech: Speech, analysis: SpeechAnalysis | None = None) -> Speech:
    """``speech`` with phoneme and word timings: the engine's, else aligned from its audio.
    The channel runs this in the voice thread, so the render loop and the trace get timings
    for every engine."""
    if speech.phonemes:
        return speech
    return align_from_audio(speech, analysis or analyze(speech.pcm, speech.sample_rate))


def align_from_audio(speech: Speech, analysis: SpeechAnalysis) -> Speech:
    labels = np.where(
        analysis.level < 0.2, 0, np.where(analysis.voiced, np.where(analysis.level > 0.75, 2, 1), 3)
    )
    runs = _runs(labels)
    symbol = {0: "_", 1: "ə", 2: "a", 3: "s"}
    phonemes = tuple(
        PhonemeTiming(symbol[label], start * HOP, min(end * HOP, speech.duration))
        for label, start, end in runs
    )
    sounding = [p for p in phonemes if p.phoneme != "_"]
    words = ()
    if sounding:
        words = spread_words(words_of(speech.sentence.text), sounding[0].start, sounding[-1].end)
    return replace(speech, phonemes=phonemes, words=words)


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, start frame, end frame) runs, short ones merged into the run before them."""
    if labels.size == 0:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [labels.size]))
    runs: list[list[int]] = []
    for start, end in zip(starts, ends):
        label = int(labels[start])
        if runs and (end - start < _MIN_RUN or runs[-1][0] == label):
            runs[-1][2] = int(end)
        else:
            runs.append([label, int(start), int(end)])
    return [(label, start, end) for label, start, end in runs]
