"""Loops of a small model kept off the air: the rules alone, then through the brain."""

import pytest
from test_brain import ScriptedBackend, ask, demo  # noqa: F401 (a fixture)

from livehost.brain.brain import Brain, Source
from livehost.brain.repetition import repetition


@pytest.mark.parametrize("sentence", [
    "No, no, no, no, no, no,",
    "Mia, mia, oh, oh, oh,",
    "好好好好好好",
    "I love it I love it I love it I love it.",
    "The blue kettle, it's a 5-year-old cast iron skillet, it's a 5-year-old cast iron skillet.",
])
def test_loops_are_caught(sentence):
    assert repetition(sentence) is not None


@pytest.mark.parametrize("sentence", [
    "Yes, yes, yes!",
    "Very, very good.",
    "Ha ha ha, that is a great question about the kettle.",
    "谢谢大家，欢迎来到直播间！",
    "The blue enamel kettle is 34.90 euros, and we have 12 in stock.",
    "Thank you! Thank you!",
])
def test_ordinary_sentences_pass(sentence):
    assert repetition(sentence) is None


def test_a_sentence_said_again_in_the_same_reply_or_copied_from_the_last_answer():
    line = "I am so happy to see you here tonight!"
    assert repetition(line, [line]) == "the model said a sentence twice"
    assert repetition(line, ["Hello there."]) is None
    assert repetition(line, [], f"Hi Ann. {line} Enjoy.") == "the model repeated its last answer"
    assert repetition("Thanks so much!", ["Thanks so much!"]) is None  # short lines may come twice


def test_the_brain_stops_a_loop_and_keeps_what_came_before(demo):
    backend = ScriptedBackend(["Welcome to the show! ", "No, no, no, no, no, no, ", "no, no, no. "], endless=True)
    reply, _ = ask(Brain(demo, backend), "hello")
    assert reply.text == "Welcome to the show!"
    assert reply.reason == "the model repeated itself"  # and the endless model was left (the test ends)


def test_a_reply_that_is_only_a_loop_gets_the_fallback_line(demo):
    brain = Brain(demo, ScriptedBackend(["No, no, no, no, no, no, no. "]))
    reply, _ = ask(brain, "hello")
    assert reply.source is Source.FALLBACK and reply.text
    assert "no, no" not in reply.text.lower() and reply.reason == "the model repeated itself"


def test_the_last_answer_copied_to_a_new_question_is_left_out_but_a_repeated_question_may_get_it(demo):
    same = "The details are available on the website for every order. "
    brain = Brain(demo, ScriptedBackend([same, "Anything else?"]))
    first, _ = ask(brain, "can I pay with paypal?")
    brain.remember(first)
    assert first.text == "The details are available on the website for every order. Anything else?"
    second, _ = ask(brain, "how long does shipping take?")
    assert second.text == "Anything else?" and second.reason == "the model repeated its last answer"
    brain.remember(first)
    again, _ = ask(brain, "Can I pay with PayPal?")
    assert again.text == first.text
