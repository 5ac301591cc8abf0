"""Speaker similarity: resemblyzer's GE2E encoder (256-d, L2-normalized embeddings), also as a
torch function of the audio (``embed_torch``) so a voice can be tuned by gradient descent.

The first call JIT-compiles resemblyzer's helpers (numba, ~15 s): cloning and benchmarks use
this, never the live path.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from livehost import models
from livehost.media.audio import resample

if TYPE_CHECKING:
    import torch

_RATE = 16000


class SpeakerEncoder:
    def __init__(self) -> None:
        import torch
        from resemblyzer import VoiceEncoder

        torch.set_num_threads(1)  # the encoder is tiny; threads only fight the synthesizer
        self._encoder = VoiceEncoder("cpu", verbose=False, weights_fpath=models.resolve("resemblyzer-ge2e").path)

    def embed(self, pcm: np.ndarray, sample_rate: int) -> np.ndarray:
        from resemblyzer import preprocess_wav

        audio = resample(pcm, sample_rate, _RATE)
        wav = preprocess_wav(audio)
        if len(wav) < _RATE // 2:  # the VAD kept almost nothing: embed what there is
            wav = audio
        return self._encoder.embed_utterance(wav)

    def embed_torch(self, audio: torch.Tensor, sample_rate: float) -> torch.Tensor:
        """``embed`` as a differentiable function of ``audio`` (speech without long pauses:
        the voice-activity trim is left out): the same loudness normalization, mel frames,
        partial windows and network; the resampler is a windowed-sinc low-pass followed by
        linear interpolation."""
        import torch
        from resemblyzer import audio as rz

        x = _low_pass_resample(audio, sample_rate)
        level = 20 * torch.log10(torch.sqrt(torch.mean(x**2)) + 1e-9)
        if level.item() < rz.audio_norm_target_dBFS:  # resemblyzer only raises the volume
            x = x * 10 ** ((rz.audio_norm_target_dBFS - level) / 20)
        wav_slices, mel_slices = self._encoder.compute_partial_slices(len(x), 1.3, 0.75)
        x = torch.nn.functional.pad(x, (0, max(0, wav_slices[-1].stop - len(x))))
        n_fft = _RATE * rz.mel_window_length // 1000
        spectrum = torch.stft(x, n_fft, _RATE * rz.mel_window_step // 1000, window=torch.hann_window(n_fft),
                              center=True, pad_mode="constant", return_complex=True)
        mel = (_mel_basis(n_fft, rz.mel_n_channels) @ spectrum.abs() ** 2).T
        partials = self._encoder(torch.stack([mel[s] for s in mel_slices]))
        mean = partials.mean(0)
        return mean / mean.norm()


@lru_cache(maxsize=2)
def _mel_basis(n_fft: int, n_mels: int) -> torch.Tensor:
    import librosa
    import torch

    return torch.from_numpy(librosa.filters.mel(sr=_RATE, n_fft=n_fft, n_mels=n_mels).astype(np.float32))


def _low_pass_resample(audio: torch.Tensor, sample_rate: float) -> torch.Tensor:
    import torch
    from scipy.signal import firwin

    cutoff = 0.95 * min(sample_rate, _RATE) / 2
    taps = torch.from_numpy(firwin(101, cutoff, fs=sample_rate).astype(np.float32))
    x = torch.nn.functional.conv1d(audio.reshape(1, 1, -1), taps.reshape(1, 1, -1), padding=50)
    size = round(audio.shape[-1] * _RATE / sample_rate)
    return torch.nn.functional.interpolate(x, size=size, mode="linear", align_corners=False).reshape(-1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
