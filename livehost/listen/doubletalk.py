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

import numpy as np

RATE = 16_000
SEGMENT = 1024  # 64 ms: longer than most of a small room's early echo
BAND_HZ = (100.0, 4000.0)  # where speech carries its power


class _Recent:
    """The last ``size`` samples of a stream, appended cheaply (a buffer of twice the size that
    shifts down when full)."""

    def __init__(self, size: int) -> None:
        self.size, self._buffer, self._end = size, np.zeros(2 * size, np.float32), 0

    def push(self, samples: np.ndarray) -> None:
        samples = samples[-self.size :]
        if self._end + len(samples) > len(self._buffer):
            keep = self.size - len(samples)
            self._buffer[:keep] = self._buffer[self._end - keep : self._end]
            self._end = keep
        self._buffer[self._end : self._end + len(samples)] = samples
        self._end += len(samples)

    def last(self, n: int) -> np.ndarray:
        n = min(n, self.size, self._end)
        return self._buffer[self._end - n : self._end]


class DoubleTalkDetector:
    """Keeps the canceller's recent output and the played audio paired with it, frame by frame,
    to tell whether the last stretch of it is the host's own voice."""

    def __init__(self, history_s: float = 3.0, max_delay_s: float = 0.55, rate: int = RATE) -> None:
        self.history, self.max_delay, self.rate = round(history_s * rate), round(max_delay_s * rate), rate
        self._residual = _Recent(self.history)
        self._played = _Recent(self.history + self.max_delay)

    def push(self, residual: np.ndarray, played: np.ndarray) -> None:
        self._residual.push(residual)
        self._played.push(played)

    def echo_share(self, samples: int) -> float:
        """``echo_share`` of the last ``samples`` (at most ``history_s`` of them)."""
        residual = self._residual.last(samples)
        return echo_share(residual, self._played.last(len(residual) + self.max_delay),
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
    window = np.hanning(SEGMENT)
    cross = auto_res = auto_played = 0.0
    for start in range(0, n - SEGMENT + 1, SEGMENT // 2):
        a = np.fft.rfft(window * residual[start : start + SEGMENT])
        b = np.fft.rfft(window * aligned[start : start + SEGMENT])
        cross, auto_res, auto_played = cross + a * np.conj(b), auto_res + np.abs(a) ** 2, auto_played + np.abs(b) ** 2
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
