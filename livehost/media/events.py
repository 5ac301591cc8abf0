"""The event bus: fans the channel's live events (chat, dropped, answer, sentence, interrupt,
heard...) out to whoever listens — the API's event stream, a dashboard, tests.

Publishing never waits on a listener: each subscription is a bounded queue, and when a slow
listener's queue is full its OLDEST event is dropped and counted, so the newest state always
gets through and memory stays bounded however far a listener lags. Events are plain dicts,
shared between listeners: treat them as read-only.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Self

log = logging.getLogger(__name__)


class Subscription:
    """One listener's bounded queue. ``notify`` (if given) is called on the publisher's thread
    after each event is queued; it must not block (an asyncio adapter passes
    ``loop.call_soon_threadsafe``-based wake-ups)."""

    def __init__(self, bus: EventBus, max_queue: int, notify: Callable[[], None] | None = None):
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        self._bus = bus
        self._items: deque[dict] = deque(maxlen=max_queue)
        self._ready = threading.Condition()
        self._notify = notify
        self.dropped = 0
        self.closed = False

    def _push(self, event: dict) -> None:
        with self._ready:
            if self.closed:
                return
            if len(self._items) == self._items.maxlen:
                self.dropped += 1  # the deque drops the oldest by itself
            self._items.append(event)
            self._ready.notify()
        if self._notify is not None:
            self._notify()

    def get(self, timeout: float | None = None) -> dict | None:
        """The oldest queued event; None after ``timeout`` seconds or once closed and empty."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._items or self.closed, timeout):
                return None
            return self._items.popleft() if self._items else None

    def get_nowait(self) -> dict | None:
        with self._ready:
            return self._items.popleft() if self._items else None

    def drain(self) -> tuple[list[dict], int]:
        """Every queued event, and ``dropped`` as of that moment: the events dropped since
        the previous drain are all older than the ones returned."""
        with self._ready:
            events = list(self._items)
            self._items.clear()
            return events, self.dropped

    @property
    def pending(self) -> int:
        return len(self._items)

    def close(self) -> None:
        """Stop receiving; a waiting ``get`` returns the events left, then None."""
        self._bus._unsubscribe(self)
        with self._ready:
            self.closed = True
            self._ready.notify_all()
        if self._notify is not None:
            self._notify()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Thread-safe fan-out of event dicts to any number of subscriptions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: tuple[Subscription, ...] = ()  # copied on change, read without the lock

    def subscribe(self, max_queue: int = 1000,
                  notify: Callable[[], None] | None = None) -> Subscription:
        sub = Subscription(self, max_queue, notify)
        with self._lock:
            self._subs = (*self._subs, sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = tuple(s for s in self._subs if s is not sub)

    def publish(self, event: dict) -> None:
        """Queue ``event`` for every subscriber; never blocks on a slow one. A failing
        ``notify`` is logged and never reaches the publisher."""
        for sub in self._subs:
            try:
                sub._push(event)
            except Exception:
                log.exception("event subscriber failed")

    @property
    def subscribers(self) -> int:
        return len(self._subs)
