"""The media clock (the audio sample counter) and the pacers that tie it to real time.

A channel has exactly one master clock: the number of audio samples it has emitted. Video
timestamps derive from it, so audio and video cannot drift apart however long it runs.
Pacers decide *when* a tick happens in wall time; they never change *what* time it is on the
media clock.
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from typing import Protocol


class MediaClock:
    """Counts emitted audio samples and maps ticks to exact sample counts.

    When ``sample_rate / fps`` is not an integer (e.g. 30000/1001 fps) the remainder is spread
    over ticks so tick ``n`` always starts at ``floor(n * sample_rate / fps)``.
    """

    def __init__(self, sample_rate: int = 48_000, fps: float | Fraction = 25) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        fps = Fraction(fps).limit_denominator(1001)
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.sample_rate = sample_rate
        self.fps = fps
        self._samples_per_tick = Fraction(sample_rate) / fps
        self.tick = 0

    def tick_start_sample(self, n: int) -> int:
        return int(n * self._samples_per_tick)

    def samples_for_tick(self, n: int) -> int:
        return self.tick_start_sample(n + 1) - self.tick_start_sample(n)

    @property
    def samples(self) -> int:
        """Samples emitted so far = the sample index where the current tick starts."""
        return self.tick_start_sample(self.tick)

    @property
    def now(self) -> float:
        """Media time of the current tick's start, in seconds."""
        return self.samples / self.sample_rate

    def time_of_tick(self, n: int) -> float:
        return self.tick_start_sample(n) / self.sample_rate

    def advance(self) -> None:
        self.tick += 1


class Pacer(Protocol):
    """Decides when the render loop may produce the tick that starts at ``media_time``."""

    def wait_until(self, media_time: float) -> None: ...

    def lateness(self, media_time: float) -> float:
        """How many seconds behind real time the loop is (0 when on time)."""
        ...


class RealtimePacer:
    """Paces ticks against ``time.monotonic`` with absolute deadlines (no accumulated sleep
    error). ``lead`` lets the loop render a little ahead so sinks with their own buffers
    never starve."""

    def __init__(self, lead: float = 0.0, stop: threading.Event | None = None) -> None:
        self._origin: float | None = None
        self.lead = lead
        self._stop = stop or threading.Event()

    def _deadline(self, media_time: float) -> float:
        if self._origin is None:
            self._origin = time.monotonic() - media_time
        return self._origin + media_time - self.lead

    def wait_until(self, media_time: float) -> None:
        delay = self._deadline(media_time) - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)

    def lateness(self, media_time: float) -> float:
        return max(0.0, time.monotonic() - self._deadline(media_time))


class ManualClock:
    """A pacer for tests: time is whatever the test says. ``wait_until`` jumps straight to
    the deadline, so a 30 s scenario runs in milliseconds and is deterministic."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start

    def wait_until(self, media_time: float) -> None:
        self.time = max(self.time, media_time)

    def lateness(self, media_time: float) -> float:
        return max(0.0, self.time - media_time)

    def advance(self, seconds: float) -> None:
        self.time += seconds
