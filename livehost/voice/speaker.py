"""Speaker similarity: resemblyzer's GE2E encoder (256-d, L2-normalized embeddings).

The first call JIT-compiles resemblyzer's helpers (numba, ~15 s): cloning and benchmarks use
this, never the live path.
"""

from __future__ import annotations

import numpy as np

from livehost import models
from livehost.media.audio import resample

_RATE = 16000


class SpeakerEncoder:
    def __init__(self) -> None:
        import torch
        from resemblyzer import VoiceEncoder

        torch.set_num_threads(1)  # the encoder is tiny; threads only fight the synthesizer
        self._encoder = VoiceEncoder("cpu", verbose=False, weights_fpath=models.resolve("resemblyzer-ge2e").path)

    def embed(self, pcm: np.ndarray, sample_rate: int) -> np.ndarray:
        from resemblyzer import preprocess_wav

        wav = preprocess_wav(resample(pcm, sample_rate, _RATE), source_sr=_RATE)
        if len(wav) < _RATE // 2:  # the VAD kept almost nothing: embed what there is
            wav = resample(pcm, sample_rate, _RATE)
        return self._encoder.embed_utterance(wav)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
