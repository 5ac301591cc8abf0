"""Speech recognition: faster-whisper (CTranslate2, int8) on the packaged Whisper tiny.en, or
any CTranslate2 Whisper folder a user gives. Decoding happens while its segments generator is
iterated, so ``transcribe`` iterates it fully — call it from a worker thread."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livehost import models
from livehost.errors import LivehostError

from .vad import SAMPLE_RATE

log = logging.getLogger(__name__)

# What Whisper says on noise, music or silence when it has nothing: never a user's turn.
_HALLUCINATIONS = frozenset({
    "", "you", "thank you", "thanks for watching", "thank you for watching", "bye", "okay",
    "please subscribe", "thanks", "so", "the", "oh", "uh", "um", "hmm"})


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str
    no_speech: float  # Whisper's probability that there was no speech
    logprob: float  # mean token log-probability (confidence)
    seconds: float  # audio length

    @property
    def usable(self) -> bool:
        """Worth answering: words, not a noise hallucination."""
        folded = "".join(c for c in self.text.casefold() if c.isalnum() or c.isspace()).strip()
        if folded in _HALLUCINATIONS:
            return False
        return not (self.no_speech > 0.6 and self.logprob < -1.0)


def whisper_folder(model: str | Path | None = None) -> Path:
    """The CTranslate2 folder for ``model``: None for the packaged tiny.en, a packaged model's
    name (``whisper-base``: multilingual), else a folder."""
    if model is None or str(model) in models.MODELS:
        path = models.resolve(str(model or "whisper-tiny-en")).path
        return path.parent if path.is_file() else path
    folder = Path(model).expanduser()
    if not (folder / "model.bin").is_file():
        raise LivehostError(f"asr model {str(folder)!r}: not a CTranslate2 Whisper folder (no model.bin)")
    return folder


def load_whisper(model: str | Path | None = None, threads: int = 1):
    from faster_whisper import WhisperModel

    folder = whisper_folder(model)
    try:
        return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads,
                            local_files_only=True)
    except Exception as exc:
        raise LivehostError(f"asr model {str(folder)!r} does not load: {exc}") from None


def window_frames(frames: int) -> int:
    """The encoder window for ``frames`` mel frames (100 a second): the speech plus 3 s of
    silence, at least 10 s, at most Whisper's 30 s. CTranslate2 encodes a short window in a
    fraction of the time of the 30 s one Whisper pads to (0.11 s vs 0.73 s for 10 s here) and
    the words came out the same on every recording in the test data; windows under 10 s made
    it repeat itself now and then."""
    return min(3000, max(1000, math.ceil((frames + 500) / 100) * 100))


_CLAUSE = re.compile(r"[^.?!,;…]+[.?!,;…]*")


def collapse_repeats(text: str) -> str:
    """Whisper sometimes says a clause twice ("if the reader will excuse me, If the reader
    will excuse me..."): a clause equal to the one before it (case and punctuation aside) goes."""
    kept, last = [], None
    for clause in _CLAUSE.findall(text):
        words = re.findall(r"\w+", clause.casefold())
        if words and words == last:
            continue
        kept.append(clause)
        last = words or last
    return "".join(kept).strip()


class SpeechRecognizer:
    """One utterance at a time (a turn is under 30 s), decoded greedily."""

    def __init__(self, model: str | Path | None = None, language: str | None = "en",
                 threads: int = 2) -> None:
        from faster_whisper.tokenizer import Tokenizer

        self.language = language
        self._model = load_whisper(model, threads)
        multilingual = self._model.model.is_multilingual
        # An English-only model must not be asked for another language.
        if not multilingual and language not in (None, "en"):
            raise LivehostError(f"asr: the model is English-only; language {language!r} needs a multilingual one")
        self._tokenizer = Tokenizer(self._model.hf_tokenizer, multilingual, task="transcribe",
                                    language=(language or "en") if multilingual else None)

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """``audio``: float32 mono at 16 kHz, at most 30 s. ``prompt``: words likely to be
        said (product names), which Whisper then spells right."""
        import ctranslate2

        audio = audio.astype(np.float32, copy=False)[: 30 * SAMPLE_RATE]
        features = self._model.feature_extractor(audio)[:, :-1]
        window = np.zeros((features.shape[0], window_frames(features.shape[1])), np.float32)
        used = min(features.shape[1], window.shape[1])
        window[:, :used] = features[:, :used]
        encoded = self._model.model.encode(ctranslate2.StorageView.from_array(window[None]), to_cpu=False)
        tokens = self._model.get_prompt(self._tokenizer, [], without_timestamps=True, hotwords=prompt)
        result = self._model.model.generate(
            encoded, [tokens], beam_size=1, max_length=min(224, 40 + int(len(audio) / SAMPLE_RATE * 8)),
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=[-1], repetition_penalty=1.1, no_repeat_ngram_size=4)[0]
        ids = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = collapse_repeats(self._tokenizer.decode(ids))
        logprob = result.scores[0] if result.scores else -10.0  # CTranslate2: length-normalised
        return Transcript(text, self.language or "en", float(result.no_speech_prob), float(logprob),
                          len(audio) / SAMPLE_RATE)
    def warm_up(self) -> None:
        """The first call pays for allocations: pay it before anyone speaks."""
        self.transcribe(np.zeros(SAMPLE_RATE // 2, np.float32))
