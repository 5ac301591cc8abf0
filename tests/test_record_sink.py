"""The MP4 recorder: streams, timestamps from the media clock, A/V alignment, atomic output."""

import numpy as np
import pytest

from livehost.errors import LivehostError
from livehost.media.clock import MediaClock
from livehost.media.frames import AVTick, FaceState
from livehost.sinks.base import StreamSpec
from livehost.sinks.record import RecordSink
from media_probe import decode

SR = 48_000


def ticks(n: int, fps: float, flashes: set[int], size=(64, 48)):
    clock = MediaClock(SR, fps)
    for i in range(n):
        samples = clock.samples_for_tick(i)
        flash = i in flashes
        image = np.full((size[1], size[0], 3), 255 if flash else 0, np.uint8)
        audio = np.zeros(samples, np.float32)
        if flash:  # a 1 kHz burst starting exactly with the flash frame
            audio[:] = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(samples) / SR)
        yield AVTick(i, clock.time_of_tick(i), image, audio, SR, flash, FaceState())


@pytest.mark.parametrize("fps", [25, 30])
def test_flash_and_beep_stay_together_for_a_minute(tmp_path, fps):
    path = tmp_path / "sync.mp4"
    n = int(60 * fps)
    flashes = {10, n // 2, n - 20}
    sink = RecordSink(path)
    clock = MediaClock(SR, fps)
    sink.open(StreamSpec(64, 48, clock.fps, SR))
    for tick in ticks(n, fps, flashes):
        sink.offer(tick)
    sink.close()
    media = decode(path)
    assert len(media.frames) == n
    bright = [i for i, f in enumerate(media.frames) if f.mean() > 128]
    assert bright == sorted(flashes)
    envelope = np.abs(media.audio)
    for frame in sorted(flashes):
        t_video = frame / fps
        window = envelope[int((t_video - 0.02) * SR): int((t_video + 0.06) * SR)]
        onset = np.argmax(window > 0.1) / SR + t_video - 0.02
        assert abs(onset - t_video) < 0.003, (frame, onset, t_video)


def test_failed_render_leaves_nothing(tmp_path):
    path = tmp_path / "x.mp4"
    sink = RecordSink(path)
    sink.open(StreamSpec(64, 48, MediaClock(SR, 25).fps, SR))
    for tick in ticks(5, 25, set()):
        sink.offer(tick)
    sink.close(discard=True)
    assert list(tmp_path.iterdir()) == []


def test_odd_size_fails_the_sink_not_the_caller(tmp_path):
    sink = RecordSink(tmp_path / "odd.mp4")
    sink.open(StreamSpec(65, 48, MediaClock(SR, 25).fps, SR))
    for tick in ticks(3, 25, set(), size=(65, 48)):
        sink.offer(tick)
    sink.close()
    assert "even" in sink.stats.error
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_is_refused_up_front(tmp_path):
    with pytest.raises(LivehostError, match="does not exist"):
        RecordSink(tmp_path / "nope" / "x.mp4")
    with pytest.raises(LivehostError, match="is a folder"):
        RecordSink(tmp_path)
