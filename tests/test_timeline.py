import numpy as np
import pytest

from livehost.media.frames import Sentence, Speech
from livehost.media.timeline import SpeechTimeline

SR = 48_000


def speech(seconds: float, value: float = 0.5) -> Speech:
    return Speech(Sentence("x"), np.full(int(seconds * SR), value, np.float32), SR)


def test_silence_when_empty():
    timeline = SpeechTimeline(SR)
    pulled = timeline.pull(1920, 0.0)
    assert len(pulled.audio) == 1920 and not pulled.audio.any()
    assert not pulled.speaking and pulled.started == ()


def test_sentences_play_back_to_back_with_their_start_times():
    timeline = SpeechTimeline(SR)
    first, second = speech(0.05, 0.25), speech(0.03, 0.75)
    timeline.push(first)
    timeline.push(second)
    pulled = [timeline.pull(1920, n * 0.04) for n in range(3)]
    audio = np.concatenate([p.audio for p in pulled])
    assert np.all(audio[:2400] == 0.25)
    assert np.all(audio[2400:3840] == 0.75)
    assert not audio[3840:].any()
    starts = [s for p in pulled for s in p.started]
    assert [s.t0 for s in starts] == pytest.approx([0.0, 0.05])
    assert starts[1].t1 == pytest.approx(0.08)
    assert timeline.idle


def test_underrun_places_late_speech_where_it_actually_starts():
    timeline = SpeechTimeline(SR)
    timeline.pull(1920, 0.0)
    timeline.push(speech(0.01))
    pulled = timeline.pull(1920, 0.04)
    assert pulled.started[0].t0 == pytest.approx(0.04)


def test_flush_fades_out_then_stops():
    timeline = SpeechTimeline(SR, fade_ms=10)
    timeline.push(speech(1.0, 1.0))
    timeline.push(speech(1.0, 1.0))
    timeline.pull(1920, 0.0)
    assert timeline.flush() == 2
    pulled = timeline.pull(1920, 0.04)
    fade = pulled.audio[:480]
    assert fade[0] == pytest.approx(1.0) and np.all(np.diff(fade) < 0)
    assert not pulled.audio[480:].any()
    assert timeline.idle and timeline.queued_seconds == 0


def test_rejects_wrong_rate_and_overflow():
    timeline = SpeechTimeline(SR, max_seconds=1.0)
    with pytest.raises(ValueError, match="22050"):
        timeline.push(Speech(Sentence("x"), np.zeros(100, np.float32), 22_050))
    timeline.push(speech(0.8))
    with pytest.raises(OverflowError):
        timeline.push(speech(0.5))


def test_wait_for_reports_availability():
    timeline = SpeechTimeline(SR)
    assert not timeline.wait_for(100, timeout=0.01)
    timeline.push(speech(0.01))
    assert timeline.wait_for(100, timeout=0.01)


def ramp(seconds: float) -> Speech:
    """Each sample's value is its own index: where playback resumed can be read off the audio."""
    return Speech(Sentence("x"), np.arange(int(seconds * SR), dtype=np.float32), SR)


def test_hold_falls_silent_at_once_and_resume_plays_on_from_there():
    timeline = SpeechTimeline(SR)
    timeline.push(ramp(0.2))
    timeline.push(speech(0.1))
    timeline.pull(1920, 0.0)
    assert timeline.hold() is False and timeline.hold() is True  # holding already
    held = timeline.pull(1920, 0.04)
    assert held.audio[:480].any() and not held.audio[480:].any()  # a 10 ms fade, then silence
    silent = [timeline.pull(1920, 0.08 + n * 0.04) for n in range(5)]
    assert not any(p.audio.any() or p.speaking or p.started for p in silent)  # the next one waits too
    assert timeline.playing and not timeline.idle  # its place is kept
    resumed = timeline.resume(0.28)
    assert resumed is not None and resumed.speech.sentence.text == "x"
    assert resumed.t0 == pytest.approx(0.28 - 1920 / SR)  # moved by the pause
    on = timeline.pull(1920, 0.28).audio
    assert on[0] == 0 and on[480] == pytest.approx(1920 + 480)  # fades back in from the same sample
    assert timeline.resume(0.32) is None  # not held


def test_flush_while_held_drops_everything_and_a_hold_between_sentences_waits_for_the_next():
    timeline = SpeechTimeline(SR)
    timeline.push(speech(0.2))
    timeline.pull(1920, 0.0)
    timeline.hold()
    timeline.pull(1920, 0.04)
    assert timeline.flush() == 1 and timeline.idle and not timeline.held
    assert not timeline.pull(1920, 0.08).audio.any()

    timeline.hold()  # nothing playing: the next sentence does not start
    timeline.push(speech(0.1))
    assert timeline.pull(1920, 0.12).started == ()
    assert timeline.resume(0.16) is None  # nothing was cut: it starts as a new sentence
    assert len(timeline.pull(1920, 0.16).started) == 1
