"""Piper (VITS, ONNX): the embedded voice. Fast on one core, and it reports how many samples
each phoneme took, which is exactly what lip-sync needs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.media.audio import resample
from livehost.media.frames import PhonemeTiming

from .base import SynthChunk

log = logging.getLogger(__name__)


class PiperEngine:
    """``rate`` > 1 speaks faster; ``pitch`` shifts by semitones while keeping the duration
    (synthesize slower by the pitch factor, then play it back faster by the same factor)."""

    name = "piper"

    def __init__(self, model_path: Path, rate: float = 1.0, pitch: float = 0.0) -> None:
        from piper import PiperVoice, SynthesisConfig

        config_path = Path(f"{model_path}.json")
        if not config_path.is_file():
            raise LivehostError(
                f"piper voice {model_path} has no config beside it (expected {config_path})"
            )
        try:
            self._voice = PiperVoice.load(model_path, include_alignments=True)
        except Exception as exc:  # onnxruntime and json errors name nothing useful alone
            raise LivehostError(f"cannot load piper voice {model_path}: {exc}") from exc
        self._pitch_factor = 2.0 ** (pitch / 12.0)
        base = self._voice.config.length_scale
        self._syn = SynthesisConfig(length_scale=base * self._pitch_factor / rate)
        self.native_rate = self._voice.config.sample_rate

    def synthesize(self, text: str) -> Iterator[SynthChunk]:
        for chunk in self._voice.synthesize(text, self._syn, include_alignments=True):
            pcm = chunk.audio_float_array.astype(np.float32)
            # Playing back at rate*factor raises the pitch; timings shrink by the same factor.
            rate = int(round(chunk.sample_rate * self._pitch_factor))
            phonemes = _phoneme_timings(chunk.phoneme_alignments or (), rate)
            if rate != chunk.sample_rate:
                pcm, rate = resample(pcm, rate, chunk.sample_rate), chunk.sample_rate
                # Timings were computed against the shifted rate: nothing else to scale.
            yield SynthChunk(pcm=pcm, sample_rate=rate, phonemes=phonemes)


def _phoneme_timings(alignments, sample_rate: int) -> tuple[PhonemeTiming, ...]:
    timings, pos = [], 0
    for a in alignments:
        n = int(a.num_samples)
        timings.append(PhonemeTiming(a.phoneme, pos / sample_rate, (pos + n) / sample_rate))
        pos += n
    return tuple(timings)
