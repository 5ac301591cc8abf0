"""Speaking rate and pitch of speech, so a cloned voice can match the reference's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livehost.media.audio import resample

_RATE = 16000
_HOP = 160


@dataclass(frozen=True, slots=True)
class Pitch:
    median_st: float  # semitones above 55 Hz
    range_st: float  # 10th to 90th percentile, semitones

    def distance(self, other: Pitch) -> float:
        return abs(self.median_st - other.median_st) + 0.5 * abs(self.range_st - other.range_st)


def pitch(pcm: np.ndarray, sample_rate: int) -> Pitch | None:
    """F0 statistics over the voiced, loud frames (YIN); None when nothing is voiced."""
    import librosa

    audio = resample(pcm, sample_rate, _RATE)
    if len(audio) < 2048:
        return None
    f0 = librosa.yin(audio, fmin=60, fmax=500, sr=_RATE, frame_length=1024, hop_length=_HOP)
    energy = librosa.feature.rms(y=audio, frame_length=1024, hop_length=_HOP)[0][: len(f0)]
    voiced = f0[(energy > 0.3 * np.median(energy[energy > 0]) if np.any(energy > 0) else False) & (f0 < 480) & (f0 > 62)]
    if len(voiced) < 10:
        return None
    semis = 12 * np.log2(voiced / 55.0)
    p10, p50, p90 = np.percentile(semis, [10, 50, 90])
    return Pitch(float(p50), float(p90 - p10))


def phoneme_rate(phoneme_count: int, speech_seconds: float) -> float:
    """Phonemes per second of speech (pauses excluded)."""
    return phoneme_count / max(speech_seconds, 1e-6)
