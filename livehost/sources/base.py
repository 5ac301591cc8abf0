"""Chat sources: console, the API, Twitch, YouTube, Bilibili, Douyin... each behind one
protocol. A source's ``run`` blocks in its own thread, hands every message to ``emit`` and
returns when ``stop`` is set (or when its input ends); raising means it went down, and the
supervisor restarts it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from livehost.media.frames import ChatMessage

Emit = Callable[[ChatMessage], None]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    up: bool
    error: str | None = None  # why it is down, one line, no secrets
    received: int = 0  # messages emitted
    malformed: int = 0  # input it could not read (skipped, not fatal)
    restarts: int = 0  # filled in by the supervisor


@runtime_checkable
class ChatSource(Protocol):
    name: str

    def run(self, emit: Emit, stop: threading.Event) -> None: ...

    def status(self) -> SourceStatus: ...


class SourceCounters:
    """The bookkeeping every source shares, safe to update from its thread while another
    reads ``status()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._up, self._error = False, None
        self._received = self._malformed = 0

    def up(self) -> None:
        with self._lock:
            self._up, self._error = True, None

    def down(self, error: str | None = None) -> None:
        with self._lock:
            self._up, self._error = False, error

    def received(self) -> None:
        with self._lock:
            self._received += 1

    def malformed(self) -> None:
        with self._lock:
            self._malformed += 1

    def status(self) -> SourceStatus:
        with self._lock:
            return SourceStatus(self._up, self._error, self._received, self._malformed)
