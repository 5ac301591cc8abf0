"""Runs each chat source in its own daemon thread and keeps it running: a source that raises
is restarted after a jittered exponential backoff (capped), with ONE log line saying it went
down and why. Failures stay inside their thread — a crashing source never touches the
others, and a failing ``emit`` downstream never crashes the source."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from livehost.errors import LivehostError
from livehost.media.frames import ChatMessage

from .base import ChatSource, Emit, SourceStatus

log = logging.getLogger(__name__)


def describe(exc: BaseException, limit: int = 200) -> str:
    """One line: the exception's type and the first line of its message."""
    text = str(exc).strip().splitlines()
    line = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def backoff_delay(failures: int, base_s: float, max_s: float, jitter: float) -> float:
    """Seconds to wait after the ``failures``-th crash in a row (0 = first): doubling from
    ``base_s`` up to ``max_s``, then scaled by 0.5..1 (``jitter`` in 0..1) so sources that
    failed together do not all retry together."""
    return min(max_s, base_s * 2.0 ** min(failures, 60)) * (0.5 + jitter / 2)


class _Runner:
    """One source's thread: run, and after a crash wait and run again."""

    def __init__(self, source: ChatSource, sup: SourceSupervisor) -> None:
        self.source, self.sup = source, sup
        self.restarts = 0
        self.error: str | None = None  # set while down after a crash
        self.ended = False
        self._emit_failed = False
        self.thread = threading.Thread(target=self._loop, name=f"chat-{source.name}", daemon=True)

    def _emit(self, msg: ChatMessage) -> None:
        try:
            self.sup.emit(msg)
        except Exception:
            if not self._emit_failed:  # a channel bug: say it once, not per message
                self._emit_failed = True
                log.exception("chat source %s: passing a message on failed", self.source.name)

    def _loop(self) -> None:
        sup, name = self.sup, self.source.name
        failures = 0
        while not sup.stopping.is_set():
            started = sup.clock()
            try:
                self.source.run(self._emit, sup.stopping)
            except Exception as exc:
                reason = describe(exc)
            else:
                self.ended = True
                log.debug("chat source %s ended", name)
                return
            if sup.stopping.is_set():
                return
            if sup.clock() - started >= sup.healthy_after_s:
                failures = 0  # it had been running fine: start the backoff over
            delay = backoff_delay(failures, sup.backoff_s, sup.backoff_max_s, sup.rng())
            failures += 1
            self.error = reason
            log.warning("chat source %s went down (%s); restarting in %.1f s", name, reason, delay)
            if sup.stopping.wait(delay):
                return
            self.restarts += 1
            self.error = None

    def status(self) -> SourceStatus:
        try:
            own = self.source.status()
        except Exception as exc:
            own = SourceStatus(up=False, error=describe(exc))
        if self.error is not None:
            own = replace(own, up=False, error=self.error)
        elif self.ended or not self.thread.is_alive():
            own = replace(own, up=False)
        return replace(own, restarts=self.restarts)


class SourceSupervisor:
    """``emit`` receives every message of every source, from the sources' threads."""

    # A platform back after an outage is reconnected within backoff_max_s (chat is lost while
    # down); a source that stayed up healthy_after_s starts its backoff over.
    def __init__(self, sources: Iterable[ChatSource], emit: Emit, *, backoff_s: float = 0.5,
                 backoff_max_s: float = 8.0, healthy_after_s: float = 10.0,
                 rng: Callable[[], float] = random.random,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.emit, self.backoff_s, self.backoff_max_s = emit, backoff_s, backoff_max_s
        self.healthy_after_s, self.rng, self.clock = healthy_after_s, rng, clock
        self.stopping = threading.Event()
        self._runners: dict[str, _Runner] = {}
        for source in sources:
            if source.name in self._runners:
                raise LivehostError(f"chat source {source.name!r} is given twice")
            self._runners[source.name] = _Runner(source, self)

    def start(self) -> None:
        for runner in self._runners.values():
            runner.thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask every source to stop; True when all threads ended within ``timeout`` (a source
        blocked on input it cannot interrupt, like a terminal, is left to die with the
        process — its thread is a daemon)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for runner in self._runners.values():
            if runner.thread.is_alive():
                runner.thread.join(max(0.0, deadline - time.monotonic()))
        return not any(r.thread.is_alive() for r in self._runners.values())

    def status(self) -> dict[str, SourceStatus]:
        return {name: runner.status() for name, runner in self._runners.items()}
