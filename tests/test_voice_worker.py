"""The voice worker around any engine: resampling, timings, failures, interrupts."""

import threading
import time

import numpy as np
import pytest

from livehost.media.frames import Emphasis, PhonemeTiming, ScheduledSpeech, Sentence
from livehost.media.timeline import SpeechTimeline
from livehost.motion.align import ensure_timings
from livehost.sinks.trace import sentence_event
from livehost.voice.base import SynthChunk
from livehost.voice.worker import VoiceWorker, join_chunks

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
    deadline = time.monotonic() + timeout
    while worker.busy and time.monotonic() < deadline:
        time.sleep(0.01)
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
