"""with_budget around scripted fake backends: stalls are cut at the budget, cancel ends the
wait, errors and early exits reach the backend."""

import threading

import pytest

from livehost.brain.llm.base import LLMError, LLMTimeout
from livehost.brain.llm.budget import with_budget

WAIT_S = 10.0  # how long a test waits for something that must happen at once


class Fake:
    """A backend stream: yields ``before``, then (if ``stall``) blocks until released, then
    yields ``after`` or raises ``error``. Records when the consumer closed it."""

    def __init__(self, before=(), after=(), stall=False, error=None):
        self.before, self.after, self.stall, self.error = list(before), list(after), stall, error
        self.release = threading.Event()
        self.closed = threading.Event()
        self.yielded = 0

    def __call__(self):
        try:
            for piece in self.before:
                self.yielded += 1
                yield piece
            if self.stall:
                self.release.wait(WAIT_S)
            if self.error is not None:
                raise self.error
            for piece in self.after:
                self.yielded += 1
                yield piece
        finally:
            self.closed.set()


def test_passes_pieces_in_order():
    fake = Fake(before=["Hello", " there", "!"])
    assert list(with_budget(fake(), 5.0, 5.0, threading.Event())) == ["Hello", " there", "!"]
    assert fake.closed.wait(WAIT_S)


def test_no_first_token_raises_and_leaves_cancel_alone():
    fake = Fake(stall=True, after=["late"])
    cancel = threading.Event()
    with pytest.raises(LLMTimeout, match="no first token within 0.05 s") as caught:
        list(with_budget(fake(), 0.05, 5.0, cancel, server="test server"))
    assert caught.value.server == "test server"
    assert not cancel.is_set()
    fake.release.set()  # the stalled call returns: its next piece is not pulled on
    assert fake.closed.wait(WAIT_S)
    assert fake.yielded <= 1


def test_reply_budget_counts_from_the_start():
    fake = Fake(before=["Hi"], stall=True, after=["never"])
    got = []
    with pytest.raises(LLMTimeout, match="reply not finished within 0.1 s"):
        for piece in with_budget(fake(), 5.0, 0.1, threading.Event()):
            got.append(piece)
    assert got == ["Hi"]
    fake.release.set()
    assert fake.closed.wait(WAIT_S)


def test_cancel_returns_quietly_while_the_backend_stalls():
    fake = Fake(before=["a"], stall=True, after=["b"])
    cancel = threading.Event()
    got = []
    for piece in with_budget(fake(), WAIT_S * 3, WAIT_S * 3, cancel):
        got.append(piece)
        cancel.set()  # an interrupt after the first piece
    assert got == ["a"]
    fake.release.set()
    assert fake.closed.wait(WAIT_S)


def test_backend_errors_reach_the_caller_after_its_pieces():
    fake = Fake(before=["one"], error=LLMError("srv", "broke off"))
    got = []
    with pytest.raises(LLMError, match="broke off"):
        for piece in with_budget(fake(), 5.0, 5.0, threading.Event()):
            got.append(piece)
    assert got == ["one"]


def test_leaving_early_closes_the_backend():
    fake = Fake(before=["x"] * 1000)
    stream = with_budget(fake(), 5.0, 5.0, threading.Event())
    assert next(stream) == "x"
    stream.close()
    assert fake.closed.wait(WAIT_S)
    assert fake.yielded < 1000  # the reader stopped at its bounded queue
