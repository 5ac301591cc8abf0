"""Is the speech intelligible? Whisper (tiny.en, CTranslate2; the multilingual base for
Chinese) transcribes it, and the word error rate (characters for Chinese) against the text
that was meant says how well."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from livehost.media.audio import resample

_NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
# One spelling per word; titles as they are said (Whisper writes "Mr.", LibriSpeech "mister").
_SPELLING = {"litre": "liter", "colour": "color", "favourite": "favorite", "okay": "ok", "centre": "center",
             "mr": "mister", "mrs": "missus", "dr": "doctor"}


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


def _edits(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference word count)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    return _edits(ref, hyp), len(ref)


_DIGITS = re.compile(r"\d+(?:\.\d+)?")


@lru_cache(maxsize=1)
def _simplified():
    import opencc

    return opencc.OpenCC("t2s")


def hanzi(text: str) -> list[str]:
    """The Chinese characters of ``text`` in simplified script, Arabic numbers read out as
    characters (Whisper writes 34 where the text said 三十四, and 們 for 们 now and then)."""
    import cn2an

    text = _simplified().convert(_DIGITS.sub(lambda m: cn2an.an2cn(m.group(), "low"), text))
    return [c for c in text if "\u4e00" <= c <= "\u9fff"]


def character_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in Chinese characters, reference character count)."""
    ref = hanzi(reference)
    return _edits(ref, hanzi(hypothesis)), len(ref)


def character_error_rate(reference: str, hypothesis: str) -> float:
    errors, count = character_errors(reference, hypothesis)
    return errors / max(count, 1)


def word_error_rate(reference: str, hypothesis: str) -> float:
    errors, count = word_errors(reference, hypothesis)
    return errors / max(count, 1)


# Whisper writes Mandarin in traditional or simplified characters as it likes; a simplified
# prompt keeps it to the script the texts are written in.
_PROMPTS = {"zh": "以下是普通话的句子。"}


class Transcriber:
    def __init__(self, threads: int = 1, language: str = "en") -> None:
        from livehost.listen.asr import load_whisper

        self.language = language
        self._model = load_whisper("whisper-base" if language != "en" else None, threads=threads)

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        audio = resample(pcm, sample_rate, 16000)
        segments, _ = self._model.transcribe(audio, language=self.language, beam_size=1,
                                             initial_prompt=_PROMPTS.get(self.language),
                                             condition_on_previous_text=False, vad_filter=False)
        return " ".join(s.text.strip() for s in segments)  # decoding happens while iterating
