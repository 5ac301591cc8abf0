"""The sync pattern: the flash tick and the beep's first sample coincide, for any frame rate."""

from fractions import Fraction

import numpy as np
import pytest

from livehost.media.clock import MediaClock
from livehost.media.pattern import SyncPattern


@pytest.mark.parametrize("fps", [25, 30, Fraction(30000, 1001), 50])
def test_beep_starts_on_the_flash_ticks_first_sample(fps):
    clock = MediaClock(48_000, fps)
    pattern = SyncPattern((64, 48), clock, period_s=2.0)
    ticks = pattern.period_ticks * 3
    audio = np.concatenate([pattern.audio(n) for n in range(ticks)])
    assert len(audio) == clock.tick_start_sample(ticks)  # exactly each tick's share
    flashes = [n for n in range(ticks) if pattern.frame(n).mean() > 200]
    assert flashes == [0, pattern.period_ticks, 2 * pattern.period_ticks]
    for n in flashes:  # sin(0) = 0: the beep is audible from the flash tick's second sample
        start = clock.tick_start_sample(n)
        assert not np.abs(audio[start - 50 : start]).any()
        assert np.flatnonzero(np.abs(audio[start:]) > 0.01)[0] <= 1

def test_still_frames_between_flashes_are_not_white_and_silent_after_the_beep():
    clock = MediaClock(48_000, 25)
    pattern = SyncPattern((64, 48), clock, beep_s=0.1)
    assert pattern.frame(1).mean() < 100
    assert not pattern.audio(10).any()  # 0.4 s into the period: the beep is over
