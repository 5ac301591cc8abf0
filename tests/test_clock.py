from fractions import Fraction

import pytest

from livehost.media.clock import ManualClock, MediaClock


def test_integer_ratio_gives_identical_ticks():
    clock = MediaClock(48_000, 25)
    assert {clock.samples_for_tick(n) for n in range(1000)} == {1920}


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), 24, 29.97, 60, 7])
def test_any_rate_sums_exactly(fps):
    clock = MediaClock(48_000, fps)
    ticks = 10_000
    total = sum(clock.samples_for_tick(n) for n in range(ticks))
    assert total == clock.tick_start_sample(ticks)
    # Never more than one sample away from the ideal position.
    assert abs(total - ticks * 48_000 / float(clock.fps)) <= 1
    sizes = {clock.samples_for_tick(n) for n in range(ticks)}
    assert max(sizes) - min(sizes) <= 1


def test_time_advances_with_ticks():
    clock = MediaClock(48_000, 25)
    for _ in range(50):
        clock.advance()
    assert clock.now == pytest.approx(2.0)
    assert clock.samples == 96_000


@pytest.mark.parametrize("bad", [0, -5])
def test_rejects_non_positive(bad):
    with pytest.raises(ValueError):
        MediaClock(48_000, bad)
    with pytest.raises(ValueError):
        MediaClock(bad, 25)


def test_manual_clock_jumps_and_reports_lateness():
    manual = ManualClock()
    manual.wait_until(1.5)
    assert manual.time == 1.5
    manual.advance(0.25)
    assert manual.lateness(1.5) == pytest.approx(0.25)
    manual.wait_until(1.0)  # never goes back
    assert manual.time == pytest.approx(1.75)


def test_realtime_pacer_waits_for_the_wall_clock_and_counts_lateness():
    import time

    from livehost.media.clock import RealtimePacer

    pacer = RealtimePacer()
    started = time.monotonic()
    pacer.wait_until(0.0)  # the first tick anchors media time 0 to now
    pacer.wait_until(0.08)
    assert time.monotonic() - started >= 0.075  # never early (late is the machine's business)
    assert pacer.lateness(0.0) >= 0.075
    ahead = RealtimePacer(lead=0.05)
    ahead.wait_until(0.0)
    # With a lead, a tick 40 ms from now is already due: it is rendered 50 ms ahead of play.
    assert ahead.lateness(0.04) >= 0.01
    assert RealtimePacer().lateness(0.04) == 0.0
