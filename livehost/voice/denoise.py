"""Stationary noise out of a reference clip before its voice is measured: a Wiener-style
spectral gain from the noise spectrum heard where nobody speaks, and the speech-to-noise
ratio that says whether a clone can come close.

Only what stays the same over the clip (hum, fans, room tone, steady babble) can be taken
out this way; reverb and passing noises stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FFT = 512
_HOP = 128
_FLOOR = 0.1  # the least gain (-20 dB): a deeper cut leaves "musical" noise that sounds like a voice
_OVERSUBTRACT = 1.5
_MIN_NOISE_FRAMES = 20  # ~0.16 s at 16 kHz; fewer: the quietest frames of the clip stand in


@dataclass(frozen=True, slots=True)
class Denoised:
    pcm: np.ndarray
    snr_db: float  # speech power over noise power, in the speech frames


def _speech_frames(mask: np.ndarray, count: int) -> np.ndarray:
    """Which STFT frames (centred, ``_FFT`` wide) hold any speech sample: a noise frame must
    hold none, or the voice's onsets leak into the noise estimate."""
    touched = np.concatenate([[0], np.cumsum(mask)])
    centres = np.arange(count) * _HOP
    lo, hi = np.clip(centres - _FFT // 2, 0, len(mask)), np.clip(centres + _FFT // 2, 0, len(mask))
    return touched[hi] - touched[lo] > 0


def denoise(pcm: np.ndarray, speech: np.ndarray) -> Denoised:
    """``pcm`` (16 kHz float32) with its stationary noise reduced; ``speech`` marks the
    samples the voice-activity detector heard speech in."""
    import librosa

    spectrum = librosa.stft(pcm, n_fft=_FFT, hop_length=_HOP)
    power = np.abs(spectrum) ** 2
    in_speech = _speech_frames(speech, power.shape[1])
    if np.sum(~in_speech) >= _MIN_NOISE_FRAMES:
        noise = np.mean(power[:, ~in_speech], axis=1)
    else:  # speech from end to end: the quietest tenth of the frames, bin by bin
        noise = np.percentile(power, 10, axis=1)
    speech_power = float(np.mean(power[:, in_speech].sum(0))) if in_speech.any() else 0.0
    noise_power = float(noise.sum()) + 1e-12
    snr_db = 10 * np.log10(max(speech_power - noise_power, 1e-12) / noise_power)
    # power smoothed over three frames so the gain does not flicker with each frame's noise
    smooth = np.apply_along_axis(lambda row: np.convolve(row, np.ones(3) / 3, mode="same"), 1, power)
    gain = np.sqrt(np.clip(1.0 - _OVERSUBTRACT * noise[:, None] / (smooth + 1e-12), _FLOOR**2, 1.0))
    out = librosa.istft(spectrum * gain, hop_length=_HOP, length=len(pcm))
    return Denoised(out.astype(np.float32), float(snr_db))
