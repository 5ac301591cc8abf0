"""Speaking rate and pitch of speech, so a cloned voice can match the reference's.

Pitch is pyin's F0 over the voiced frames, made robust for real recordings: noise, babble
and reverb make pyin jump an octave (a subharmonic at half the F0, another voice or a
harmonic at twice it). Those frames lie ~12 semitones from the speaker's own cluster, so
the cluster is found first (the densest 6-semitone window) and frames about a whole number of
octaves away are folded back onto it; what is otherwise far from it is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livehost.media.audio import resample

_RATE = 16000
_HOP = 256  # 16 ms: pyin's cost is per frame, and F0 statistics need no finer steps
_FMIN, _FMAX = 50.0, 600.0
_CLUSTER_ST = 6.0  # width of the window that finds the speaker's own F0 cluster
_KEEP_ST = 9.0  # frames further than this from the cluster are octave errors or noise
_OCTAVE_ST = 3.0  # how near a whole number of octaves off a frame must be to be folded back


@dataclass(frozen=True, slots=True)
class Pitch:
    median_st: float  # semitones above 55 Hz
    range_st: float  # 10th to 90th percentile, semitones

    @property
    def median_hz(self) -> float:
        return 55.0 * 2.0 ** (self.median_st / 12.0)

    def distance(self, other: Pitch) -> float:
        return abs(self.median_st - other.median_st) + 0.5 * abs(self.range_st - other.range_st)


def f0_semitones(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """F0 of the voiced frames, semitones above 55 Hz, octave errors folded (may be empty)."""
    import librosa

    audio = resample(pcm, sample_rate, _RATE)
    if len(audio) < 2048:
        return np.zeros(0)
    f0, voiced, _ = librosa.pyin(audio, fmin=_FMIN, fmax=_FMAX, sr=_RATE, frame_length=1024, hop_length=_HOP)
    semis = 12 * np.log2(f0[voiced & np.isfinite(f0)] / 55.0)
    return fold_octaves(semis)


def fold_octaves(semis: np.ndarray) -> np.ndarray:
    if len(semis) == 0:
        return semis
    ordered = np.sort(semis)
    # the densest window: for each frame, how many lie within the window above it
    counts = np.searchsorted(ordered, ordered + _CLUSTER_ST) - np.arange(len(ordered))
    start = int(np.argmax(counts))
    centre = float(np.median(ordered[start: start + counts[start]]))
    off = semis - centre
    octaves = np.round(off / 12)
    octave_error = (np.abs(off) > _KEEP_ST) & (np.abs(off - 12 * octaves) <= _OCTAVE_ST)
    folded = semis - 12 * octaves * octave_error
    return folded[np.abs(folded - centre) <= _KEEP_ST]


def pitch(pcm: np.ndarray, sample_rate: int) -> Pitch | None:
    """F0 statistics of speech; None when too little of it is voiced."""
    semis = f0_semitones(pcm, sample_rate)
    if len(semis) < 10:
        return None
    p10, p50, p90 = np.percentile(semis, [10, 50, 90])
    return Pitch(float(p50), float(p90 - p10))


def phoneme_rate(phoneme_count: int, speech_seconds: float) -> float:
    """Phonemes per second of speech (pauses excluded)."""
    return phoneme_count / max(speech_seconds, 1e-6)
