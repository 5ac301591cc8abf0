"""The trace sink: a long sentence, played clause by clause, is still one sentence line."""

from fractions import Fraction

import numpy as np
from media_probe import read_trace

from livehost.media.frames import (
    AVTick,
    Emphasis,
    FaceState,
    ScheduledSpeech,
    Sentence,
    SentenceKind,
    Speech,
)
from livehost.sinks.base import StreamSpec
from livehost.sinks.trace import TraceSink
from livehost.voice.clauses import split_clauses

SR = 48_000


def tick(index: int, *started: ScheduledSpeech) -> AVTick:
    return AVTick(index, index * 0.04, np.zeros((2, 2, 3), np.uint8), np.zeros(1920, np.float32), SR,
                  bool(started), FaceState(), started)


def scheduled(sentence: Sentence, t0: float, seconds: float = 1.0) -> ScheduledSpeech:
    return ScheduledSpeech(Speech(sentence, np.zeros(int(seconds * SR), np.float32), SR), t0)


def write(path, ticks) -> list[dict]:
    sink = TraceSink(path)
    sink.start(StreamSpec(2, 2, Fraction(25), SR))
    for t in ticks:
        sink.write(t)
    sink.finish(True)
    return read_trace(path)[1]


def test_clauses_merge_into_one_sentence_line(tmp_path):
    sentence = Sentence("Thanks so much for the follow, it really means a lot!", kind=SentenceKind.EXCLAMATION,
                        emphasis=(Emphasis("follow", 5), Emphasis("lot", 10)))
    first, last = split_clauses(sentence)
    events = write(tmp_path / "t.jsonl", [tick(0, scheduled(first, 0.0)), tick(25), tick(28, scheduled(last, 1.12)),
                                          tick(60, scheduled(Sentence("Bye now."), 3.0))])
    assert [e["text"] for e in events] == [sentence.text, "Bye now."]
    assert events[0]["kind"] == "exclamation" and events[0]["t0"] == 0.0 and events[0]["t1"] == 2.12
    assert [m["word"] for m in events[0]["emphasis"]] == ["follow", "lot"]


def test_an_interrupted_sentence_keeps_what_played(tmp_path):
    first, _ = split_clauses(Sentence("Today we are looking at the new kettle, and it boils water fast."))
    events = write(tmp_path / "t.jsonl", [tick(0, scheduled(first, 0.0)), tick(30, scheduled(Sentence("Yes?"), 1.2))])
    assert [(e["text"], e["kind"]) for e in events] == [(first.text, "clause"), ("Yes?", "statement")]
