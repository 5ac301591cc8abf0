"""The brain: one chat message in, a streamed spoken reply out.

Per message: the input guard; the knowledge lookup (a catalogue question is answered from the
catalogue, a FAQ from the speech cache, an unknown product with "we don't carry that");
otherwise the model writes, streamed through the sentence splitter, and each sentence passes
the output guard and the grounding check before it may be spoken — a sentence stating a fact
the catalogue does not hold is replaced by the catalogue's own answer. A model that fails or
runs out of time gives the persona's fallback line; the reply says where it came from.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from livehost.brain.llm.base import LLMBackend, LLMError
from livehost.brain.llm.budget import with_budget
from livehost.brain.memory import ConversationMemory, ViewerMemory
from livehost.brain.prompt import build_request, system_prompt, turn_content
from livehost.brain.repetition import COPIED, repetition, units
from livehost.brain.safety import InputGuard, OutputGuard, deflection_for
from livehost.brain.sentences import sentences_from_text
from livehost.brain.stream import SentenceStream
from livehost.media.frames import ChatMessage, Sentence, SentenceKind, Speech
from livehost.persona import Persona

log = logging.getLogger(__name__)


class Source(str, enum.Enum):
    CATALOGUE = "catalogue"
    CACHE = "cache"
    LLM = "llm"
    FALLBACK = "fallback"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Utterance:
    """A sentence to speak, with its audio when it came from the speech cache."""

    sentence: Sentence
    speech: Speech | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the knowledge says about one question."""

    facts: tuple[str, ...] = ()  # lines for the model's Facts
    answer: str | None = None  # a catalogue answer to give instead of the model's
    cached: bool = False  # ``answer`` is a FAQ entry's (its speech may be cached)
    reason: str = ""  # why ``answer`` was chosen (product, faq, unknown product)
    grounding: Callable[[str], list[str]] = lambda sentence: []  # problems of one sentence
    replacement: str | None = None  # the catalogue's answer for a sentence that fails


class Knowledge(Protocol):
    def lookup(self, question: str) -> Lookup: ...

    def cached_answers(self) -> list[str]:
        """The answers worth synthesizing ahead (they will be said often)."""
        ...

    def vocabulary(self) -> list[str]:
        """Words the shop's customers will say (product names): the recognizer's hints."""
        ...


class NoKnowledge:
    """A persona without knowledge files: nothing to look up, nothing to check against."""

    def lookup(self, question: str) -> Lookup:
        return Lookup()

    def cached_answers(self) -> list[str]:
        return []

    def vocabulary(self) -> list[str]:
        return []


@dataclass(slots=True)
class ReplyTimings:
    """perf_counter seconds from the moment ``answer`` was called."""

    lookup: float | None = None
    first_token: float | None = None
    first_sentence: float | None = None
    done: float | None = None


_reply_ids = itertools.count(1)


class ReplyStop:
    """The stop the model sees for one reply: the caller's cancel (an interrupt: what was
    heard is remembered by the caller) or the reply's own end (enough sentences, a loop,
    someone waiting), which the caller's event does not show, so the reply is remembered."""

    def __init__(self, outer: threading.Event) -> None:
        self._outer, self._own = outer, threading.Event()

    def is_set(self) -> bool:
        return self._outer.is_set() or self._own.is_set()

    def set(self) -> None:
        self._own.set()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.is_set() and (left := deadline - time.monotonic()) > 0:
            self._own.wait(min(left, 0.05))
        return self.is_set()


@dataclass(eq=False)
class Reply:
    """A reply, streamed by iterating it (once). ``source`` and ``reason`` are final when the
    iteration ends; ``source`` is where the first spoken sentence came from."""

    message: ChatMessage
    _stream: Iterator[Utterance] = field(repr=False, default=iter(()))
    source: Source = Source.LLM
    reason: str = ""
    replaced: bool = False  # a sentence was replaced by the catalogue's answer
    sentences: list[Sentence] = field(default_factory=list)
    timings: ReplyTimings = field(default_factory=ReplyTimings)
    id: int = field(default_factory=lambda: next(_reply_ids))

    def __iter__(self) -> Iterator[Utterance]:
        for utterance in self._stream:
            self.sentences.append(utterance.sentence)
            yield utterance

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


