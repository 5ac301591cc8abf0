"""Synthetic sync-pattern ticks for the sinks, offered at the real rate (the receivers that
measure what arrived are livehost.bench.sinks.reader's), and the command lines of this
process's ffmpeg children."""

from __future__ import annotations

import os
import threading
import time
from fractions import Fraction
from pathlib import Path

from loopback import free_port  # noqa: F401 (re-exported for the tests)

from livehost.media.clock import MediaClock
from livehost.media.frames import AVTick, FaceState
from livehost.media.pattern import SyncPattern
from livehost.sinks.base import StreamSpec

SR = 48_000
FPS = 25
SIZE = (320, 180)
SPEC = StreamSpec(SIZE[0], SIZE[1], Fraction(FPS), SR)


def pattern_tick(pattern: SyncPattern, i: int) -> AVTick:
    clock = pattern.clock
    return AVTick(i, clock.time_of_tick(i), pattern.frame(i), pattern.audio(i), SR, False, FaceState())


def feed_realtime(sink, seconds: float, stop: threading.Event | None = None, start_tick: int = 0) -> int:
    """Offer sync-pattern ticks at the real rate (as the channel does); returns ticks offered."""
    clock = MediaClock(SR, FPS)
    pattern = SyncPattern(SIZE, clock)
    origin = time.monotonic()
    n = round(seconds * FPS)
    for i in range(n):
        if stop is not None and stop.is_set():
            return i
        time.sleep(max(0.0, origin + i / FPS - time.monotonic()))
        sink.offer(pattern_tick(pattern, start_tick + i))
    return n


def ffmpeg_children() -> dict[int, str]:
    """This process's ffmpeg children and their command lines, as any user of the machine
    reads them (``ps``, /proc/PID/cmdline)."""
    found = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if cmdline.split(" ", 1)[0].endswith("ffmpeg"):
                found[int(pid)] = cmdline
    return found
