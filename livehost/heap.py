"""The process's memory handed back to the system now and then, for runs that last days.

glibc keeps the heap a chat flood or a burst of replies freed, spread over its per-thread
arenas, and the RSS stays at its peak: after a 60 s flood of 500 messages/s the host's RSS was
40 MB up, and ``malloc_trim(0)`` brought it back to 6 MB below where it began. So the host
trims every minute or so, off the render thread. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_EVERY_S = 60.0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (Linux), 0.0 where /proc is missing."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return 0.0


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc.malloc_trim if libc is not None else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None


class HeapTrimmer:
    """``maybe_trim()`` from a thread that can spare a few milliseconds: trims at most once
    every ``every_s`` seconds. ``stats()`` for /api/status."""

    def __init__(self, every_s: float = TRIM_EVERY_S, clock: Callable[[], float] = time.monotonic,
                 trim: Callable[[int], int] | None = None) -> None:
        self.every_s, self._clock = every_s, clock
        self._trim = trim if trim is not None else _malloc_trim()
        self._last = clock()
        self.trims, self.released_mb = 0, 0.0

    def maybe_trim(self) -> bool:
        now = self._clock()
        if self._trim is None or now - self._last < self.every_s:
            return False
        self._last = now
        before = rss_mb()
        self._trim(0)
        self.trims += 1
        released = max(0.0, before - rss_mb())
        self.released_mb += released
        if released >= 5:
            log.debug("memory: %.0f MB of freed heap handed back to the system", released)
        return True

    def stats(self) -> dict:
        return {"rss_mb": round(rss_mb(), 1), "trims": self.trims, "released_mb": round(self.released_mb, 1)}
