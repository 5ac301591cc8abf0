"""The sync pattern's A/V offset as a receiver measures it: flashes found in the pictures it
shows, beep onsets in the sound it plays, each flash paired with the nearest onset.

Detectors take the stream as it comes (a ten-minute run keeps only the event times, never
the audio), on whatever clock the receiver has: media timestamps, or a page's
performance.now().
"""

from __future__ import annotations

import statistics

import numpy as np

BEEP_LEVEL = 0.1  # the pattern beeps at 0.5: well above codec noise, well below the beep
QUIET_S = 0.5  # a beep starts only after this much quiet: one onset per beep
FLASH_LUMA = 200.0  # the pattern's still is grey 64, its flash white 255


class OnsetDetector:
    """Beep onsets: the first sample above ``level`` after at least ``quiet_s`` without one."""

    def __init__(self, level: float = BEEP_LEVEL, quiet_s: float = QUIET_S) -> None:
        self.level, self.quiet_s = level, quiet_s
        self.onsets: list[float] = []
        self._last_loud = -np.inf

    def feed(self, start: float, pcm: np.ndarray, sample_rate: int) -> None:
        """``pcm``: one channel's samples, the first of them at time ``start``."""
        loud = start + np.flatnonzero(np.abs(pcm) > self.level) / sample_rate
        if not len(loud):
            return
        before = np.concatenate(([self._last_loud], loud[:-1]))
        self.onsets.extend(float(t) for t in loud[loud - before > self.quiet_s])
        self._last_loud = float(loud[-1])


class FlashDetector:
    """Flash times: frames whose mean luminance rises above ``threshold``."""

    def __init__(self, threshold: float = FLASH_LUMA) -> None:
        self.threshold = threshold
        self.flashes: list[float] = []
        self._bright = False

    def feed(self, time: float, luma: float) -> None:
        bright = luma > self.threshold
        if bright and not self._bright:
            self.flashes.append(time)
        self._bright = bright


def pair_offsets(flashes: list[float], onsets: list[float], window: float) -> list[tuple[float, float]]:
    """(flash time, onset minus flash) for each flash with an onset within ``window`` (in the
    units of the times; the pattern's period is 2 s). > 0: the sound is late."""
    heard = np.asarray(onsets, dtype=float)
    pairs = []
    for flash in flashes:
        if len(heard):
            near = float(heard[np.argmin(np.abs(heard - flash))])
            if abs(near - flash) < window:
                pairs.append((flash, near - flash))
    return pairs


def offset_figures(pairs: list[tuple[float, float]], window_s: float = 60.0) -> dict:
    """Median and worst offset (ms) over a run, and its drift: the median of the last
    ``window_s`` minus that of the first (each a third of the run at most). ``pairs`` in
    seconds."""
    if not pairs:
        return {"flashes": 0, "median_ms": None, "worst_ms": None, "drift_ms": None}
    times = np.array([t for t, _ in pairs]) - pairs[0][0]
    offsets = np.array([o for _, o in pairs]) * 1000.0
    span = float(times[-1])
    window = min(window_s, span / 3) if span > 0 else 0.0
    first, last = offsets[times <= window], offsets[times >= span - window]
    return {
        "flashes": len(pairs),
        "seconds": round(span, 1),
        "median_ms": round(statistics.median(offsets), 1),
        "worst_ms": round(float(offsets[np.argmax(np.abs(offsets))]), 1),
        "drift_window_s": round(window, 1),
        "first_window_ms": round(statistics.median(first), 1),
        "last_window_ms": round(statistics.median(last), 1),
        "drift_ms": round(statistics.median(last) - statistics.median(first), 1),
    }
