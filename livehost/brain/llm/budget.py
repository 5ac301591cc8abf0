"""Time budgets around any backend's stream: the first piece within ``first_token_s``, the
whole reply within ``reply_s``.

The backend is pulled by a reader thread into a small queue and the caller waits on that
queue with a timeout, so a backend that stalls inside a blocking call (a socket read, a long
prompt evaluation) cannot hold the caller past its budget. On a timeout the caller's
``cancel`` is left untouched (an interrupt and a timeout stay distinguishable); the reader
stops pulling and closes the backend's iterator at its next piece, which ends generation.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from .base import LLMTimeout

_POLL_S = 0.05  # how often a waiting caller looks at ``cancel``
_QUEUE_PIECES = 64  # pieces the reader may run ahead of a slow caller
_END = object()


def with_budget(
    pieces: Iterator[str],
    first_token_s: float,
    reply_s: float,
    cancel: threading.Event,
    *,
    server: str = "backend",
) -> Iterator[str]:
    """Yield ``pieces`` as they come; raise LLMTimeout when a budget runs out. Returns
    quietly soon after ``cancel`` is set. Errors of the backend are re-raised here."""
    box: queue.Queue = queue.Queue(maxsize=_QUEUE_PIECES)
    stop = threading.Event()
    reader = threading.Thread(target=_read, args=(pieces, box, stop, cancel), name="llm-reader", daemon=True)
    start = time.monotonic()
    reader.start()
    first = True
    try:
        while True:
            limit, what = (first_token_s, "no first token") if first else (reply_s, "reply not finished")
            left = start + limit - time.monotonic()
            if left <= 0:
                raise LLMTimeout(server, f"{what} within {limit:g} s")
            if cancel.is_set():
                return
            try:
                item = box.get(timeout=min(left, _POLL_S))
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            first = False
            yield item
    finally:
        stop.set()


def _read(pieces: Iterator[str], box: queue.Queue, stop: threading.Event, cancel: threading.Event) -> None:
    try:
        for piece in pieces:
            if not _put(box, piece, stop, cancel):
                return
        _put(box, _END, stop, cancel)
    except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread, which re-raises it)
        _put(box, exc, stop, cancel)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


def _put(box: queue.Queue, item: object, stop: threading.Event, cancel: threading.Event) -> bool:
    while not (stop.is_set() or cancel.is_set()):
        try:
            box.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False
