"""Piper (VITS, ONNX): the embedded voice. Fast on one core, and it reports how many samples
each phoneme took, which is exactly what lip-sync needs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.media.frames import PhonemeTiming

from .base import SynthChunk
from .pitch import PitchShift

log = logging.getLogger(__name__)


class PiperEngine:
    """``rate`` > 1 speaks faster; ``pitch`` shifts by semitones while keeping the duration."""

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
        self._pitch = PitchShift(pitch)
        base = self._voice.config.length_scale
        self._syn = SynthesisConfig(length_scale=base / self._pitch.synthesis_speed(rate))

    def synthesize(self, text: str) -> Iterator[SynthChunk]:
        for chunk in self._voice.synthesize(text, self._syn, include_alignments=True):
            pcm = chunk.audio_float_array.astype(np.float32)
            # Timings are computed against the playback rate: nothing else to scale.
            heard = self._pitch.playback_rate(chunk.sample_rate)
            phonemes = _phoneme_timings(chunk.phoneme_alignments or (), heard)
            pcm = self._pitch.apply(pcm, chunk.sample_rate)
            yield SynthChunk(pcm=pcm, sample_rate=chunk.sample_rate, phonemes=phonemes)


def _phoneme_timings(alignments, sample_rate: int) -> tuple[PhonemeTiming, ...]:
    timings, pos = [], 0
    for a in alignments:
        n = int(a.num_samples)
        timings.append(PhonemeTiming(a.phoneme, pos / sample_rate, (pos + n) / sample_rate))
        pos += n
    return tuple(timings)
