"""Ticks to WebRTC media, without a network: pts on the 90 kHz and 48 kHz clocks, and every
audio sample sent exactly once, in order, whatever the tick length."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

from livehost.media.clock import MediaClock
from livehost.media.frames import AVTick, FaceState
from livehost.sinks.webrtc_media import (
    AudioChunker,
    SendSchedule,
    TickConverter,
    audio_frame,
    to_s16,
    video_pts,
)


def ticks(fps: Fraction, count: int, sample_rate: int = 48_000, seed: int = 0) -> list[AVTick]:
    clock = MediaClock(sample_rate, fps)
    rng = np.random.default_rng(seed)
    image = np.zeros((32, 48, 3), np.uint8)
    out = []
    for n in range(count):
        audio = rng.uniform(-1, 1, clock.samples_for_tick(n)).astype(np.float32)
        out.append(AVTick(n, clock.time_of_tick(n), image, audio, sample_rate, False, FaceState()))
    return out


@pytest.mark.parametrize("fps", [Fraction(25), Fraction(30), Fraction(30000, 1001), Fraction(24)])
def test_every_sample_is_sent_once_in_order(fps):
    sent = ticks(fps, 200)
    converter = TickConverter(fps, 48_000)
    chunks = [c for tick in sent for c in converter.convert(tick).chunks]
    expected = to_s16(np.concatenate([t.audio for t in sent]))
    assert all(len(c.pcm) == 960 for c in chunks)
    assert [c.pts for c in chunks] == [960 * i for i in range(len(chunks))]
    joined = np.concatenate([c.pcm for c in chunks])
    assert len(expected) - len(joined) < 960  # only the last partial chunk waits
    np.testing.assert_array_equal(joined, expected[: len(joined)])


def test_25_fps_ticks_hold_two_chunks_each():
    converter = TickConverter(Fraction(25), 48_000)
    assert [len(converter.convert(t).chunks) for t in ticks(Fraction(25), 10)] == [2] * 10


def test_30_fps_carries_the_remainder_over():
    chunker = AudioChunker(48_000)
    counts = [len(chunker.push(np.zeros(1600, np.float32))) for _ in range(6)]
    assert counts == [1, 2, 2, 1, 2, 2]  # 1600 samples = 1 2/3 chunks


def test_video_pts_follow_the_tick_index_on_90_khz():
    assert [video_pts(n, Fraction(25)) for n in range(4)] == [0, 3600, 7200, 10800]
    assert video_pts(1000, Fraction(30000, 1001)) == 3_003_000
    converter = TickConverter(Fraction(25), 48_000)
    assert [converter.convert(t).video_pts for t in ticks(Fraction(25), 3)] == [0, 3600, 7200]


def test_frames_carry_the_image_and_the_samples():
    image = np.random.default_rng(1).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    tick = AVTick(7, 0.28, image, np.full(1920, 0.25, np.float32), 48_000, False, FaceState())
    media = TickConverter(Fraction(25), 48_000).convert(tick)
    assert media.video_pts == 7 * 3600
    assert media.image is image  # no copy on the render thread: the encoder thread converts it
    audio = audio_frame(media.chunks[1], 48_000)
    assert (audio.samples, audio.sample_rate, audio.pts, audio.format.name, audio.layout.name) == (
        960, 48_000, 960, "s16", "mono")
    np.testing.assert_array_equal(audio.to_ndarray()[0], np.full(960, round(0.25 * 32767), np.int16))


def test_audio_beyond_full_scale_is_clipped():
    assert to_s16(np.array([-2.0, -1.0, 0.0, 1.0, 3.0], np.float32)).tolist() == [-32767, -32767, 0, 32767, 32767]


def test_chunks_need_a_rate_that_divides_into_20_ms():
    with pytest.raises(ValueError, match="multiple of 50 Hz"):
        AudioChunker(44_110)


def test_media_leaves_on_the_channels_clock_not_on_the_ticks_arrival():
    schedule = SendSchedule(lead_s=0.03)
    jitter = [0.0, 0.012, 0.004, 0.019, 0.0, 0.008]
    sent = []
    for n, late in enumerate(jitter):
        schedule.arrived(n * 0.04, 100.0 + n * 0.04 + late)
        sent.append(schedule.due(n * 0.04))
    assert [round(b - a, 6) for a, b in itertools.pairwise(sent)] == [0.04] * 5  # evenly spaced
    assert sent[0] == pytest.approx(100.03)
    assert schedule.due(0.02) == pytest.approx(100.05)  # a tick's second audio chunk: 20 ms on


def test_an_earlier_tick_moves_the_clock_earlier_and_a_stall_starts_it_over():
    schedule = SendSchedule(lead_s=0.03, slack_s=0.25)
    schedule.arrived(0.0, 10.010)
    schedule.arrived(0.04, 10.045)  # less delayed than the first: the origin follows it
    assert schedule.due(0.04) == pytest.approx(10.075)
    schedule.arrived(0.08, 10.3)  # the render loop stalled: 215 ms behind is still within slack
    assert (schedule.due(0.08), schedule.restarts) == (pytest.approx(10.115), 0)
    schedule.arrived(0.12, 10.7)  # far behind: start over from here
    assert (schedule.due(0.12), schedule.restarts) == (pytest.approx(10.73), 1)
