"""Chat sources: the console, and the supervisor that keeps sources running."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest

from livehost.errors import LivehostError
from livehost.media.frames import ChatMessage
from livehost.sources.base import ChatSource, SourceCounters, SourceStatus
from livehost.sources.console import ConsoleSource
from livehost.sources.supervisor import SourceSupervisor, backoff_delay, describe


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_console_lines_become_messages_and_eof_ends_quietly():
    stream = io.StringIO("hello there\n\n   \n/gift Ann rose\n/follow Bo\n"
                         "/superchat Cy 4.5 love the show\n/gift Ann\n/superchat Cy lots hi\n"
                         "/follow\n/shrug whatever\nlast line")
    source = ConsoleSource(stream, user="me")
    got: list[ChatMessage] = []
    source.run(got.append, threading.Event())
    assert [(m.user, m.text, m.kind, m.amount) for m in got] == [
        ("me", "hello there", "chat", None),
        ("Ann", "rose", "gift", None),
        ("Bo", "", "follow", None),
        ("Cy", "love the show", "superchat", 4.5),
        ("me", "/shrug whatever", "chat", None),
        ("me", "last line", "chat", None),
    ]
    assert all(m.platform == "console" and m.id == "" for m in got)
    assert source.status() == SourceStatus(up=False, received=6, malformed=3)
    assert isinstance(source, ChatSource)


def test_console_stops_between_lines():
    stop = threading.Event()
    got = []

    def emit(msg):
        got.append(msg)
        stop.set()

    ConsoleSource(io.StringIO("one\ntwo\nthree\n")).run(emit, stop)
    assert [m.text for m in got] == ["one"]


class Crashing:
    """Emits one message per run, then raises."""

    def __init__(self, name: str = "crashy") -> None:
        self.name, self.runs = name, 0
        self.counters = SourceCounters()

    def run(self, emit, stop):
        self.runs += 1
        self.counters.up()
        emit(ChatMessage("test", self.name, f"run {self.runs}"))
        raise ConnectionError(f"server closed the connection\nsecond line {self.runs}")

    def status(self):
        return self.counters.status()


class Steady:
    """Emits a message every few milliseconds until stopped."""

    def __init__(self, name: str = "steady") -> None:
        self.name, self.counters = name, SourceCounters()

    def run(self, emit, stop):
        self.counters.up()
        while not stop.wait(0.002):
            emit(ChatMessage("test", self.name, "tick"))
            self.counters.received()
        self.counters.down()

    def status(self):
        return self.counters.status()


class Collector:
    def __init__(self) -> None:
        self.lock, self.messages = threading.Lock(), []

    def __call__(self, msg: ChatMessage) -> None:
        with self.lock:
            self.messages.append(msg)

    def count(self, user: str) -> int:
        with self.lock:
            return sum(1 for m in self.messages if m.user == user)


def test_a_crashing_source_is_restarted_and_the_others_keep_going(caplog):
    crashy, steady, emit = Crashing(), Steady(), Collector()
    sup = SourceSupervisor([crashy, steady], emit, backoff_s=0.001, backoff_max_s=0.004,
                           rng=lambda: 1.0)
    with caplog.at_level(logging.WARNING, logger="livehost.sources.supervisor"):
        sup.start()
        wait_for(lambda: crashy.runs >= 5)
        before = emit.count("steady")
        wait_for(lambda: emit.count("steady") > before + 5)  # still flowing after the crashes
        assert sup.stop(timeout=2)
    assert emit.count("crashy") == crashy.runs
    downs = [r for r in caplog.records if "went down" in r.getMessage()]
    assert len(downs) >= 4
    first = downs[0].getMessage()
    assert first.startswith(
        "chat source crashy went down (ConnectionError: server closed the connection)")
    assert "\n" not in first and downs[0].exc_info is None  # one line, no traceback
    status = sup.status()
    assert status["crashy"].restarts >= 4 and status["crashy"].up is False
    assert status["steady"].up is False and status["steady"].received > 5  # stopped cleanly


def test_status_while_a_source_is_down_says_why():
    crashy = Crashing()
    sup = SourceSupervisor([crashy], lambda m: None, backoff_s=30, backoff_max_s=30)
    sup.start()
    wait_for(lambda: sup.status()["crashy"].error is not None)
    status = sup.status()["crashy"]
    assert status == SourceStatus(up=False, error="ConnectionError: server closed the connection")
    started = time.monotonic()
    assert sup.stop(timeout=2) and time.monotonic() - started < 1.0  # stop cuts the backoff short


def test_a_source_that_ends_is_not_restarted():
    console = ConsoleSource(io.StringIO("only line\n"))
    emit = Collector()
    sup = SourceSupervisor([console], emit, backoff_s=0.001)
    sup.start()
    wait_for(lambda: sup.status()["console"] == SourceStatus(up=False, received=1))
    assert sup.stop(timeout=0.5)  # its thread had ended by itself
    assert emit.count("console") == 1 and sup.status()["console"].restarts == 0


def test_a_failing_emit_is_logged_once_and_the_source_keeps_running(caplog):
    steady = Steady()

    def broken(msg):
        raise RuntimeError("channel bug")

    sup = SourceSupervisor([steady], broken)
    with caplog.at_level(logging.ERROR, logger="livehost.sources.supervisor"):
        sup.start()
        wait_for(lambda: steady.status().received >= 20)
        assert sup.status()["steady"].up
        sup.stop()
    assert sum("passing a message on failed" in r.getMessage() for r in caplog.records) == 1


def test_duplicate_source_names_are_refused():
    with pytest.raises(LivehostError, match="'console' is given twice"):
        SourceSupervisor([ConsoleSource(io.StringIO()), ConsoleSource(io.StringIO())], lambda m: None)


def test_backoff_doubles_up_to_the_cap_with_jitter():
    assert [backoff_delay(n, 1.0, 10.0, 1.0) for n in range(6)] == [1, 2, 4, 8, 10, 10]
    assert backoff_delay(2, 1.0, 10.0, 0.0) == 2.0  # jitter scales into 0.5..1
    assert backoff_delay(10_000, 1.0, 60.0, 1.0) == 60.0


def test_describe_is_one_short_line():
    assert describe(ValueError("bad\nthings")) == "ValueError: bad"
    assert describe(TimeoutError()) == "TimeoutError"
    assert len(describe(RuntimeError("x" * 500))) == 200
