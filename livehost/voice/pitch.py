"""Pitch shift without a duration change, for engines with a speed knob: synthesize slower by
the pitch factor, then play back faster by the same factor (formants move with the pitch,
which is what a different, higher or lower, voice sounds like)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livehost.media.audio import resample


@dataclass(frozen=True, slots=True)
class PitchShift:
    semitones: float = 0.0

    @property
    def factor(self) -> float:
        return 2.0 ** (self.semitones / 12.0)

    def synthesis_speed(self, rate: float) -> float:
        """The engine speed that yields ``rate`` once played back faster by the factor."""
        return rate / self.factor

    def playback_rate(self, sample_rate: int) -> int:
        """The rate at which the engine's samples are heard; timings are relative to it."""
        return round(sample_rate * self.factor)

    def apply(self, pcm: np.ndarray, sample_rate: int) -> np.ndarray:
        """``pcm`` heard at the playback rate, resampled back to ``sample_rate``."""
        return resample(pcm, self.playback_rate(sample_rate), sample_rate)
