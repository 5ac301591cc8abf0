"""The voice worker around any engine: resampling, timings, failures, interrupts, and long
sentences spoken clause by clause."""

import threading
import time

import numpy as np
import pytest

from livehost.brain.sentences import kind_of
from livehost.media.frames import (
    Emphasis,
    PhonemeTiming,
    ScheduledSpeech,
    Sentence,
    SentenceKind,
    Speech,
)
from livehost.media.timeline import SpeechTimeline
from livehost.motion.align import ensure_timings
from livehost.sinks.trace import sentence_event
from livehost.voice.base import SynthChunk
from livehost.voice.clauses import split_clauses
from livehost.voice.timing import words_of
from livehost.voice.worker import VoiceWorker, join_chunks, with_pause

SR = 48_000


def syllables(rate: int, count: int = 3) -> np.ndarray:
    """Voiced 150 Hz bursts separated by pauses: something an aligner can segment."""
    burst = 0.4 * np.sin(2 * np.pi * 150 * np.arange(int(0.25 * rate)) / rate)
    pause = np.zeros(int(0.15 * rate))
    return np.concatenate([np.concatenate([burst, pause]) for _ in range(count)]).astype(np.float32)


class ScriptedEngine:
    """Plays back what the test scripts; no timings, like a remote server."""

    name = "scripted"

    def __init__(self, rate=24_000, fail_on=(), gate: threading.Event | None = None):
        self.rate, self.fail_on, self.gate, self.calls = rate, set(fail_on), gate, []

    def synthesize(self, text):
        self.calls.append(text)
        if self.gate is not None:
            self.gate.wait(5)
        if text in self.fail_on:
            raise RuntimeError("server said 500")
        yield SynthChunk(syllables(self.rate)[: self.rate // 2], self.rate)
        yield SynthChunk(syllables(self.rate)[self.rate // 2:], self.rate)


def drain(worker, timeout=10.0):
    assert worker.wait_idle(timeout)
    assert not worker.busy


def test_join_chunks_resamples_and_shifts_timings():
    chunks = [SynthChunk(np.zeros(22_050, np.float32), 22_050, (PhonemeTiming("a", 0.1, 0.2),)),
              SynthChunk(np.zeros(11_025, np.float32), 22_050, (PhonemeTiming("b", 0.0, 0.3),))]
    speech = join_chunks(Sentence("a b"), chunks, SR)
    assert abs(len(speech.pcm) - 1.5 * SR) <= 2
    assert [(p.phoneme, round(p.start, 3)) for p in speech.phonemes] == [("a", 0.1), ("b", 1.0)]
    # No word breaks among the phonemes: the two words spread over the voiced span.
    assert [w.word for w in speech.words] == ["a", "b"]
    assert speech.words[0].start == pytest.approx(0.1) and speech.words[-1].end == pytest.approx(1.3)


def test_join_chunks_leaves_no_seams_at_chunk_borders():
    rate = 24_000
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate)).astype(np.float32)
    pieces = [SynthChunk(piece, rate) for piece in np.array_split(tone, 8)]
    joined = join_chunks(Sentence("la"), pieces, SR).pcm
    whole = join_chunks(Sentence("la"), [SynthChunk(tone, rate)], SR).pcm
    assert len(joined) == len(whole) == SR
    # Resampling each piece alone left -52 dB edges at every border; one stream leaves none.
    assert np.abs(joined - whole).max() < 1e-4


def test_engines_without_timings_get_them_in_the_worker_thread():
    timeline = SpeechTimeline(SR)
    sentence = Sentence("one two three", emphasis=(Emphasis("two", 1),))
    worker = VoiceWorker(ScriptedEngine(), timeline, prepare=ensure_timings)
    worker.say(sentence)
    drain(worker)
    pulled = timeline.pull(SR * 2, 0.0)
    speech = pulled.started[0].speech
    assert speech.sample_rate == SR and abs(speech.duration - 1.2) < 0.01
    assert speech.phonemes and [w.word for w in speech.words] == ["one", "two", "three"]
    event = sentence_event(ScheduledSpeech(speech, 5.0))
    assert 5.0 < event["emphasis"][0]["t"] < 5.0 + speech.duration
    worker.close()


def test_a_failing_sentence_is_skipped_and_the_next_one_plays():
    timeline = SpeechTimeline(SR)
    worker = VoiceWorker(ScriptedEngine(fail_on={"bad"}), timeline)
    for text in ("bad", "good"):
        worker.say(Sentence(text))
    drain(worker)
    assert worker.failures == 1
    assert [s.speech.sentence.text for s in timeline.pull(SR * 2, 0.0).started] == ["good"]
    worker.close()


def test_interrupt_drops_pending_and_in_flight_sentences():
    gate = threading.Event()
    timeline = SpeechTimeline(SR)
    engine = ScriptedEngine(gate=gate)
    worker = VoiceWorker(engine, timeline)
    for text in ("first", "second", "third"):
        worker.say(Sentence(text))
    time.sleep(0.05)  # "first" is in flight, held by the gate
    worker.interrupt()
    worker.say(Sentence("after"))
    gate.set()
    drain(worker)
    assert timeline.queued_seconds == pytest.approx(1.2, abs=0.01)
    assert [s.speech.sentence.text for s in timeline.pull(SR * 2, 0.0).started] == ["after"]
    assert engine.calls == ["first", "after"]
    worker.close()


class HeldEngine(ScriptedEngine):
    """Holds every call after the first until the test opens the gate; its audio ends on a
    sound, with no pause after it."""

    def synthesize(self, text):
        self.calls.append(text)
        if len(self.calls) > 1:
            self.gate.wait(5)
        yield SynthChunk(syllables(self.rate)[: -int(0.15 * self.rate)], self.rate)


def test_a_long_sentence_plays_its_first_clause_while_the_rest_is_made():
    gate = threading.Event()
    timeline = SpeechTimeline(SR)
    worker = VoiceWorker(HeldEngine(gate=gate), timeline)
    worker.say(Sentence("Today we are looking at the new kettle, and it boils water in three minutes?",
                        kind=SentenceKind.QUESTION, emphasis=(Emphasis("kettle", 7), Emphasis("boils", 10))))
    assert timeline.wait_for(int(1.1 * SR), timeout=5)  # the first clause, while the second is held
    first = timeline.pull(SR // 10, 0.0).started[0].speech
    assert first.sentence.text == "Today we are looking at the new kettle,"
    assert first.sentence.kind is SentenceKind.CLAUSE
    assert [(m.word, m.index) for m in first.sentence.emphasis] == [("kettle", 7)]
    gate.set()
    drain(worker)
    second = timeline.pull(3 * SR, 0.1).started[0].speech
    assert second.sentence.text == "and it boils water in three minutes?"
    assert second.sentence.kind is SentenceKind.QUESTION
    assert [(m.word, m.index) for m in second.sentence.emphasis] == [("boils", 2)]
    # A breath after the comma; the sentence's last clause ends as the engine ended it.
    assert first.duration == pytest.approx(1.05 + 0.12, abs=0.001)
    assert second.duration == pytest.approx(1.05, abs=0.001)
    worker.close()


def test_with_pause_tops_up_what_the_engine_left():
    speech = Speech(Sentence("a,"), np.concatenate([np.ones(480), np.zeros(2400)]).astype(np.float32), SR)
    assert with_pause(speech, 0.02) is speech  # 50 ms of silence already
    assert len(with_pause(speech, 0.1).pcm) == 480 + int(0.1 * SR)


@pytest.mark.parametrize("text, pieces", [
    ("Thanks so much for the follow, it really means a lot!",
     ["Thanks so much for the follow,", "it really means a lot!"]),
    ("Yes, we do.", ["Yes, we do."]),  # too short to cut
    ("Hello, hi, this is the longer clause here, ok?", ["Hello, hi, this is the longer clause here, ok?"]),
    ("Well, first of all: the kettle is back; and it ships today.",
     ["Well, first of all:", "the kettle is back;", "and it ships today."]),
    ("Well, first of all: the kettle is back; it ships.", ["Well, first of all:", "the kettle is back; it ships."]),
    ("欢迎来到直播间，今天我们有很多新产品，快来看看吧！", ["欢迎来到直播间，", "今天我们有很多新产品，", "快来看看吧！"]),
])
def test_split_clauses(text, pieces):
    clauses = split_clauses(Sentence(text, kind=kind_of(text)))
    assert [c.text for c in clauses] == pieces
    assert [c.kind for c in clauses[:-1]] == [SentenceKind.CLAUSE] * (len(pieces) - 1)
    assert clauses[-1].kind is kind_of(text)
    assert sum(len(words_of(c.text)) for c in clauses) == len(words_of(text))
