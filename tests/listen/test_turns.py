"""Turn-taking rules, frame by frame (32 ms frames: no clock, no threads)."""

import math

import numpy as np
import pytest

from livehost.listen.turns import (
    FalseStart,
    Onset,
    Pause,
    TurnConfig,
    TurnDetector,
    TurnEnd,
    sounds_unfinished,
)
from livehost.listen.vad import FRAME, SAMPLE_RATE

FRAME_S = FRAME / SAMPLE_RATE


def run(detector, pattern):
    """pattern: a list of (probability, seconds); returns [(frame index, event)]."""
    out, i = [], 0
    for p, seconds in pattern:
        for _ in range(round(seconds / FRAME_S)):
            frame = np.full(FRAME, i, np.float32)  # each frame's samples carry its index
            out += [(i, e) for e in detector.push(frame, p)]
            i += 1
    return out


def kinds(events, kind):
    return [(i, e) for i, e in events if isinstance(e, kind)]


def test_a_turn_ends_after_the_end_silence_with_its_audio_and_pre_roll():
    cfg = TurnConfig(end_silence_s=0.3, pre_roll_s=0.2)
    events = run(TurnDetector(cfg), [(0.0, 1.0), (0.9, 1.0), (0.1, 1.0)])
    (end_at, end), = kinds(events, TurnEnd)
    first_voiced = round(1.0 / FRAME_S)
    last_voiced = first_voiced + round(1.0 / FRAME_S) - 1
    assert end_at == last_voiced + math.ceil(0.3 / FRAME_S)  # the first frame past the silence
    assert end.start == first_voiced * FRAME and end.end == (last_voiced + 1) * FRAME
    frames = end.audio.reshape(-1, FRAME)[:, 0]
    pre = round(0.2 / FRAME_S)
    assert list(frames) == list(range(first_voiced - pre, last_voiced + 1))  # no trailing silence
    assert not kinds(events, FalseStart)


def test_short_sounds_are_false_starts_not_turns():
    events = run(TurnDetector(TurnConfig(min_speech_s=0.25)), [(0.0, 0.5), (0.9, 0.16), (0.0, 1.0)])
    assert not kinds(events, TurnEnd) and not kinds(events, Pause)
    (_, false_start), = kinds(events, FalseStart)
    assert false_start.voiced_s == pytest.approx(0.16, abs=FRAME_S)


def test_onsets_count_voiced_time_and_a_pause_comes_once_per_silence():
    events = run(TurnDetector(TurnConfig(end_silence_s=0.5)),
                 [(0.9, 0.4), (0.1, 0.2), (0.9, 0.4), (0.1, 0.6)])
    onsets = [e.voiced_s for _, e in kinds(events, Onset)]
    assert onsets == sorted(onsets) and onsets[-1] == pytest.approx(0.8, abs=2 * FRAME_S)
    pauses = kinds(events, Pause)
    assert len(pauses) == 2  # one per silence; the short one did not end the turn
    (_, end), = kinds(events, TurnEnd)
    assert pauses[-1][1].end == end.end and len(pauses[-1][1].audio) == len(end.audio)


def test_unfinished_phrases_wait_longer():
    detector = TurnDetector(TurnConfig(end_silence_s=0.3, unfinished_silence_s=0.9))
    run(detector, [(0.9, 0.5)])
    detector.unfinished = True  # the transcript so far ends with "and"
    events = run(detector, [(0.1, 0.6)])
    assert not kinds(events, TurnEnd)
    events = run(detector, [(0.1, 0.4)])
    assert kinds(events, TurnEnd)


def test_hysteresis_keeps_a_turn_through_a_dip_and_max_turn_cuts_it():
    events = run(TurnDetector(TurnConfig(threshold=0.5, off_threshold=0.3, max_turn_s=2.0)),
                 [(0.9, 0.3), (0.4, 3.0)])
    (_, end), = kinds(events, TurnEnd)
    assert end.forced and (end.end - end.start) / SAMPLE_RATE == pytest.approx(2.0, abs=FRAME_S)


def test_a_raised_threshold_ignores_quieter_speech():
    detector = TurnDetector()
    frame = np.zeros(FRAME, np.float32)
    assert detector.push(frame, 0.7, threshold=0.85) == [] and not detector.in_speech
    assert detector.push(frame, 0.9, threshold=0.85) and detector.in_speech


@pytest.mark.parametrize("text, unfinished", [
    ("I want the kettle and", True), ("so I was thinking,", True), ("what about the", True),
    ("is it waterproof?", False), ("thanks", False), ("I like it.", False), ("", False),
    ("我想要这个还有", True), ("多少钱", False), ("and so.", False),
    ("is the cast iron skillet heavy,", False), ("is it the one with the,", True)])
def test_sounds_unfinished(text, unfinished):
    assert sounds_unfinished(text) is unfinished
