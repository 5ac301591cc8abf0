"""The sync test pattern: a still frame that flashes white for one tick every ``period_s``
seconds, with a 1 kHz beep starting on the first audio sample of that same tick. Any receiver
(a browser, OBS, an RTMP reader, a phone filming the screen) can measure the A/V offset as the
time between the flash and the beep's onset."""

from __future__ import annotations

import numpy as np

from .clock import MediaClock

BEEP_HZ = 1000.0
BEEP_LEVEL = 0.5


class SyncPattern:
    def __init__(self, size: tuple[int, int], clock: MediaClock, period_s: float = 2.0, beep_s: float = 0.1) -> None:
        width, height = size
        self.size, self.clock = size, clock
        self.period_ticks = max(2, round(period_s * float(clock.fps)))
        self.beep_samples = int(beep_s * clock.sample_rate)
        # mid grey with a dark bar: a frozen stream shows as well as a missing flash
        self._still = np.full((height, width, 3), 64, np.uint8)
        self._still[height // 2 - height // 16 : height // 2 + height // 16, width // 8 : width - width // 8] = 16
        self._flash = np.full((height, width, 3), 255, np.uint8)
        for frame in (self._still, self._flash):
            frame.setflags(write=False)

    def is_flash(self, tick: int) -> bool:
        return tick % self.period_ticks == 0

    def frame(self, tick: int) -> np.ndarray:
        return self._flash if self.is_flash(tick) else self._still

    def audio(self, tick: int) -> np.ndarray:
        """Tick ``tick``'s samples: the beep for ``beep_s`` from the flash tick's first sample."""
        samples = self.clock.samples_for_tick(tick)
        flash_tick = tick - tick % self.period_ticks
        offset = self.clock.tick_start_sample(tick) - self.clock.tick_start_sample(flash_tick)
        n = np.arange(offset, offset + samples)
        beep = BEEP_LEVEL * np.sin(2 * np.pi * BEEP_HZ * n / self.clock.sample_rate)
        return np.where(n < self.beep_samples, beep, 0.0).astype(np.float32)
