"""A voice measure independent of the speaker encoder: F0 statistics and the long-term
spectral envelope (mean MFCCs over the loud frames), so a clone is not judged by one network
alone, which a search can learn to fool.

The envelope distance is the RMS difference of MFCCs 1-12 (c0, loudness, left out): about
the dB-like spread of the two voices' average spectral shapes. Reverb and microphones tilt
the reference's envelope too, so the distance is compared between candidates, not read as an
absolute figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livehost.media.audio import resample

from .prosody import Pitch, pitch

_RATE = 16000
_COEFFS = 13
_LOUD_DB = -30.0  # frames within this of the loudest carry the voice; the rest is pause and tail


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    pitch: Pitch | None
    envelope: np.ndarray  # mean MFCCs 1..12 of the loud frames

    def envelope_distance(self, other: VoiceProfile) -> float:
        return float(np.sqrt(np.mean((self.envelope - other.envelope) ** 2)))

    def pitch_offset(self, other: VoiceProfile) -> float | None:
        """Semitones ``other`` lies above this profile (None when either has no pitch)."""
        if self.pitch is None or other.pitch is None:
            return None
        return other.pitch.median_st - self.pitch.median_st


def envelope(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    import librosa

    audio = resample(pcm, sample_rate, _RATE)
    mfcc = librosa.feature.mfcc(y=audio, sr=_RATE, n_mfcc=_COEFFS, n_fft=512, hop_length=160, n_mels=40)
    level = librosa.amplitude_to_db(librosa.feature.rms(y=audio, frame_length=512, hop_length=160)[0], ref=np.max)
    loud = level[: mfcc.shape[1]] > _LOUD_DB
    return mfcc[1:, loud].mean(axis=1) if loud.any() else mfcc[1:].mean(axis=1)


def profile(pcm: np.ndarray, sample_rate: int) -> VoiceProfile:
    return VoiceProfile(pitch(pcm, sample_rate), envelope(pcm, sample_rate))
