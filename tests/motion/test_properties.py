"""No tag stream — random, adversarial, garbage — pushes the head past its limits or its
speed limit, or makes it jitter; the rest of the face stays in range."""

import math

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from livehost.brain.tags import EMOTIONS
from livehost.media.frames import Emphasis, SentenceKind
from livehost.motion.styles import HARD_LIMITS, load_style

from motion_synth import DT, make_speech, render, sentence, track

STYLES = ["friendly", "lively", "calm", "business", "serious"]
UNIT_FIELDS = ("jaw", "mouth_w", "mouth_round", "lip_press", "smile", "blink_l", "blink_r", "brow")
wild_float = st.one_of(st.sampled_from([1.0, 0.0, math.nan, math.inf, -1.0, 7.0]),
                       st.floats(allow_nan=True, allow_infinity=True), st.floats(-2, 3))


@st.composite
def tag_streams(draw):
    sentences = []
    for _ in range(draw(st.integers(1, 4))):
        n_words = draw(st.integers(1, 14))
        text = " ".join(f"w{i}" for i in range(n_words))
        emphasis = draw(st.lists(
            st.builds(Emphasis, st.text(max_size=4), st.integers(-3, 20), wild_float), max_size=100))
        sentences.append(sentence(
            text,
            kind=draw(st.sampled_from([*SentenceKind, "shout", None])),
            emotion=draw(st.one_of(st.sampled_from(EMOTIONS), st.text(max_size=10), st.none())),
            emphasis=emphasis,
            intensity=draw(wild_float),
        ))
    return sentences


def reversals(x: np.ndarray, visible: float = 0.05) -> int:
    """Back-and-forth moves of a visible size: the signature of jitter."""
    d = np.diff(x)
    d = d[np.abs(d) > visible]
    return int(np.sum(np.sign(d[1:]) != np.sign(d[:-1])))


_WORDS = " ".join(f"w{i}" for i in range(12))
# Found by hand: without the limiter this reaches 17° of pitch at 260°/s.
_EXTREME = [sentence(_WORDS, SentenceKind.QUESTION, "excited", [Emphasis("w", i, 1.0) for i in range(0, 12, 2)], 1.0)] * 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=tag_streams(), style=st.sampled_from(STYLES), seed=st.integers(0, 2**16),
       interrupt_at=st.one_of(st.none(), st.integers(0, 60)),
       switch_to=st.one_of(st.none(), st.sampled_from(STYLES)),
       f0_rise=st.floats(-60, 200))
@example(stream=_EXTREME, style="lively", seed=0, interrupt_at=None, switch_to=None, f0_rise=200.0)
# Found by a full run: a voice leaping 110 → 302 Hz word to word nodded 4.3 times a second.
@example(stream=[sentence(" ".join(f"w{i}" for i in range(7))), sentence("w0"), sentence("w0")], style="friendly",
         seed=0, interrupt_at=None, switch_to="lively", f0_rise=192.0)
def test_no_tag_stream_breaks_limits_or_jitters(stream, style, seed, interrupt_at, switch_to, f0_rise):
    speeches = [make_speech(s, f0=(110, 110 + f0_rise), seed=i) for i, s in enumerate(stream)]
    seconds = sum(s.duration for s in speeches) + 1.0

    def control(loop, i):
        if i == interrupt_at:
            loop.interrupt()
        if switch_to and i == 20:
            loop.motion.set_style(load_style(switch_to))
        if i == 30:
            loop.motion.set_listening(not loop.motion.listening)

    ticks, motion = render(speeches, seconds, style=style, seed=seed, before=control)
    pose = np.stack([track(ticks, a) for a in ("pitch", "yaw", "roll")], axis=1)
    assert np.isfinite(pose).all()
    for k, axis in enumerate(("pitch", "yaw", "roll")):
        assert np.abs(pose[:, k]).max() <= HARD_LIMITS[axis] + 1e-9
    fastest = max(load_style(style).limits.max_velocity, load_style(switch_to or style).limits.max_velocity)
    speed = np.linalg.norm(np.diff(pose, axis=0), axis=1) / DT
    assert speed.max() <= fastest + 1e-6
    for name in UNIT_FIELDS:
        values = track(ticks, name)
        assert np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0, name
    per_second = max(reversals(pose[:, k]) for k in range(3)) / seconds
    assert per_second <= 4.0, per_second


def test_a_hundred_emphases_and_an_emotion_per_word_stay_smooth():
    words = " ".join(f"w{i}" for i in range(100))
    flood = sentence(words, SentenceKind.EXCLAMATION, emotion="excited", intensity=1.0,
                     emphasis=[Emphasis(f"w{i}", i, 1.0) for i in range(100)])
    flips = [sentence(f"w{i}", emotion=EMOTIONS[i % len(EMOTIONS)], intensity=1.0,
                      emphasis=[Emphasis(f"w{i}", 0, 1.0)]) for i in range(40)]
    speeches = [make_speech(flood)] + [make_speech(s) for s in flips]
    seconds = sum(s.duration for s in speeches) + 1.0
    ticks, _ = render(speeches, seconds, style="lively")
    pose = np.stack([track(ticks, a) for a in ("pitch", "yaw", "roll")], axis=1)
    peaks = np.abs(pose).max(axis=0)  # pitch, yaw, roll: each axis within its own limit
    assert (peaks <= [HARD_LIMITS[a] + 1e-9 for a in ("pitch", "yaw", "roll")]).all(), peaks
    speed = np.linalg.norm(np.diff(pose, axis=0), axis=1) / DT
    assert speed.max() <= load_style("lively").limits.max_velocity + 1e-6
    assert max(reversals(pose[:, k]) for k in range(3)) / seconds <= 4.0
    # The face still means something: nods happened (it did not freeze to stay in bounds).
    assert np.ptp(pose[:, 0]) > 3.0
