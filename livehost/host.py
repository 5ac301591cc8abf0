"""The live host: a channel on the wall clock, fed by the chat queue through the brain.

Threads, each with one job and no waiting on another's lock for long:
- render: the channel's loop, one tick per frame on the wall clock, forever;
- brain: picks what to answer next when the voice is nearly done, streams the reply's
  sentences to the voice, and speaks the idle script when chat is quiet;
- voice (the channel's), sources (the supervisor's), server (the API's event loop).
Everything that happens is published on the event bus (the API's SSE, the trace).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from livehost.brain.brain import Brain, Reply
from livehost.channel import Channel
from livehost.config import Settings
from livehost.heap import HeapTrimmer
from livehost.listen.listener import Listener
from livehost.media.clock import RealtimePacer
from livehost.media.events import EventBus
from livehost.media.frames import AVTick, ChatMessage, ScheduledSpeech
from livehost.persona import Persona
from livehost.sinks.base import Sink, SinkStats, StreamSpec
from livehost.sinks.trace import SentenceLines, TraceSink
from livehost.sources.base import ChatRemoval, ChatSource
from livehost.sources.queue import ChatQueue, Pick, QueueConfig
from livehost.sources.supervisor import SourceSupervisor
from livehost.stages import Stages
from livehost.voice.cache import SpeechCache

log = logging.getLogger(__name__)

# Pick the next message when this little of the current reply is left to play: its first
# sentence is ready as the last one ends, and a later, more urgent message can still win.
NEXT_PICK_LEAD_S = 0.6
# The host does not start a new line while a user speaks — for at most this long, so a mic
# that hears endless noise cannot keep it silent for good.
MAX_HOLD_FOR_USER_S = 10.0
SHUTDOWN_GRACE_S = 3.0


@dataclass(slots=True)
class Playing:
    """A reply on its way out: what of it has started playing, for the answer event and for
    remembering only what was heard after an interrupt."""

    to: str
    source: str
    reply: Reply | None = None
    text: str | None = None  # a fixed line's (greeting, operator, thanks, idle) whole text
    started: list[ScheduledSpeech] = field(default_factory=list)
    announced: bool = False
    # time.monotonic() of each stage, for the answer event's latency breakdown
    received: float | None = None
    picked: float = field(default_factory=time.monotonic)
    ready: float | None = None  # its first speech went onto the timeline
    ids: tuple[str, ...] = ()  # a batched thank-you: every message it thanks

    def latency(self, left: float) -> dict[str, float | None]:
        """Seconds from the message's arrival: queued, then each stage, to ``left`` (its first
        audio sample leaving the channel)."""
        origin = self.received if self.received is not None else self.picked
        timings = self.reply.timings if self.reply is not None else None

        def at(offset: float | None) -> float | None:
            return None if offset is None else round(self.picked - origin + offset, 4)

        return {
            "queue": round(self.picked - origin, 4),
            "lookup": at(timings and timings.lookup),
            "first_token": at(timings and timings.first_token),
            "first_sentence": at(timings and timings.first_sentence),
            "first_audio": None if self.ready is None else round(self.ready - origin, 4),
            "left": round(left - origin, 4),
        }


class EventTap:
    """A sink that only watches ticks for speech starting (cheap, on the render thread): it
    publishes sentence and answer events at their media time."""

    name = "events"

    def __init__(self, host: LiveHost) -> None:
        self.host, self.stats = host, SinkStats()

    def open(self, spec: StreamSpec) -> None:
        return None

    def offer(self, tick: AVTick) -> None:
        for scheduled in tick.started:
            self.host._started(scheduled)
        if self.host.listener is not None:  # the echo canceller's reference
            self.host.listener.played(tick.audio, tick.sample_rate, tick.speaking)
        self.stats.written += 1

    def close(self, discard: bool = False) -> None:
        return None


class HostEars:
    """What the listener may ask of the host (from its threads)."""

    def __init__(self, host: LiveHost) -> None:
        self.host = host

    def avatar_speaking(self) -> bool:
        return self.host.channel.timeline.playing

    def media_time(self) -> float:
        return self.host.channel.clock.now

    def user_speaking(self, speaking: bool) -> None:
        self.host.hold_for_user(speaking)
        set_listening = getattr(self.host.channel.loop.motion, "set_listening", None)
        if set_listening is not None:
            set_listening(speaking)

    def hold(self) -> None:
        self.host.hold("barge-in")

    def release(self) -> None:
        self.host.resume()

    def barge_in(self) -> None:
        self.host.interrupt("barge-in")

    def heard(self, text: str, t0: float, t1: float, partial: bool) -> None:
        self.host.publish({"event": "heard", "text": text, "t0": t0, "t1": t1, "partial": partial})


class LiveHost:
    def __init__(
        self,
        settings: Settings,
        persona: Persona,
        stages: Stages,
        brain: Brain,
        sinks: Sequence[Sink] = (),
        sources: Sequence[ChatSource] = (),
        queue_config: QueueConfig | None = None,
        trace: TraceSink | None = None,
        events: EventBus | None = None,
        speech_cache: SpeechCache | None = None,
        pattern: str | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.persona, self.brain, self.trace = persona, brain, trace
        self.listener = listener
        self.events = events or EventBus()
        outputs = [*sinks, *([trace] if trace else []), EventTap(self)]
        self.channel = Channel(settings, persona, stages, outputs, speech_cache, pattern)
        self.channel.voice.on_ready = self._ready
        config = queue_config or QueueConfig(mention_names=[persona.name])
        if not config.idle_lines:
            config = config.model_copy(update={"idle_lines": list(persona.idle_lines)})
        self.queue = ChatQueue(config, on_drop=self._dropped, on_event=self.publish)
        if listener is not None:
            listener.ears = HostEars(self)
            # the shop's words, so the recognizer spells them as the catalogue does
            listener.vocabulary = ", ".join([persona.name, *brain.knowledge.vocabulary()])
            sources = [*sources, listener]
        self.supervisor = SourceSupervisor(list(sources), self._from_source)
        self.started_at = time.time()
        self.ready = threading.Event()  # set once live: outputs open, greeting and cache queued
        self._stop = threading.Event()
        self._draining = threading.Event()
        self._wake = threading.Event()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._playing: dict[str, Playing] = {}
        self._current: Playing | None = None
        self._says = 0
        self._user_since: float | None = None  # monotonic: a user started speaking (the mic)
        self._held_at: float | None = None  # media time the voice was held for a barge-in
        self._sentence_lines = SentenceLines()  # the render thread's only
        self.heap = HeapTrimmer()  # trimmed from the brain thread, never the render loop
        self._brain_thread = threading.Thread(target=self._brain_loop, name="brain", daemon=True)
        self._prime_due = False  # the model has not yet seen the conversation's latest reply

    # -- HostControl (the API and the console call these, from any thread) ----------------
    def post_chat(self, message: ChatMessage) -> str:
        message_id = self.queue.offer(message)  # publishes its chat event
        self._wake.set()
        return message_id

    def _from_source(self, item: ChatMessage | ChatRemoval) -> None:
        if isinstance(item, ChatRemoval):
            if item.user_id:
                self.queue.remove_user(item.platform, item.user_id)
            elif item.id:
                self.queue.remove(item.id)
        else:
            self.post_chat(item)

    def say(self, text: str) -> str:
        """The operator's line: spoken verbatim, ahead of chat."""
        with self._lock:
            self._says += 1
            message_id = f"say-{self._says}"
        return self.post_chat(ChatMessage("operator", "operator", text, id=message_id, kind="operator"))

    def hold_for_user(self, speaking: bool) -> None:
        """A user (the mic) started or stopped speaking: no new line starts meanwhile."""
        self._user_since = time.monotonic() if speaking else None
        if not speaking:
            self._wake.set()

    def hold(self, reason: str = "barge-in") -> None:
        """Fall silent at once, keeping the place: someone may be talking over the host.
        ``resume()`` plays on, ``interrupt()`` makes it final (and a hold ends by itself)."""
        with self._lock:
            if self._held_at is None:
                self._held_at = self.channel.clock.now
        self.channel.hold()
        self.publish({"event": "hold", "reason": reason})

    def resume(self) -> None:
        with self._lock:
            self._held_at = None
        self.channel.resume()
        self.publish({"event": "resume"})

    def interrupt(self, reason: str = "operator") -> None:
        self._cancel.set()
        self.channel.interrupt(reason)
        with self._lock:  # what was heard ended when the voice was held, if it was
            t = self.channel.clock.now if self._held_at is None else self._held_at
            self._held_at, current = None, self._current
        if current is not None and current.reply is not None:
            self.brain.remember(current.reply, heard=heard_text(current.started, t))
        self.publish({"event": "interrupt", "reason": reason})

    def status(self) -> dict:
        loop, clock = self.channel.loop, self.channel.clock
        uptime = time.time() - self.started_at
        backend = self.brain.backend
        return {
            "persona": self.persona.id,
            "name": self.persona.name,
            "uptime": round(uptime, 2),
            "media_time": round(clock.now, 3),
            "ticks": loop.stats.ticks,
            "fps": float(clock.fps),
            "late_ticks": loop.stats.late_ticks,
            "ready": self.ready.is_set(),
            "speaking": self.channel.timeline.playing,
            "held": self.channel.timeline.held,  # silent for a barge-in that is not yet final
            "queue": self.queue.stats(),
            "sinks": {s.name: sink_status(s) for s in loop.sinks if not isinstance(s, EventTap)},
            "sources": self.supervisor.status(),
            "llm": None if backend is None else {"backend": backend.name, **health_dict(backend.health)},
            "voice": {"failures": self.channel.voice.failures, "warming": self.channel.voice.warming},
            "listen": None if self.listener is None else self.listener.stats(),
            "memory": self.heap.stats(),
        }

    def publish(self, event: dict) -> None:
        event.setdefault("t", round(self.channel.clock.now, 4))
        self.events.publish(event)
        if self.trace is not None and event["event"] != "sentence":
            self.trace.event(event)

    # -- running ---------------------------------------------------------------------------
    def run(self, duration: float | None = None) -> None:
        """Tick live until ``stop()`` (or ``duration`` seconds of media time); then finish
        the sentence playing (at most SHUTDOWN_GRACE_S) and close every output."""
        channel = self.channel
        self.brain.warm_up()
        channel.open()
        self.supervisor.start()
        persona = self.persona
        channel.warm_cache([persona.greeting, *persona.idle_lines, *self.brain.knowledge.cached_answers(),
                            persona.safety.deflection, *persona.fallback_lines])
        if self.persona.greeting:
            self._speak_fixed(self.persona.greeting, to="greeting", source="greeting")
        self.ready.set()
        self.publish({"event": "ready"})
        # Only now: chat that came in during start-up is answered after the greeting, not before.
        self._brain_thread.start()
        # The pacer's own stop: it keeps pacing the last sentence after stop() is called.
        pacer_stop = threading.Event()
        pacer = RealtimePacer(stop=pacer_stop)
        try:
            channel.run(pacer, until=lambda: self._stop.is_set() or (duration is not None and channel.clock.now >= duration))
            self._finish(pacer)
        finally:
            pacer_stop.set()
            self._stop.set()
            self._wake.set()
            self.supervisor.stop()
            self._brain_thread.join(timeout=5)
            channel.close()
            self.brain.close()

    def stop(self) -> None:
        """From a signal handler or any thread: finish the current sentence and close."""
        self._stop.set()
        self._wake.set()

    def _finish(self, pacer: RealtimePacer) -> None:
        """Drop what has not started, let the sentence playing end (bounded), then return."""
        self._draining.set()
        self._cancel.set()
        self.channel.voice.interrupt()
        self.channel.timeline.drop_queued()
        deadline = time.monotonic() + SHUTDOWN_GRACE_S
        channel = self.channel
        while channel.timeline.playing and time.monotonic() < deadline:
            pacer.wait_until(channel.clock.now)
            channel.loop.tick()

    # -- the brain thread ------------------------------------------------------------------
    def _brain_loop(self) -> None:
        was_speaking = False
        while not self._stop.is_set():
            self.heap.maybe_trim()
            speaking = self.channel.voice.busy or self.channel.timeline.playing
            if was_speaking and not speaking:
                self.queue.reset_idle()  # quiet time counts from the end of the speech
            was_speaking = speaking
            if self._prime_due and not self.channel.voice.busy and self.queue.depth == 0:
                # While the answer plays, once its speech is made (the voice and the model
                # would share the cores), so the next reply starts sooner; a message that
                # came first is answered at once instead (its request does the same work).
                self._prime_due = False
                self.brain.prime()
            if self._nearly_quiet():
                pick = self.queue.next()
                if pick is not None:
                    try:
                        self._handle(pick)
                    except Exception:  # one bad message must not end the host
                        log.exception("could not answer %s", pick)
                    continue
            self._wake.wait(0.05)
            self._wake.clear()

    def _someone_waits(self) -> bool:
        """A message waits while the voice has said everything it was given: the model is
        writing slower than the host speaks, and dead air would follow."""
        return self.queue.depth > 0 and self._nearly_quiet()

    def _nearly_quiet(self) -> bool:
        voice, timeline = self.channel.voice, self.channel.timeline
        if self._user_since is not None and time.monotonic() - self._user_since < MAX_HOLD_FOR_USER_S:
            return False  # someone is talking to the host: let them finish first
        return not voice.busy and timeline.queued_seconds <= NEXT_PICK_LEAD_S

    def _handle(self, pick: Pick) -> None:
        if pick.kind == "answer" and pick.message is not None:
            message = pick.message
            if message.kind == "operator":
                self._speak_fixed(message.text, to=message.id, source="operator", message=message)
            else:
                self._answer(message)
        elif pick.text:
            to = pick.ids[0] if pick.ids else f"{pick.kind}-{time.monotonic():.3f}"
            self._speak_fixed(pick.text, to=to, source=pick.kind, ids=pick.ids)

    def _answer(self, message: ChatMessage) -> None:
        self._cancel = threading.Event()
        playing = self._track(message.id, "llm", None, message)
        reply = playing.reply = self.brain.answer(message, self._cancel, yield_to=self._someone_waits)
        for utterance in reply:
            if self._cancel.is_set() or self._draining.is_set():
                break
            playing.source = reply.source.value
            self.channel.utter(utterance.sentence, utterance.speech)
        playing.source = reply.source.value
        if not reply.sentences:
            self._playing.pop(message.id, None)
            self.publish({"event": "dropped", "id": message.id, "reason": reply.reason or reply.source.value})
        if not self._cancel.is_set():
            self.brain.remember(reply)
        self._prime_due = True

    def _speak_fixed(self, text: str, to: str, source: str, message: ChatMessage | None = None,
                     ids: tuple[str, ...] = ()) -> None:
        playing = self._track(to, source, None, message)
        playing.ids, playing.text = ids, text
        for sentence in self.brain.sentences(text, to=to):
            self.channel.utter(sentence, self.channel.speech_cache.get(sentence))

    def _track(self, to: str, source: str, reply: Reply | None, message: ChatMessage | None = None) -> Playing:
        playing = Playing(to, source, reply)
        if message is not None:  # its arrival on the monotonic clock
            playing.received = time.monotonic() - max(0.0, time.time() - message.received_at)
        with self._lock:
            self._playing[to] = playing
            while len(self._playing) > 64:  # replies that never played (interrupted) age out
                self._playing.pop(next(iter(self._playing)))
        return playing

    # -- called by the render thread (EventTap) and the queue ------------------------------
    def _started(self, scheduled: ScheduledSpeech) -> None:
        sentence = scheduled.speech.sentence
        if self.listener is not None:
            self.listener.said(sentence.text)
        with self._lock:
            playing = self._playing.get(sentence.to)
            if playing is not None:
                playing.started.append(scheduled)
                self._current = playing
        if playing is not None and not playing.announced:
            playing.announced = True
            text = playing.reply.text if playing.reply is not None else playing.text or sentence.text
            self.publish({"event": "answer", "to": sentence.to, "source": playing.source,
                          "t": round(scheduled.t0, 4), "text": text,
                          "latency": playing.latency(time.monotonic()),
                          **({"ids": list(playing.ids)} if len(playing.ids) > 1 else {})})
        for line in self._sentence_lines.add(scheduled):  # as the trace has them: clauses merged
            self.events.publish(line)

    def _ready(self, speech) -> None:
        """The voice put speech on the timeline (its thread)."""
        with self._lock:
            playing = self._playing.get(speech.sentence.to)
        if playing is not None and playing.ready is None:
            playing.ready = time.monotonic()

    def _dropped(self, message: ChatMessage, reason: str) -> None:
        self.publish({"event": "dropped", "id": message.id, "reason": reason})


def heard_text(started: Sequence[ScheduledSpeech], t: float) -> str:
    """The words of a reply that had played by media time ``t``."""
    words: list[str] = []
    for scheduled in started:
        speech = scheduled.speech
        if scheduled.t1 <= t or not speech.words:
            if scheduled.t0 <= t:
                words.append(speech.sentence.text)
            continue
        words += [w.word for w in speech.words if scheduled.t0 + w.start < t]
    return " ".join(words)


def sink_status(sink: Sink) -> dict:
    """The counters every sink has, plus its own (viewers, connection state) where it has some."""
    own = getattr(sink, "status", None)
    extra = own() if callable(own) else {}
    return {"written": sink.stats.written, "dropped": sink.stats.dropped, "error": sink.stats.error, **extra}


def health_dict(health) -> dict:
    """The backend's health without its ``extra`` (llama.cpp's raw timings)."""
    return {k: v for k, v in asdict(health).items() if k != "extra"}
