"""One running host: wires voice, timeline, motion, face and sinks around one media clock,
and drives the render loop live (paced by wall time) or offline (as fast as the voice)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence

from livehost.config import Settings
from livehost.loop import RenderLoop
from livehost.media.clock import MediaClock, Pacer
from livehost.media.frames import Sentence, Speech
from livehost.media.pattern import SyncPattern
from livehost.media.timeline import SpeechTimeline
from livehost.motion.align import ensure_timings
from livehost.persona import Persona
from livehost.sinks.base import Sink
from livehost.stages import Stages
from livehost.voice.cache import SpeechCache, persona_speech_cache
from livehost.voice.worker import VoiceWorker

log = logging.getLogger(__name__)


class VoicePacer:
    """Offline pacing: a tick may run once the voice has its audio ready (or has nothing
    more to say), so a file never gets gaps from synthesis being slower than encoding."""

    def __init__(self, voice: VoiceWorker, timeline: SpeechTimeline, tick_samples: int) -> None:
        self.voice, self.timeline, self.tick_samples = voice, timeline, tick_samples

    def wait_until(self, media_time: float) -> None:
        while self.voice.busy and not self.timeline.wait_for(self.tick_samples, timeout=0.05):
            pass

    def lateness(self, media_time: float) -> float:
        return 0.0


class Channel:
    def __init__(self, settings: Settings, persona: Persona, stages: Stages, sinks: Sequence[Sink] = (),
                 speech_cache: SpeechCache | None = None, pattern: str | None = None):
        self.settings, self.persona = settings, persona
        self.clock = MediaClock(settings.audio.sample_rate, settings.video.fps)
        self.timeline = SpeechTimeline(settings.audio.sample_rate)
        self.voice = VoiceWorker(stages.engine, self.timeline, prepare=ensure_timings)
        self.speech_cache = speech_cache or persona_speech_cache(persona, stages.engine, settings.audio.sample_rate)
        self.loop = RenderLoop(
            self.clock, self.timeline, stages.motion, stages.renderer, sinks,
            on_interrupt=self.voice.interrupt,
            pattern=SyncPattern(stages.renderer.size, self.clock) if pattern == "sync" else None,
        )
        self._stop = threading.Event()
        self._opened = False

    def open(self) -> None:
        for sink in self.loop.sinks:
            sink.open(self.loop.spec)
        self._opened = True

    def speak(self, sentences: Iterable[Sentence]) -> None:
        """Queue sentences for the voice; they play in order, without blocking the loop."""
        for sentence in sentences:
            self.voice.say(sentence)

    def utter(self, sentence: Sentence, speech: Speech | None = None) -> None:
        """Queue one sentence, or its speech when it was made earlier (a cache hit)."""
        if speech is None:
            self.voice.say(sentence)
        else:
            self.voice.play(speech)

    def warm_cache(self, texts: Iterable[str]) -> None:
        """Synthesize these lines into the speech cache in the background."""
        from livehost.brain.sentences import sentences_from_text

        self.voice.warm((s for text in texts for s in sentences_from_text(text)), self.speech_cache)

    def interrupt(self, reason: str = "operator") -> None:
        self.loop.interrupt(reason)

    def hold(self) -> None:
        self.loop.hold()

    def resume(self) -> None:
        self.loop.resume()

    def render_until_quiet(self, tail_seconds: float = 0.4) -> None:
        """Offline: tick until everything queued has been said, then ``tail_seconds`` more
        of idle face so the last word is not cut."""
        pacer = VoicePacer(self.voice, self.timeline, self.clock.samples_for_tick(0))
        self.loop.run(pacer, self._stop, until=lambda: not self.voice.busy and self.timeline.idle)
        tail_ticks = round(tail_seconds * float(self.clock.fps))
        for _ in range(tail_ticks):
            self.loop.tick()

    def run(self, pacer: Pacer, until: Callable[[], bool] = lambda: False) -> None:
        """Live: tick at the pacer's rhythm until ``stop()`` (or ``until()``)."""
        self.loop.run(pacer, self._stop, until=until)

    def stop(self) -> None:
        self._stop.set()

    def close(self, discard: bool = False) -> None:
        self._stop.set()
        self.voice.close()
        if self._opened:
            for sink in self.loop.sinks:
                sink.close(discard=discard)

    def sink_errors(self) -> list[str]:
        return [f"{s.name}: {s.stats.error}" for s in self.loop.sinks if s.stats.error]
