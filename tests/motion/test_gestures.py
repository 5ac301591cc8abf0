"""The pose fine-tuner under the media clock: nods on stressed words, questions lift the head,
exclamations raise the brows, statements settle, emotions hold their posture."""

import numpy as np
import pytest

from livehost.media.frames import Emphasis, ScheduledSpeech, SentenceKind
from livehost.motion.expressive import ExpressiveMotion
from livehost.motion.gestures import Gesture, plan
from livehost.motion.speech import activate
from livehost.motion.styles import load_style
from livehost.sinks.trace import sentence_event

from motion_synth import FPS, make_speech, render, sentence, times, track

TEXT = "we will open the doors at nine tomorrow morning for everyone here"


def emphasis_times(ticks):
    return [(e["word"], e["t"]) for t in ticks for s in t.started for e in sentence_event(s)["emphasis"]]


@pytest.mark.parametrize("style", ["friendly", "lively", "calm", "business", "serious"])
def test_every_emphasis_gets_a_nod_whose_lowest_point_is_on_the_word(style):
    marks = [Emphasis("open", 2), Emphasis("nine", 6), Emphasis("everyone", 10)]
    speeches = [
        make_speech(sentence(TEXT, emphasis=marks)),
        make_speech(sentence("are you really sure about that one", SentenceKind.QUESTION,
                             emphasis=[Emphasis("sure", 3)])),
    ]
    ticks, _ = render(speeches, 7.0, style=style)
    pitch, t = track(ticks, "pitch"), times(ticks)
    stressed = emphasis_times(ticks)
    assert len(stressed) == 4
    for word, at in stressed:
        window = (t > at - 0.3) & (t < at + 0.3)
        lowest = t[window][np.argmin(pitch[window])]
        assert abs(lowest - at) <= 0.08, (style, word, lowest, at)
        # A real dip: the lowest point is clearly below the pitch around it.
        assert pitch[window].max() - pitch[window].min() > 1.0, (style, word)


def test_emphases_closer_than_the_spacing_share_one_nod():
    close = [Emphasis("open", 2, 0.5), Emphasis("the", 3, 1.0)]  # 0.32 s apart
    active = activate(ScheduledSpeech(make_speech(sentence(TEXT, emphasis=close)), 0.0))
    nods = [g for g in plan(active, load_style("friendly"), 1.0) if g.kind == "nod"]
    assert len(nods) == 1 and nods[0].peak == pytest.approx(active.word_stress(3))


def test_question_lifts_the_head_and_brows_toward_its_end():
    words = "are you coming to the show tonight with all your friends"
    question = make_speech(sentence(words, SentenceKind.QUESTION))
    statement = make_speech(sentence(words, SentenceKind.STATEMENT))
    q_ticks, _ = render([question], 4.0, seed=3)
    s_ticks, _ = render([statement], 4.0, seed=3)
    t = times(q_ticks)
    dur = question.duration
    first, last = (t < 0.3 * dur), (t > 0.7 * dur) & (t < dur)
    q_pitch, s_pitch = track(q_ticks, "pitch"), track(s_ticks, "pitch")
    assert q_pitch[last].mean() > q_pitch[first].mean() + 1.5
    assert q_pitch[last].mean() > s_pitch[last].mean() + 1.5
    assert track(q_ticks, "brow")[last].mean() > 0.25 > track(s_ticks, "brow")[last].mean()


def test_statement_settles_back_to_centre():
    speech = make_speech(sentence(TEXT, emphasis=[Emphasis("nine", 6)]), f0=(150, 100))
    ticks, _ = render([speech], speech.duration + 3.0, style="friendly")
    t = times(ticks)
    after = t > speech.duration + 2.0
    for axis in ("pitch", "yaw", "roll"):
        # Only idle sway remains (friendly: 0.6° of drift plus the eyes' pull on the yaw).
        assert np.abs(track(ticks, axis)[after]).max() < 2.0, axis


def test_exclamation_raises_the_brows_and_gives_a_quick_up_nod():
    words = "thanks so much for the follow everyone"
    ex = make_speech(sentence(words, SentenceKind.EXCLAMATION, emphasis=[Emphasis("much", 2)]))
    st = make_speech(sentence(words, SentenceKind.STATEMENT, emphasis=[Emphasis("much", 2)]))
    e_ticks, _ = render([ex], 3.0, seed=1)
    s_ticks, _ = render([st], 3.0, seed=1)
    early = times(e_ticks) < 1.0
    assert track(e_ticks, "brow")[early].max() > 0.3
    assert track(s_ticks, "brow").max() < 0.1
    assert track(e_ticks, "brow")[-1] < 0.1  # raised, not frozen up
    # Right after the stressed word the exclamation's pitch rises above the statement's.
    at = emphasis_times(e_ticks)[0][1]
    t = times(e_ticks)
    after = (t > at + 0.05) & (t < at + 0.35)
    assert (track(e_ticks, "pitch")[after] - track(s_ticks, "pitch")[after]).max() > 1.5


