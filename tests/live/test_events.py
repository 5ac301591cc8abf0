"""The event bus: fan-out, bounded per listener, never blocking the publisher."""

from __future__ import annotations

import threading

import pytest

from livehost.media.events import EventBus


def test_every_subscriber_gets_every_event_in_order():
    bus = EventBus()
    a, b = bus.subscribe(), bus.subscribe()
    for i in range(5):
        bus.publish({"event": "chat", "i": i})
    for sub in (a, b):
        assert [sub.get(timeout=0)["i"] for _ in range(5)] == [0, 1, 2, 3, 4]
        assert sub.get(timeout=0) is None


def test_a_full_queue_drops_its_oldest_and_counts():
    bus = EventBus()
    sub = bus.subscribe(max_queue=3)
    for i in range(10):
        bus.publish({"i": i})
    assert sub.dropped == 7
    assert [sub.get_nowait()["i"] for _ in range(3)] == [7, 8, 9]
    with pytest.raises(ValueError):
        bus.subscribe(max_queue=0)


def test_get_waits_for_a_publisher_on_another_thread():
    bus = EventBus()
    sub = bus.subscribe()
    thread = threading.Thread(target=lambda: [bus.publish({"i": i}) for i in range(1000)])
    thread.start()
    got = [sub.get(timeout=5)["i"] for _ in range(1000)]
    thread.join()
    assert got == list(range(1000))


def test_close_wakes_a_waiting_reader_and_unsubscribes():
    bus = EventBus()
    sub = bus.subscribe()
    bus.publish({"i": 1})
    result = []
    reader = threading.Thread(target=lambda: result.extend([sub.get(), sub.get()]))
    reader.start()
    sub.close()
    reader.join(5)
    assert not reader.is_alive()
    assert result[-1] is None and bus.subscribers == 0
    bus.publish({"i": 2})  # nobody left: nothing happens
    assert sub.get(timeout=0) is None


def test_a_failing_notify_never_reaches_the_publisher():
    bus = EventBus()

    def broken():
        raise RuntimeError("listener bug")

    bad, good = bus.subscribe(notify=broken), bus.subscribe()
    bus.publish({"i": 1})
    assert good.get(timeout=0) == {"i": 1} and bad.get(timeout=0) == {"i": 1}


def test_drain_takes_everything_with_the_drop_count_of_that_moment():
    bus = EventBus()
    sub = bus.subscribe(max_queue=2)
    for i in range(5):
        bus.publish({"i": i})
    assert sub.pending == 2
    assert sub.drain() == ([{"i": 3}, {"i": 4}], 3)
    assert sub.drain() == ([], 3) and sub.pending == 0
