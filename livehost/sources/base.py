"""Chat sources: console, the API, Twitch, YouTube, Bilibili, Douyin... each behind one
protocol. A source's ``run`` blocks in its own thread, hands every message to ``emit`` and
returns when ``stop`` is set (or when its input ends); raising means it went down, and the
supervisor restarts it (jittered backoff). ``emit`` also takes a ``ChatRemoval`` when the
platform deletes a message or clears a user (a moderator): it leaves the queue unanswered.

Push platforms (Douyin, signed webhooks) are ``HookSource``s: the API server routes POSTs on
``path`` to ``receive`` (on a worker thread, quickly: platforms time out), and ``run`` only
holds the source up until ``stop``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from livehost.media.frames import ChatMessage


@dataclass(frozen=True, slots=True)
class ChatRemoval:
    """Withdraw waiting messages: the one with ``id`` (the queue id the source gave it), or
    with ``user_id`` set, every waiting message of that user on ``platform``."""

    platform: str
    id: str = ""
    user_id: str = ""
    reason: str = "removed"


Emit = Callable[[ChatMessage | ChatRemoval], None]


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


@dataclass(frozen=True, slots=True)
class HookReply:
    status: int  # HTTP status
    body: dict  # JSON body; an error names what is wrong (never a secret)


@runtime_checkable
class HookSource(ChatSource, Protocol):
    path: str  # e.g. "/hooks/douyin"

    def receive(self, headers: Mapping[str, str], body: bytes) -> HookReply: ...
