"""Speech recognition: faster-whisper (CTranslate2, int8) on the packaged Whisper tiny.en, or
any CTranslate2 Whisper folder a user gives. Decoding happens while its segments generator is
iterated, so ``transcribe`` iterates it fully — call it from a worker thread."""

from __future__ import annotations

import logging
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
    """The CTranslate2 folder for ``model``: None for the packaged tiny.en, else a folder."""
    if model is None:
        path = models.resolve("whisper-tiny-en").path
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


class SpeechRecognizer:
    def __init__(self, model: str | Path | None = None, language: str | None = "en",
                 threads: int = 2) -> None:
        self.language = language
        self._model = load_whisper(model, threads)
        # An English-only model must not be asked for another language.
        if not self._model.model.is_multilingual and language not in (None, "en"):
            raise LivehostError(f"asr: the model is English-only; language {language!r} needs a multilingual one")

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """``audio``: float32 mono at 16 kHz. ``prompt``: words likely to be said (product
        names), which Whisper then spells right."""
        segments, info = self._model.transcribe(
            audio.astype(np.float32, copy=False), language=self.language, beam_size=1,
            condition_on_previous_text=False, vad_filter=False, without_timestamps=True,
            initial_prompt=prompt or None)
        parts = list(segments)  # the decoding runs here
        text = " ".join(p.text.strip() for p in parts).strip()
        no_speech = max((p.no_speech_prob for p in parts), default=1.0)
        logprob = float(np.mean([p.avg_logprob for p in parts])) if parts else -10.0
        return Transcript(text, info.language, no_speech, logprob, len(audio) / SAMPLE_RATE)

    def warm_up(self) -> None:
        """The first call pays for allocations: pay it before anyone speaks."""
        self.transcribe(np.zeros(SAMPLE_RATE // 2, np.float32))
