"""Double-talk detection: is what the echo canceller left of a turn still the host's own voice?

The canceller can lose the echo (the room's path changes, it must find the delay again) and then
passes the host's voice through almost untouched; by energy that looks like a person talking.
What tells them apart is coherence with the audio the host played: the host's voice, however
delayed and coloured, is a linear function of it, a person's is not. ``echo_share`` finds the
echo's delay by GCC-PHAT and returns the share of the residual's power that the played audio
explains at that delay (the magnitude-squared coherence, weighted by the residual's spectrum).
Reverberation longer than a segment lowers the share of a lost echo, so this errs towards a
person: it only ever holds back a barge-in, and never invents one.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RATE = 16_000
SEGMENT = 1024  # 64 ms: longer than most of a small room's early echo
BAND_HZ = (100.0, 4000.0)  # where speech carries its power


class DoubleTalkDetector:
    """Keeps the canceller's recent output and the played audio paired with it, frame by frame,
    to tell whether the last stretch of it is the host's own voice."""

    def __init__(self, history_s: float = 3.0, max_delay_s: float = 0.55, rate: int = RATE) -> None:
        self.history, self.max_delay, self.rate = round(history_s * rate), round(max_delay_s * rate), rate
        self._frames: deque[tuple[np.ndarray, np.ndarray]] = deque()  # (residual, played)
        self._kept = 0  # samples in _frames

    def push(self, residual: np.ndarray, played: np.ndarray) -> None:
        self._frames.append((residual, played))
        self._kept += len(residual)
        while self._kept - len(self._frames[0][0]) >= self.history + self.max_delay:
            self._kept -= len(self._frames.popleft()[0])

    def echo_share(self, samples: int) -> float:
        """``echo_share`` of the last ``samples`` (at most ``history_s`` of them)."""
        if not self._frames:
            return 0.0
        residual, played = (np.concatenate(column) for column in zip(*self._frames))
        n = min(samples, self.history, len(residual))
        return echo_share(residual[len(residual) - n :], played[max(len(played) - n - self.max_delay, 0) :],
                          self.max_delay / self.rate, self.rate)


def echo_share(residual: np.ndarray, played: np.ndarray, max_delay_s: float = 0.55,
               rate: int = RATE) -> float:
    """``residual``: the canceller's output over the turn; ``played``: the played audio paired
    with the same samples, preceded by ``max_delay_s`` of what came before (it may be shorter at
    the start of a stream). 0: nothing of it is the host's voice; 1: all of it."""
    n = len(residual)
    base = len(played) - n  # how much earlier played audio there is
    if n < 2 * SEGMENT or base < 0 or not np.any(played) or not np.any(residual):
        return 0.0
    delay = _delay(residual, played, min(base, round(max_delay_s * rate)))
    aligned = played[base - delay : base - delay + n]
    hop = SEGMENT // 2
    window = np.hanning(SEGMENT)
    a = np.fft.rfft(window * sliding_window_view(residual, SEGMENT)[::hop], axis=1)
    b = np.fft.rfft(window * sliding_window_view(aligned, SEGMENT)[::hop], axis=1)
    cross = np.sum(a * np.conj(b), axis=0)
    auto_res, auto_played = np.sum(np.abs(a) ** 2, axis=0), np.sum(np.abs(b) ** 2, axis=0)
    band = slice(int(BAND_HZ[0] * SEGMENT / rate), int(BAND_HZ[1] * SEGMENT / rate))
    coherence = np.abs(cross[band]) ** 2 / (auto_res[band] * auto_played[band] + 1e-20)
    power = auto_res[band]
    return float(np.sum(coherence * power) / max(float(np.sum(power)), 1e-20))


def _delay(residual: np.ndarray, played: np.ndarray, most: int) -> int:
    """Samples by which ``residual`` follows the played audio aligned with it (0..most)."""
    size = 1 << int(np.ceil(np.log2(len(residual) + len(played))))
    spectrum = np.fft.rfft(residual, size) * np.conj(np.fft.rfft(played, size))
    correlation = np.fft.irfft(spectrum / (np.abs(spectrum) + 1e-12), size)
    base = len(played) - len(residual)
    lags = (np.arange(most + 1) - base) % size  # residual[t] ~ played[base + t - delay]
    return int(np.argmax(correlation[lags]))
