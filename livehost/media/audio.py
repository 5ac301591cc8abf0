"""Audio utilities: PCM conversion, resampling, chunking and levels.

Inside the channel audio is mono float32 in [-1, 1]; these helpers are the only place that
converts to and from anything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import soxr


def to_float32(pcm: np.ndarray) -> np.ndarray:
    """Any integer or float PCM, mono or (frames, channels), to mono float32 in [-1, 1]."""
    pcm = np.asarray(pcm)
    if pcm.ndim not in (1, 2):
        raise ValueError(f"PCM must be 1-D or (frames, channels), got shape {pcm.shape}")
    if np.issubdtype(pcm.dtype, np.integer):
        info = np.iinfo(pcm.dtype)
        # Unsigned PCM (8-bit WAV) is offset by half the range.
        offset = (int(info.max) + 1) // 2 if info.min == 0 else 0
        scale = float(max(abs(int(info.min) + offset), int(info.max) - offset))
        pcm = (pcm.astype(np.float64) - offset) / scale
    if pcm.ndim == 2:  # scaled first: a downmix of raw integers would lose their type
        pcm = pcm.mean(axis=1)
    return np.clip(pcm, -1.0, 1.0).astype(np.float32, copy=False)


def to_int16(pcm: np.ndarray) -> np.ndarray:
    # The same 32768 scale as to_float32, so int16 survives a round trip bit-exactly.
    return np.clip(np.round(np.asarray(pcm, np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality resampling of mono float32 audio (soxr, VHQ)."""
    if from_rate == to_rate or len(pcm) == 0:
        return np.asarray(pcm, dtype=np.float32)
    return soxr.resample(np.asarray(pcm, dtype=np.float32), from_rate, to_rate, quality="VHQ")


class StreamResampler:
    """Resamples a stream chunk by chunk without clicks at chunk borders."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate, self.to_rate = from_rate, to_rate
        self._stream = (
            None if from_rate == to_rate else soxr.ResampleStream(from_rate, to_rate, 1, "float32")
        )

    def push(self, pcm: np.ndarray, last: bool = False) -> np.ndarray:
        pcm = np.asarray(pcm, dtype=np.float32)
        if self._stream is None:
            return pcm
        return self._stream.resample_chunk(pcm, last=last)


def chunks(pcm: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Consecutive chunks of ``size`` samples; the last one may be shorter."""
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}")
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


def rms(pcm: np.ndarray) -> float:
    if len(pcm) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))


def dbfs(pcm: np.ndarray) -> float:
    level = rms(pcm)
    return -120.0 if level <= 1e-6 else 20.0 * float(np.log10(level))


def audible_end(pcm: np.ndarray, sample_rate: int, floor_db: float = -30.0) -> int:
    """The sample after the last 10 ms frame within ``floor_db`` of the loudest one (the whole
    length when there is less than a frame, or nothing above silence)."""
    frame = sample_rate // 100
    frames = len(pcm) // frame
    if frames == 0:
        return len(pcm)
    level = np.sqrt(np.mean(np.square(pcm[: frames * frame].reshape(frames, frame)), axis=1))
    loud = np.nonzero(level > level.max() * 10 ** (floor_db / 20))[0]
    return int((loud[-1] + 1) * frame) if len(loud) else len(pcm)
