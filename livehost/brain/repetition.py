"""A small model's loops, caught before they are spoken: a word or phrase stuttered over and
over ("No, no, no, no, no, no,"), a phrase said twice in one sentence, a sentence said again
in the same reply, or the last answer given again word for word to a different question
(once a loop is in the conversation's memory, a 135M model copies it into every reply)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# A unit is a word, or one CJK character (Chinese has no spaces to split words at).
_UNIT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+(?:['’][^\W_]+)?")
_STUTTER_MAX_N = 4  # phrases of up to this many units, repeated back to back
_STUTTER_TIMES = 3
_ECHO_N = 5  # a phrase this long said twice within one sentence is a loop
_SAME_MIN_UNITS = 5  # shorter sentences ("Thank you!") may well be said twice
COPIED = "the model repeated its last answer"  # one sentence to leave out; the others are loops


def units(text: str) -> list[str]:
    return [u.lower() for u in _UNIT.findall(text)]


def stutter(words: Sequence[str]) -> bool:
    """Four units or more, and half of them a repeat of the unit just before ("Mia, mia, oh,
    oh, oh,"), or a phrase of ≤4 units said ≥3 times in a row over half the sentence ("I love
    it I love it I love it"). Three units are exempt: "Yes, yes, yes!" is said on purpose."""
    if len(words) < 4:
        return False
    if 2 * sum(a == b for a, b in zip(words, words[1:])) >= len(words):
        return True
    for n in range(2, _STUTTER_MAX_N + 1):
        for start in range(len(words) - n * _STUTTER_TIMES + 1):
            phrase = words[start:start + n]
            times = 1
            while words[start + times * n:start + (times + 1) * n] == phrase:
                times += 1
            if times >= _STUTTER_TIMES and times * n * 2 >= len(words):
                return True
    return False


def echo(words: Sequence[str]) -> bool:
    seen = set()
    for i in range(len(words) - _ECHO_N + 1):
        gram = tuple(words[i:i + _ECHO_N])
        if gram in seen:
            return True
        seen.add(gram)
    return False


def _within(words: Sequence[str], text: str) -> bool:
    return f" {' '.join(words)} " in f" {' '.join(units(text))} "


def repetition(sentence: str, said: Sequence[str] = (), last_answer: str = "") -> str | None:
    """Why ``sentence`` is a loop, or None. ``said``: the reply's sentences so far;
    ``last_answer``: the previous reply, when it answered a different message."""
    words = units(sentence)
    if stutter(words):
        return "the model repeated itself"
    if echo(words):
        return "the model said a phrase twice"
    if len(words) >= _SAME_MIN_UNITS:
        if any(units(s) == words for s in said):
            return "the model said a sentence twice"
        if last_answer and _within(words, last_answer):
            return COPIED
    return None
