"""Freed heap handed back: the trimmer's schedule on a manual clock, then glibc's real
malloc_trim on memory this test fragments itself."""

import sys

import pytest

from livehost import heap
from livehost.heap import HeapTrimmer, rss_mb


class ManualClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_trims_at_most_once_a_period():
    clock, calls = ManualClock(), []
    trimmer = HeapTrimmer(every_s=60, clock=clock, trim=lambda pad: calls.append(pad) or 1)
    assert not trimmer.maybe_trim() and calls == []  # not before the first period is over
    clock.t = 60.0
    assert trimmer.maybe_trim() and calls == [0]
    clock.t = 119.0
    assert not trimmer.maybe_trim()
    clock.t = 120.5
    assert trimmer.maybe_trim() and trimmer.trims == 2
    assert set(trimmer.stats()) == {"rss_mb", "trims", "released_mb"} and trimmer.stats()["rss_mb"] > 10


def test_nothing_to_call_is_a_no_op(monkeypatch):
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)  # as on musl or macOS
    clock = ManualClock()
    trimmer = HeapTrimmer(every_s=1, clock=clock)
    clock.t = 5.0
    assert not trimmer.maybe_trim() and trimmer.trims == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc")
def test_glibc_gives_freed_heap_back():
    clock = ManualClock()
    trimmer = HeapTrimmer(every_s=1, clock=clock)
    if heap._malloc_trim() is None:
        pytest.skip("not glibc")
    # 80 MB in 4 KB blocks (malloc's heap, not Python's small-object arenas), freed all but
    # the last: the heap's top stays pinned, so only a trim can hand the middle back
    blocks = [bytearray(4000) for _ in range(20_000)]
    pin = bytearray(4000)
    full = rss_mb()
    del blocks
    freed = rss_mb()
    clock.t = 2.0
    assert trimmer.maybe_trim()
    trimmed = rss_mb()
    assert full - freed < 20 < freed - trimmed, (full, freed, trimmed)  # freeing alone kept it
    assert trimmer.released_mb >= freed - trimmed - 1
    del pin
