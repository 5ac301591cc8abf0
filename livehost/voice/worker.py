"""The voice worker: sentences in, speech on the timeline, in a thread of its own so the
render loop never waits for a model."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np

from livehost.media.audio import StreamResampler, audible_end
from livehost.media.frames import PhonemeTiming, Sentence, Speech, WordTiming
from livehost.media.timeline import SpeechTimeline

from .base import SynthChunk, TTSEngine
from .cache import SpeechCache
from .clauses import pause_after, split_clauses
from .timing import words_from_phonemes

log = logging.getLogger(__name__)


def join_chunks(
    sentence: Sentence, chunks: list[SynthChunk], sample_rate: int
) -> Speech:
    """One Speech at ``sample_rate`` from an engine's chunks, timings shifted to match.

    Chunks are resampled as one stream, so chunk borders leave no filter edges in the sound,
    and timings are shifted by each chunk's own duration, so they cannot drift from it."""
    pcm_parts: list[np.ndarray] = []
    phonemes: list[PhonemeTiming] = []
    words: list[WordTiming] = []
    offset = 0.0
    stream: StreamResampler | None = None
    for chunk in chunks:
        if stream is None or stream.from_rate != chunk.sample_rate:
            if stream is not None:
                pcm_parts.append(stream.push(np.zeros(0, np.float32), last=True))
            stream = StreamResampler(chunk.sample_rate, sample_rate)
        pcm_parts.append(stream.push(chunk.pcm))
        phonemes += [replace(p, start=p.start + offset, end=p.end + offset) for p in chunk.phonemes]
        words += [replace(w, start=w.start + offset, end=w.end + offset) for w in chunk.words]
        offset += len(chunk.pcm) / chunk.sample_rate
    if stream is not None:
        pcm_parts.append(stream.push(np.zeros(0, np.float32), last=True))
    pcm = np.concatenate(pcm_parts) if pcm_parts else np.zeros(0, np.float32)
    if not words and phonemes:
        words = list(words_from_phonemes(sentence.text, tuple(phonemes)))
    return Speech(sentence, pcm.astype(np.float32), sample_rate, tuple(phonemes), tuple(words))


def with_pause(speech: Speech, seconds: float) -> Speech:
    """``speech`` ending in at least ``seconds`` of silence: what the engine left after the
    last sound counts toward it."""
    pcm = speech.pcm
    trailing = len(pcm) - audible_end(pcm, speech.sample_rate, floor_db=-40.0)
    missing = int(seconds * speech.sample_rate) - trailing
    if missing <= 0:
        return speech
    return replace(speech, pcm=np.concatenate([pcm, np.zeros(missing, np.float32)]))


_WAKE = object()  # not a job: tells an idle worker there is warming to do


class VoiceWorker:
    """Synthesizes queued sentences in order and pushes them onto the timeline, a long
    sentence clause by clause (each clause as soon as it is made).

    A failing sentence is logged and skipped; the worker keeps going. ``interrupt()`` drops
    the queue and discards the sentence being synthesized. Speech made earlier (a cache hit)
    is queued with ``play`` and keeps its place in the order. ``warm`` fills a cache with
    background work that runs only while nothing is waiting to be said, one sentence at a
    time, so it never holds an answer back by more than one sentence.
    """

    def __init__(
        self,
        engine: TTSEngine,
        timeline: SpeechTimeline,
        prepare: Callable[[Speech], Speech] = lambda speech: speech,
        max_pending: int = 64,
    ):
        self.engine = engine
        self.timeline = timeline
        # Work on finished speech that belongs off the render loop (e.g. timings for engines
        # that give none), done here in the worker thread before the speech is queued.
        self._prepare = prepare
        self._pending: queue.Queue[tuple[int, Sentence | Speech] | None] = queue.Queue(max_pending)
        self._warm: queue.SimpleQueue[tuple[Sentence, SpeechCache]] = queue.SimpleQueue()
        self._generation = 0
        self._busy = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.failures = 0
        self.on_ready: Callable[[Speech], None] = lambda speech: None  # after each push, its thread
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def say(self, sentence: Sentence) -> None:
        self._enqueue(sentence)

    def play(self, speech: Speech) -> None:
        """Queue speech that is already synthesized (resampled to the timeline's rate)."""
        if speech.sample_rate != self.timeline.sample_rate:
            raise ValueError(f"speech at {speech.sample_rate} Hz for a {self.timeline.sample_rate} Hz voice")
        self._enqueue(speech)

    def _enqueue(self, item: Sentence | Speech) -> None:
        with self._lock:
            self._busy += 1
            generation = self._generation
        self._pending.put((generation, item))

    def warm(self, sentences: Iterable[Sentence], cache: SpeechCache) -> None:
        """Synthesize each sentence not yet in ``cache`` into it, in the background."""
        for sentence in sentences:
            self._warm.put((sentence, cache))
        self._pending.put(_WAKE)  # an idle worker waits on the pending queue alone

    @property
    def warming(self) -> int:
        return self._warm.qsize()

    def synthesize(self, sentence: Sentence) -> Speech:
        """One whole sentence, prepared (timings), at the timeline's rate. Worker thread only."""
        chunks = list(self.engine.synthesize(sentence.text))
        return self._prepare(join_chunks(sentence, chunks, self.timeline.sample_rate))

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy > 0

    def wait_idle(self, timeout: float) -> bool:
        """Block until every sentence handed over is spoken (or dropped); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)

    def interrupt(self) -> None:
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        self._pending.put(None)
        self._thread.join(timeout=5)

    def _next(self) -> tuple[int, Sentence | Speech] | None:
        while True:
            try:
                job = self._pending.get(timeout=0.05 if not self._warm.empty() else None)
            except queue.Empty:
                self._warm_one()
                continue
            if job is not _WAKE:
                return job

    def _warm_one(self) -> None:
        try:
            sentence, cache = self._warm.get_nowait()
        except queue.Empty:
            return
        if sentence.text in cache:
            return
        try:
            cache.put(self.synthesize(sentence))
        except Exception as exc:  # the line is synthesized live instead
            log.warning("voice: could not cache %r: %s", sentence.text[:60], exc)

    def _run(self) -> None:
        while (job := self._next()) is not None:
            generation, item = job
            try:
                if isinstance(item, Speech):
                    if generation == self._generation:
                        self.timeline.push(item)
                        self.on_ready(item)
                else:
                    self._speak(generation, item)
            except Exception as exc:  # one bad sentence must not silence the host
                self.failures += 1
                text = item.sentence.text if isinstance(item, Speech) else item.text
                log.error("voice: could not speak %r: %s", text[:60], exc)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _speak(self, generation: int, sentence: Sentence) -> None:
        pieces = split_clauses(sentence)
        for i, piece in enumerate(pieces):
            if generation != self._generation:
                return
            chunks = list(self.engine.synthesize(piece.text))
            speech = join_chunks(piece, chunks, self.timeline.sample_rate)
            if i < len(pieces) - 1:
                speech = with_pause(speech, pause_after(piece.text))
            if generation == self._generation and len(speech.pcm):
                speech = self._prepare(speech)
                self.timeline.push(speech)
                self.on_ready(speech)
