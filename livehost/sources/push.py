"""The half every push source shares. ``receive`` (an API worker thread) checks a request and
hands its messages over through a bounded inbox; ``run`` (the source's own thread) takes them
out and emits them. So a reply never waits on the host, however slow ``emit`` is: platforms
count a slow reply as a failed push."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence

from livehost.media.frames import ChatMessage

from .base import Emit, HookReply, SourceCounters, SourceStatus
from .specs import ChatSpec

log = logging.getLogger(__name__)

_RESERVED = ("/", "/health", "/offer", "/whep")  # the API server's own routes, and /api/*


def hook_path(spec: ChatSpec, default: str) -> str:
    path = spec.option("path", default)
    if not path.startswith("/") or "?" in path or "#" in path:
        raise spec.error(f"path={path!r} must be a URL path such as {default}")
    if path in _RESERVED or path.startswith("/api/"):
        raise spec.error(f"path={path!r} is one of the API server's own routes")
    return path


def source_name(platform: str, path: str, default: str) -> str:
    """The spec head; the path joins it when not the default, so two hooks of one platform
    on different paths keep apart in the status."""
    return platform if path == default else f"{platform}:{path}"


class PushSource:
    """Subclasses set ``platform`` and write ``receive``, calling ``_hand_over`` with the
    messages of a checked request and ``_refuse`` for a request they turn down."""

    platform = ""
    WARN_EVERY_S = 60.0  # a flood of bad requests logs one line a minute, not one each

    def __init__(self, name: str, path: str, *, inbox: int = 1000) -> None:
        self.name, self.path = name, path
        self._inbox: queue.Queue[Sequence[ChatMessage]] = queue.Queue(inbox)  # batches
        self._counters = SourceCounters()
        self._warned_at = -float("inf")

    def run(self, emit: Emit, stop: threading.Event) -> None:
        self._counters.up()
        try:
            while not stop.is_set():
                try:
                    batch = self._inbox.get(timeout=0.1)  # short: stop is seen promptly
                except queue.Empty:
                    continue
                for message in batch:
                    emit(message)
                    self._counters.received()
        finally:
            self._counters.down()

    def status(self) -> SourceStatus:
        return self._counters.status()

    def _hand_over(self, messages: Sequence[ChatMessage]) -> bool:
        """Queue a request's messages as one batch; False when the inbox is full (the host
        fell far behind): nothing of the batch is taken then."""
        try:
            self._inbox.put_nowait(messages)
        except queue.Full:
            return False
        return True

    def _busy(self) -> HookReply:
        return self._refuse(503, "busy, not taken (the host is behind)")

    def _refuse(self, status: int, why: str) -> HookReply:
        now = time.monotonic()
        if now - self._warned_at >= self.WARN_EVERY_S:
            self._warned_at = now
            log.warning("chat source %s refused a request (%d): %s", self.name, status, why)
        return HookReply(status, {"error": f"{self.name}: {why}"})