def test_concerned_tilts_leans_in_and_blinks_slower():
    words = "unfortunately the parcel is delayed by two more days"
    neutral = make_speech(sentence(words))
    concerned = make_speech(sentence(words, emotion="concerned", intensity=0.8))
    n_ticks, _ = render([neutral], 3.5, seed=2)
    c_ticks, c_motion = render([concerned], 3.5, seed=2)
    late = times(c_ticks) > 1.5
    assert track(c_ticks, "roll")[late].mean() < track(n_ticks, "roll")[late].mean() - 2.0
    assert track(c_ticks, "pitch")[late].mean() < track(n_ticks, "pitch")[late].mean() - 1.0
    assert c_motion.posture.current.blink_speed < 0.8


@pytest.mark.parametrize("seed", range(3))
def test_excited_moves_faster_than_neutral(seed):
    words = ("we just hit ten thousand followers thank you all so much and we are going to "
             "celebrate with a huge giveaway tonight")
    calm = render([make_speech(sentence(words), f0=(160, 110))], 5.0, seed=seed)[0]
    wild = render([make_speech(sentence(words, emotion="excited", intensity=1.0), f0=(160, 110))], 5.0, seed=seed)[0]

    def speed(ticks):  # mean angular speed, degrees per tick
        return sum(np.abs(np.diff(track(ticks, a))).mean() for a in ("pitch", "yaw", "roll"))

    assert speed(wild) > 1.5 * speed(calm)


@pytest.mark.parametrize("region, axis", [("", "pitch"), ("BG", "yaw"), ("IN", "roll")])
def test_yes_is_said_the_way_the_region_says_it(region, axis):
    style = load_style("friendly", region=region)
    motion = ExpressiveMotion(style, FPS)
    ticks, _ = render([make_speech(sentence("yes that works for me"))], 1.6, motion=motion)
    swing = {a: np.ptp(track(ticks, a)[: int(1.2 * FPS)]) for a in ("pitch", "yaw", "roll")}
    assert max(swing, key=swing.get) == axis, swing


def test_interrupt_fades_gestures_and_closes_the_mouth():
    # "open" nods around the cut (its stressed vowel at 0.84 s); "everyone" and the question's
    # lift come later and are dropped.
    marks = [Emphasis("open", 2), Emphasis("everyone", 10)]
    speech = make_speech(sentence(TEXT, SentenceKind.QUESTION, emphasis=marks))
    cut = int(1.0 * FPS)
    fade_end = cut + int(np.ceil(Gesture.FADE * FPS))

    def run(interrupt: bool):
        motion = ExpressiveMotion(load_style("friendly"), FPS)
        offsets = []  # the gestures' (pitch, yaw, roll, brow) at each tick, as the motion sees them

        def before(loop, i):
            if interrupt and i == cut:
                loop.interrupt()
            offsets.append(motion.gestures.at((i + 0.5) / FPS))

        ticks, _ = render([speech], 3.0, motion=motion, before=before)
        return ticks, np.abs(np.array(offsets)), motion

    ticks, cut_offsets, motion = run(interrupt=True)
    full_ticks, full_offsets, _ = run(interrupt=False)
    jaw = track(ticks, "jaw")
    assert jaw[cut + 2 :].max() < 0.05  # the audio fades within the first tick, the mouth in two
    assert motion.gestures.gestures == []
    # The nod in flight fades out rather than snapping back: weaker than uninterrupted, not gone.
    assert 0.0 < cut_offsets[cut + 1, 0] < full_offsets[cut + 1, 0]
    # After the fade no gesture moves the face, though uninterrupted ones would have.
    assert cut_offsets[fade_end:].max() == 0.0
    assert full_offsets[fade_end:, 0].max() > 2.0 and full_offsets[fade_end:, 3].max() > 0.3
    # The head comes back to rest instead of going on with the question's lift and the nod.
    late = times(ticks) > 1.3
    assert np.abs(track(ticks, "pitch")[late]).max() < 1.0 < np.abs(track(full_ticks, "pitch")[late]).max()
