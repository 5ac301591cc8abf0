import threading

import numpy as np
import pytest

from livehost.face.static import StaticPortrait
from livehost.loop import RenderLoop
from livehost.media.clock import ManualClock, MediaClock
from livehost.media.frames import FaceState, Sentence, Speech
from livehost.media.timeline import SpeechTimeline
from livehost.sinks.base import SinkStats, ThreadedSink

SR, FPS = 48_000, 25


class RecordingMotion:
    def __init__(self):
        self.speech, self.interrupts, self.calls = [], [], []

    def on_speech(self, scheduled):
        self.speech.append(scheduled)

    def on_interrupt(self, t):
        self.interrupts.append(t)

    def state_at(self, t, audio, speaking):
        self.calls.append((t, len(audio), speaking))
        return FaceState(jaw=1.0 if speaking else 0.0)


class ListSink:
    name = "list"

    def __init__(self):
        self.stats = SinkStats()
        self.ticks = []

    def open(self, spec):
        self.spec = spec

    def offer(self, tick):
        self.ticks.append(tick)

    def close(self, discard=False):
        pass


def make_loop(sinks=(), fps=FPS):
    clock = MediaClock(SR, fps)
    timeline = SpeechTimeline(SR)
    motion = RecordingMotion()
    renderer = StaticPortrait(np.zeros((64, 64, 3), np.uint8), (32, 32))
    return RenderLoop(clock, timeline, motion, renderer, sinks), timeline, motion


def say(timeline, seconds, value=0.5):
    timeline.push(Speech(Sentence("hi"), np.full(int(seconds * SR), value, np.float32), SR))


def test_idle_ticks_are_silent_and_regular():
    sink = ListSink()
    loop, _, motion = make_loop([sink])
    for _ in range(50):
        loop.tick()
    assert [t.index for t in sink.ticks] == list(range(50))
    assert np.allclose(np.diff([t.t for t in sink.ticks]), 1 / FPS)
    assert all(len(t.audio) == SR // FPS and not t.audio.any() for t in sink.ticks)
    assert not any(t.speaking for t in sink.ticks)
    assert all(t.image.shape == (32, 32, 3) for t in sink.ticks)


@pytest.mark.parametrize("fps", [25, 30, 24, 29.97])
def test_audio_per_tick_sums_exactly_to_media_time(fps):
    sink = ListSink()
    loop, timeline, _ = make_loop([sink], fps=fps)
    say(timeline, 1.3)
    for _ in range(100):
        loop.tick()
    total = sum(len(t.audio) for t in sink.ticks)
    assert total == loop.clock.samples
    assert loop.clock.now == pytest.approx(100 / loop.clock.fps, abs=1 / SR)


def test_speech_plays_and_motion_hears_about_it():
    sink = ListSink()
    loop, timeline, motion = make_loop([sink])
    loop.tick()
    say(timeline, 0.1)
    for _ in range(5):
        loop.tick()
    speaking = [t.speaking for t in sink.ticks]
    assert speaking == [False, True, True, True, False, False]
    assert len(motion.speech) == 1 and motion.speech[0].t0 == pytest.approx(0.04)
    assert sink.ticks[1].started == tuple(motion.speech)
    audio = np.concatenate([t.audio for t in sink.ticks])
    assert np.count_nonzero(audio) == int(0.1 * SR)


def test_interrupt_flushes_at_next_tick():
    loop, timeline, motion = make_loop()
    say(timeline, 5.0)
    loop.tick()
    threading.Thread(target=loop.interrupt, args=("barge-in",)).start()
    loop.interrupt("operator")
    tick = loop.tick()
    assert loop.stats.interrupts >= 1
    assert motion.interrupts and motion.interrupts[0] == pytest.approx(0.04)
    # The fade (10 ms) plays, then silence for good; sinks are told to drop what they hold.
    assert not tick.audio[480:].any() and tick.cut
    following = loop.tick()
    assert not following.speaking and not following.cut
    assert timeline.idle


def test_run_stops_and_paces_with_manual_clock():
    loop, _, _ = make_loop()
    manual = ManualClock()
    stop = threading.Event()
    loop.run(manual, stop, until=lambda: loop.stats.ticks >= 75)
    assert loop.stats.ticks == 75
    assert manual.time == pytest.approx(74 / FPS)
    assert loop.stats.late_ticks == 0


class BrokenSink(ThreadedSink):
    name = "broken"

    def write(self, tick):
        raise RuntimeError("device unplugged")


class SlowSink(ThreadedSink):
    name = "slow"

    def __init__(self):
        super().__init__(max_queue=3, overflow="drop")
        self.release = threading.Event()

    def write(self, tick):
        self.release.wait(5)


def test_dead_or_slow_sinks_never_stall_the_loop_or_the_others():
    broken, slow, good = BrokenSink(max_queue=3), SlowSink(), ListSink()
    loop, _, _ = make_loop([broken, slow, good])
    for sink in (broken, slow, good):
        sink.open(loop.spec)
    for _ in range(40):
        loop.tick()
    slow.release.set()
    broken.close()
    slow.close()
    assert len(good.ticks) == 40
    assert broken.stats.error == "RuntimeError: device unplugged"
    assert broken.stats.written == 0 and broken.stats.dropped == 40
    assert slow.stats.dropped >= 30
    assert slow.stats.written + slow.stats.dropped == 40


def test_hold_silences_at_next_tick_and_resume_picks_the_sentence_up_again():
    loop, timeline, motion = make_loop()
    say(timeline, 2.0)
    loop.tick()
    loop.hold()
    held = loop.tick()
    assert not held.audio[480:].any() and motion.interrupts == [pytest.approx(0.04)]  # mouth closes
    assert held.cut
    loop.hold()  # held already: nothing more to cut
    for _ in range(3):
        tick = loop.tick()
        assert not tick.audio.any() and not tick.cut
    loop.resume()
    tick = loop.tick()
    assert tick.audio[480:].all() and tick.started == ()  # plays on; not a new sentence for sinks
    assert len(motion.speech) == 2 and motion.speech[1].t0 == pytest.approx(0.2 - 0.04)  # re-placed
    assert loop.stats.interrupts == 0


def test_a_hold_nobody_ends_plays_on_by_itself():
    loop, timeline, _ = make_loop()
    say(timeline, 2.0)
    loop.tick()
    loop.hold(max_s=0.2)
    ticks = [loop.tick() for _ in range(8)]
    assert not ticks[2].audio.any() and ticks[-1].audio.any()  # never silent for good


def test_interrupt_after_hold_is_final():
    loop, timeline, motion = make_loop()
    say(timeline, 2.0)
    loop.tick()
    loop.hold()
    loop.tick()
    loop.interrupt("barge-in")
    loop.tick()
    assert timeline.idle and loop.stats.interrupts == 1
    assert not any(loop.tick().audio.any() for _ in range(60))  # past the hold's own limit too
