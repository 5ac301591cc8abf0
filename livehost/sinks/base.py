"""What every output has in common: a bounded queue, a thread, and honest counters.

The render loop hands each AVTick to every sink with ``offer``, which never blocks a live
channel: a slow or dead sink drops its own ticks (counted) and the others carry on. Files
rendered offline use ``overflow="block"`` instead, so nothing is lost when the encoder is
slower than the loop.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Protocol

from livehost.media.frames import AVTick

log = logging.getLogger(__name__)

Overflow = Literal["drop", "block"]


@dataclass(frozen=True, slots=True)
class StreamSpec:
    width: int
    height: int
    fps: Fraction
    sample_rate: int


@dataclass(slots=True)
class SinkStats:
    written: int = 0
    dropped: int = 0
    error: str | None = None


class Sink(Protocol):
    name: str
    stats: SinkStats

    def open(self, spec: StreamSpec) -> None: ...

    def offer(self, tick: AVTick) -> None: ...

    def close(self, discard: bool = False) -> None: ...


_CLOSE = object()


class ThreadedSink:
    """Base for sinks: subclasses implement ``start(spec)``, ``write(tick)`` and ``finish()``,
    all called on the sink's own thread. An exception in any of them marks the sink failed:
    later ticks are dropped and counted, the channel goes on."""

    name = "sink"

    def __init__(self, max_queue: int = 50, overflow: Overflow = "drop") -> None:
        self.stats = SinkStats()
        self.overflow = overflow
        self._queue: queue.Queue = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._spec: StreamSpec | None = None
        self._discard = False
        self._count_lock = threading.Lock()  # offer() and the sink thread both count drops

    # -- called by the channel ------------------------------------------------------------
    def open(self, spec: StreamSpec) -> None:
        self._spec = spec
        self._thread = threading.Thread(target=self._run, name=f"sink-{self.name}", daemon=True)
        self._thread.start()

    def offer(self, tick: AVTick) -> None:
        if self.stats.error is not None:
            self._drop()
            return
        if self.overflow == "block":
            self._queue.put(tick)
            return
        try:
            self._queue.put_nowait(tick)
        except queue.Full:
            self._drop()

    def _drop(self) -> None:
        with self._count_lock:
            self.stats.dropped += 1

    def close(self, discard: bool = False) -> None:
        """Drain, finish and stop. ``discard`` throws the output away (a render that failed
        half-way must leave nothing under the output name)."""
        if self._thread is None:
            return
        self._discard = discard
        self._queue.put(_CLOSE)
        self._thread.join()
        self._thread = None

    # -- implemented by subclasses, run on the sink's thread -------------------------------
    def start(self, spec: StreamSpec) -> None:
        return None

    def write(self, tick: AVTick) -> None:
        raise NotImplementedError

    def finish(self, ok: bool) -> None:
        """Flush and release; ``ok`` is False when the sink failed earlier."""
        return

    # -------------------------------------------------------------------------------------
    def _run(self) -> None:
        assert self._spec is not None
        try:
            self.start(self._spec)
        except Exception as exc:
            self._fail(exc)
        while (item := self._queue.get()) is not _CLOSE:
            if self.stats.error is not None:
                self._drop()
                continue
            try:
                self.write(item)
                self.stats.written += 1
            except Exception as exc:
                self._drop()
                self._fail(exc)
        try:
            self.finish(self.stats.error is None and not self._discard)
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if self.stats.error is None:
            self.stats.error = f"{type(exc).__name__}: {exc}"
            log.error("sink %s failed: %s", self.name, self.stats.error)
