"""Lip-sync: visemes from phonemes with co-articulation, opening with loudness, closed in
pauses and within two ticks of silence; aligned from the audio when the engine gives no
timings."""

import numpy as np

from livehost.media.frames import PhonemeTiming
from livehost.motion.visemes import CLOSED, VisemeTrack, viseme_of

from motion_synth import DT, FPS, make_speech, render, sentence, times, track

WORDS = "many more people were watching today than yesterday"


def test_bilabials_close_and_open_vowels_open():
    phonemes = (PhonemeTiming("^", 0.0, 0.05), PhonemeTiming("m", 0.05, 0.13),
                PhonemeTiming("ˈ", 0.13, 0.15), PhonemeTiming("a", 0.15, 0.35),
                PhonemeTiming("p", 0.35, 0.42), PhonemeTiming("$", 0.42, 0.5))
    track_ = VisemeTrack(phonemes)
    jaw_m, _, _, press_m = track_.at(0.09)
    jaw_a, _, _, press_a = track_.at(0.26)
    assert press_m > 0.8 and jaw_m < 0.15
    assert jaw_a > 0.7 and press_a < 0.1
    assert track_.at(1.0) == (0.0, 0.0, 0.0, 0.0)  # after the last phoneme: closed


def test_coarticulation_blends_neighbours_but_reaches_closures():
    # A rounded /u/ between spread /i/s leaves its mark on their edges, not their middles.
    ph = [("i", 0.0, 0.15), ("u", 0.15, 0.25), ("i", 0.25, 0.4)]
    track_ = VisemeTrack(tuple(PhonemeTiming(*p) for p in ph))
    edge = track_.at(0.14)[2]
    middle = track_.at(0.05)[2]
    assert edge > middle + 0.1
    assert track_.at(0.2)[2] > 0.6


def test_stress_and_length_marks_fold_into_their_phonemes():
    ph = (PhonemeTiming("ˈ", 0.0, 0.05), PhonemeTiming("a", 0.05, 0.1), PhonemeTiming("ː", 0.1, 0.2))
    track_ = VisemeTrack(ph)
    assert len(track_.segments) == 1
    assert track_.segments[0].centre == 0.1


def test_mandarin_tone_arrows_lengthen_their_syllable_instead_of_closing_the_mouth():
    # Kokoro's Mandarin: 妈 "ma→", 马 "ma↓" — the tone comes after the vowel it belongs to
    ph = (PhonemeTiming("m", 0.0, 0.05), PhonemeTiming("a", 0.05, 0.15), PhonemeTiming("→", 0.15, 0.25),
          PhonemeTiming("m", 0.25, 0.3), PhonemeTiming("a", 0.3, 0.4), PhonemeTiming("↓", 0.4, 0.5))
    track_ = VisemeTrack(ph)
    assert len(track_.segments) == 4
    assert track_.at(0.2)[0] > 0.6  # still on the open vowel
    assert viseme_of("ꭧ").round > 0.5 and viseme_of("ʦ").width > 0.3


def test_unknown_symbols_get_a_guess_not_an_error():
    assert viseme_of("ɤ˥").jaw > 0.3  # a vowel with a tone letter
    assert viseme_of("ʈʂ").jaw < 0.3
    assert viseme_of("7") is CLOSED


def test_mouth_follows_loudness_and_closes_in_pauses():
    speech = make_speech(sentence(WORDS), pause_after=3)
    ticks, _ = render([speech], speech.duration + 0.5)
    jaw, t = track(ticks, "jaw"), times(ticks)
    pause = [p for p in speech.phonemes if p.phoneme == " " and p.end - p.start > 0.3][0]
    inside = (t >= pause.start + 0.08) & (t + DT <= pause.end - 0.08)
    assert inside.sum() >= 4 and jaw[inside].max() < 0.05
    vowels = [p for p in speech.phonemes if p.phoneme == "a"]
    at_vowels = [jaw[int((v.start + v.end) / 2 * FPS)] for v in vowels]
    assert min(at_vowels) > 0.4


def test_silence_closes_the_mouth_within_two_ticks():
    speech = make_speech(sentence("hello there"))
    ticks, _ = render([speech], speech.duration + 1.0)
    speaking = np.array([t.speaking for t in ticks])
    last = np.flatnonzero(speaking)[-1]
    assert track(ticks, "jaw")[last + 2 :].max() < 0.05
    assert track(ticks, "mouth_w")[last + 2 :].max() < 0.05


def test_speech_without_timings_is_aligned_from_its_audio():
    timed = make_speech(sentence(WORDS), pause_after=3)
    bare = make_speech(sentence(WORDS), pause_after=3, timings=False)
    a, _ = render([timed], timed.duration)
    b, _ = render([bare], bare.duration)
    jaw_a, jaw_b = track(a, "jaw"), track(b, "jaw")
    assert np.corrcoef(jaw_a, jaw_b)[0, 1] > 0.6
    pause = [p for p in timed.phonemes if p.phoneme == " " and p.end - p.start > 0.3][0]
    t = times(b)
    inside = (t >= pause.start + 0.08) & (t + DT <= pause.end - 0.08)
    assert jaw_b[inside].max() < 0.05 < jaw_b.max() - 0.3
