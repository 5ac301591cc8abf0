"""Is the speech intelligible? Whisper (tiny.en, CTranslate2) transcribes it, and the word
error rate against the text that was meant says how well."""

from __future__ import annotations

import re

import numpy as np

from livehost.media.audio import resample

_NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SPELLING = {"litre": "liter", "colour": "color", "favourite": "favorite", "okay": "ok", "centre": "center"}


def _number_words(token: str) -> list[str]:
    n = int(token)
    if n < 20:
        return [_NUMBERS[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_NUMBERS[n % 10]] if n % 10 else [])
    return [token]


def normalize(text: str) -> list[str]:
    """Lower case, no punctuation, small numbers spelled out, one spelling per word."""
    words = []
    for token in re.findall(r"[a-z0-9']+", text.lower().replace("-", " ")):
        token = token.strip("'")
        words += _number_words(token) if token.isdigit() else [_SPELLING.get(token, token)]
    return [w for w in words if w]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference word count)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    errors, count = word_errors(reference, hypothesis)
    return errors / max(count, 1)


class Transcriber:
    def __init__(self, threads: int = 1) -> None:
        from livehost.listen.asr import load_whisper

        self._model = load_whisper(threads=threads)

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        audio = resample(pcm, sample_rate, 16000)
        segments, _ = self._model.transcribe(audio, language="en", beam_size=1,
                                             condition_on_previous_text=False, vad_filter=False)
        return " ".join(s.text.strip() for s in segments)  # decoding happens while iterating
