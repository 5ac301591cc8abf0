"""What of an interrupted reply was heard: whole sentences that played, and the words of the
one playing up to the interrupt (the brain remembers only that)."""

import numpy as np

from livehost.host import heard_text
from livehost.media.frames import ScheduledSpeech, Sentence, Speech, WordTiming

SR = 48_000


def scheduled(text, t0, words=()):
    speech = Speech(Sentence(text), np.zeros(SR, np.float32), SR, words=tuple(words))  # 1 s long
    return ScheduledSpeech(speech, t0)


def test_whole_sentences_and_the_words_before_the_interrupt():
    started = [
        scheduled("Welcome back.", 0.0),
        scheduled("The kettle is lovely today", 1.0,
                  [WordTiming("The", 0.0, 0.1), WordTiming("kettle", 0.1, 0.4), WordTiming("is", 0.5, 0.6),
                   WordTiming("lovely", 0.6, 0.9)]),
    ]
    assert heard_text(started, 1.45) == "Welcome back. The kettle"
    assert heard_text(started, 0.5) == "Welcome back."
    assert heard_text(started, 5.0) == "Welcome back. The kettle is lovely today"


def test_a_sentence_without_word_timings_counts_once_it_started():
    assert heard_text([scheduled("Hello there.", 2.0)], 2.5) == "Hello there."
    assert heard_text([scheduled("Hello there.", 2.0)], 1.0) == ""