class Brain:
    """Thread-safe for one caller at a time (the channel's brain thread)."""

    def __init__(
        self,
        persona: Persona,
        backend: LLMBackend | None,
        knowledge: Knowledge | None = None,
        cached_speech: Callable[[Sentence], Speech | None] = lambda sentence: None,
        secrets: tuple[str, ...] = (),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.persona, self.backend = persona, backend
        self.knowledge = knowledge or NoKnowledge()
        self.cached_speech = cached_speech
        self.system = system_prompt(persona)
        self.input_guard = InputGuard(persona.safety)
        # The persona's own fixed lines may be said word for word; the prompt may not.
        public = (persona.greeting, *persona.idle_lines, *persona.fallback_lines, persona.safety.deflection)
        self.output_guard = OutputGuard(persona.safety, self.system, secrets, public=public)
        self.memory = ConversationMemory()
        self.viewers = ViewerMemory()
        self._clock = clock
        self._fallbacks = itertools.cycle(persona.fallback_lines)
        self._lock = threading.Lock()

    # -- public --------------------------------------------------------------------------
    def answer(self, message: ChatMessage, cancel: threading.Event | None = None,
               yield_to: Callable[[], bool] = lambda: False) -> Reply:
        """``yield_to``: asked at each token once a sentence has been said; True ends the
        reply there (someone is waiting and the voice has nothing left to say)."""
        reply = Reply(message)
        reply._stream = self._generate(reply, cancel or threading.Event(), yield_to)
        return reply

    def forget(self) -> None:
        """A fresh conversation: no exchanges, no viewers."""
        self.memory.clear()
        self.viewers.clear()

    def remember(self, reply: Reply, heard: str | None = None) -> None:
        """Keep the exchange in the conversation memory; ``heard`` is what of the reply was
        spoken before an interrupt (``None``: all of it)."""
        if reply.source is Source.BLOCKED:
            return  # an attack stays out of the context the model sees next
        self.memory.remember(reply.message.user, reply.message.text, reply.text if heard is None else heard)

    def warm_up(self) -> None:
        """Evaluate the system prompt once (a one-token request), so the first viewer's reply
        starts from the backend's prompt cache instead of paying for the whole prompt."""
        self.knowledge.lookup("hello")  # the embedder's first call is slow too
        if self.backend is None:
            return
        request = build_request(self.system, (), "Hello", max_tokens=1, temperature=0.0)
        started = self._clock()
        try:
            for _ in self.backend.stream(request, threading.Event()):
                pass
        except LLMError as exc:
            log.warning("warm-up: %s", exc)
            return
        log.info("language model warmed up in %.1f s", self._clock() - started)

    def prime(self) -> None:
        """Evaluate the system prompt and the conversation so far ahead of the next message
        (between replies, while the last one is still being spoken), so the next reply's first
        token waits only for the new message itself. llama.cpp-style backends keep the longest
        common prefix of consecutive requests cached; others just answer one token."""
        if self.backend is None or self.persona.llm.backend != "embedded":
            return
        request = build_request(self.system, self.memory.turns(), "", max_tokens=1, temperature=0.0)
        try:
            for _ in self.backend.stream(request, threading.Event()):
                pass
        except LLMError as exc:
            log.debug("prime: %s", exc)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()

    def fallback_line(self) -> str:
        with self._lock:
            return next(self._fallbacks)

    def sentences(self, text: str, to: str = "") -> list[Sentence]:
        """A fixed line (greeting, operator, idle) as tagged sentences."""
        return [replace(s, to=to) for s in sentences_from_text(text)]

    # -- the reply ------------------------------------------------------------------------
    def _generate(self, reply: Reply, cancel: threading.Event, yield_to: Callable[[], bool]) -> Iterator[Utterance]:
        start = self._clock()
        message = reply.message
        try:
            verdict = self.input_guard.check(message.text, message.user)
            if not verdict.allowed:
                reply.source, reply.reason = Source.BLOCKED, verdict.category or "blocked"
                line = deflection_for(verdict, self.persona.safety)
                if line:
                    yield from self._fixed(reply, line, start)
                return
            lookup = self.knowledge.lookup(message.text)
            reply.timings.lookup = self._clock() - start
            if lookup.answer is not None:
                reply.source = Source.CACHE if lookup.cached else Source.CATALOGUE
                reply.reason = lookup.reason
                yield from self._fixed(reply, lookup.answer, start)
                return
            if self.backend is None:
                reply.source, reply.reason = Source.FALLBACK, "no language model"
                yield from self._fixed(reply, self.fallback_line(), start)
                return
            yield from self._from_model(reply, lookup, cancel, start, yield_to)
        finally:
            reply.timings.done = self._clock() - start

    def _fixed(self, reply: Reply, text: str, start: float) -> Iterator[Utterance]:
        for sentence in self.sentences(text, to=reply.message.id):
            speech = self.cached_speech(sentence)  # any fixed line may have been said before
            if speech is None and reply.source is Source.CACHE:
                reply.source = Source.CATALOGUE  # the text is the FAQ's, its audio is not ready
            if reply.timings.first_sentence is None:
                reply.timings.first_sentence = self._clock() - start
            yield Utterance(sentence, speech)

    def _from_model(self, reply: Reply, lookup: Lookup, cancel: threading.Event, start: float,
                    yield_to: Callable[[], bool]) -> Iterator[Utterance]:
        message, spec = reply.message, self.persona.llm
        note = self.viewers.note(message.user_id or message.user, message.user, message.text)
        request = build_request(
            self.system, self.memory.turns(),
            turn_content(message.user, message.text, lookup.facts, note),
            spec.max_tokens, spec.temperature,
        )
        splitter = SentenceStream(names=(self.persona.name,))
        assert self.backend is not None
        cancel = ReplyStop(cancel)  # the reply's own stops end the model, not the caller's reply
        try:
            pieces = with_budget(self.backend.stream(request, cancel), spec.first_token_s, spec.reply_s, cancel,
                                 server=self.backend.name)
            for piece in self._pieces(pieces, reply, start):
                if reply.sentences and yield_to():
                    cancel.set()  # the model is slower than the voice: answer who waits instead
                    reply.reason = reply.reason or "yielded to a waiting message"
                    return
                for sentence in splitter.feed(piece):
                    outcome = self._vet(reply, lookup, sentence)
                    if outcome is _STOP:
                        cancel.set()
                        if not reply.sentences:  # a loop from the first word: nothing of it is said
                            reply.source = Source.FALLBACK
                            yield from self._fixed(reply, self.fallback_line(), start)
                        return
                    yield from self._emit(reply, outcome, start)
                    if _whole_sentences(reply) >= spec.max_sentences:
                        cancel.set()  # enough said: stop the model writing
                        return
            if cancel.is_set():
                return
            for sentence in splitter.flush():
                if reply.sentences and not _complete(sentence.text):
                    break  # the model ran out of tokens mid-sentence: leave the fragment out
                outcome = self._vet(reply, lookup, sentence)
                if outcome is _STOP:
                    break
                yield from self._emit(reply, outcome, start)
        except LLMError as exc:
            log.warning("%s", exc)
            if not reply.sentences and not cancel.is_set():
                reply.source, reply.reason = Source.FALLBACK, str(exc)
                yield from self._fixed(reply, self.fallback_line(), start)
            return
        if not reply.sentences and not cancel.is_set():
            reply.source, reply.reason = Source.FALLBACK, reply.reason or "the model said nothing speakable"
            yield from self._fixed(reply, self.fallback_line(), start)

    def _pieces(self, pieces: Iterator[str], reply: Reply, start: float) -> Iterator[str]:
        for piece in pieces:
            if reply.timings.first_token is None:
                reply.timings.first_token = self._clock() - start
            yield piece

    def _vet(self, reply: Reply, lookup: Lookup, sentence: Sentence) -> list[Sentence] | object:
        """What to speak for one sentence of the model's: itself, the catalogue's answer in
        its place, nothing, or _STOP to end the reply."""
        loop = repetition(sentence.text, [s.text for s in reply.sentences], self._last_answer(reply.message))
        if loop is not None:
            log.info("reply sentence left out, %s: %s", loop, sentence.text[:80])
            reply.reason = loop
            return [] if loop == COPIED else _STOP  # a loop, once started, goes on: stop the model
        verdict = self.output_guard.check(sentence.text, reply.text)
        if not verdict.allowed:
            reply.reason = f"output {verdict.category}"
            if reply.sentences:
                return _STOP
            reply.source = Source.BLOCKED
            return self.sentences(deflection_for(verdict, self.persona.safety) or self.fallback_line())
        problems = lookup.grounding(sentence.text)
        if not problems:
            return [sentence]
        log.info("ungrounded sentence replaced: %s", "; ".join(problems))
        reply.reason = "; ".join(problems)
        if lookup.replacement is None or reply.replaced:
            return []  # nothing true to say instead, or said already: drop it
        if not reply.sentences:
            reply.source = Source.CATALOGUE
        reply.replaced = True
        return self.sentences(lookup.replacement)

    def _last_answer(self, message: ChatMessage) -> str:
        """The previous reply, unless it answered this same question (then saying it again is right)."""
        last = self.memory.last()
        if last is None or units(last.question) == units(message.text):
            return ""
        return last.reply

    def _emit(self, reply: Reply, sentences: list[Sentence], start: float) -> Iterator[Utterance]:
        for sentence in sentences:
            if reply.timings.first_sentence is None:
                reply.timings.first_sentence = self._clock() - start
            yield Utterance(replace(sentence, to=reply.message.id))


_STOP = object()
_CLOSING = (".", "!", "?", "…", "。", "！", "？", '"', "”", "’", ")", "）")


def _complete(text: str) -> bool:
    return text.rstrip().endswith(_CLOSING)


def _whole_sentences(reply: Reply) -> int:
    return sum(1 for s in reply.sentences if s.kind is not SentenceKind.CLAUSE)
