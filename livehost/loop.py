"""The render loop: one AVTick per video frame, forever, at a constant rate.

Each tick takes exactly the next 1/fps of audio from the speech timeline (silence when none
is queued), asks the motion for the face at that instant, renders it, and hands the tick to
every sink. A tick never waits on a model: the voice fills the timeline ahead of play-out
from its own thread. Control messages (interrupts) sent from any thread take effect at the
start of the next tick, so their timing is deterministic.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from livehost.face.base import FaceRenderer
from livehost.media.clock import MediaClock, Pacer
from livehost.media.frames import MAX_HOLD_S, AVTick, Hold, Interrupt, Resume
from livehost.media.pattern import SyncPattern
from livehost.media.timeline import SpeechTimeline
from livehost.motion.base import Motion
from livehost.sinks.base import Sink, StreamSpec

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LoopStats:
    ticks: int = 0
    late_ticks: int = 0
    interrupts: int = 0
    busy_seconds: float = 0.0  # time spent inside tick(), i.e. the loop's own cost


class RenderLoop:
    def __init__(
        self,
        clock: MediaClock,
        timeline: SpeechTimeline,
        motion: Motion,
        renderer: FaceRenderer,
        sinks: Sequence[Sink] = (),
        on_interrupt: Callable[[], None] | None = None,
        pattern: SyncPattern | None = None,
    ) -> None:
        if timeline.sample_rate != clock.sample_rate:
            raise ValueError("timeline and clock disagree on the sample rate")
        self.clock, self.timeline, self.motion, self.renderer = clock, timeline, motion, renderer
        self.sinks = list(sinks)
        self.stats = LoopStats()
        self._controls: queue.SimpleQueue[Interrupt | Hold | Resume] = queue.SimpleQueue()
        self._hold_until: float | None = None  # media time a hold ends by itself
        self._on_interrupt = on_interrupt
        # The sync test pattern replaces the face and the voice (the motion still runs, so
        # the loop's cost stays what it is live).
        self.pattern = pattern

    @property
    def spec(self) -> StreamSpec:
        width, height = self.renderer.size if self.pattern is None else self.pattern.size
        return StreamSpec(width, height, self.clock.fps, self.clock.sample_rate)

    def interrupt(self, reason: str = "operator") -> None:
        """Thread-safe: queued speech is flushed at the start of the next tick."""
        self._controls.put(Interrupt(reason))

    def hold(self, max_s: float = MAX_HOLD_S) -> None:
        """Thread-safe: the voice falls silent at the next tick, keeping its place, until
        ``resume()``, ``interrupt()`` or ``max_s`` — a hold never silences the host for good."""
        self._controls.put(Hold(max_s))

    def resume(self) -> None:
        """Thread-safe: a held voice plays on from the next tick."""
        self._controls.put(Resume())

    def tick(self) -> AVTick:
        started_at = time.perf_counter()
        clock = self.clock
        t = clock.now
        cut = self._apply_controls(t)
        pulled = self.timeline.pull(clock.samples_for_tick(clock.tick), t)
        for scheduled in pulled.started:
            self.motion.on_speech(scheduled)
        face = self.motion.state_at(t, pulled.audio, pulled.speaking)
        if self.pattern is None:
            image, audio = self.renderer.render(face), pulled.audio
        else:
            image, audio = self.pattern.frame(clock.tick), self.pattern.audio(clock.tick)
        tick = AVTick(
            index=clock.tick,
            t=t,
            image=image,
            audio=audio,
            sample_rate=clock.sample_rate,
            speaking=pulled.speaking,
            face=face,
            started=pulled.started,
            cut=cut,
        )
        for sink in self.sinks:
            sink.offer(tick)
        clock.advance()
        self.stats.ticks += 1
        self.stats.busy_seconds += time.perf_counter() - started_at
        return tick

    def _apply_controls(self, t: float) -> bool:
        """Returns whether the voice was stopped (held or flushed) at this tick."""
        cut = False
        while True:
            try:
                control = self._controls.get_nowait()
            except queue.Empty:
                break
            if isinstance(control, Hold):
                self._hold_until = t + control.max_s
                if not self.timeline.hold():
                    self.motion.on_interrupt(t)  # the mouth closes as the voice stops
                    cut = True
            elif isinstance(control, Resume):
                self._resume(t)
            else:
                log.info("interrupt at %.2f s (%s)", t, control.reason)
                self.stats.interrupts += 1
                self._hold_until = None
                if self._on_interrupt is not None:
                    self._on_interrupt()
                self.timeline.flush()
                self.motion.on_interrupt(t)
                cut = True
        if self._hold_until is not None and t >= self._hold_until:
            log.info("hold at %.2f s ran out: playing on", t)
            self._resume(t)
        return cut

    def _resume(self, t: float) -> None:
        self._hold_until = None
        resumed = self.timeline.resume(t)
        if resumed is not None:  # the lips and gestures pick the sentence up where it stopped
            self.motion.on_speech(resumed)

    def run(
        self,
        pacer: Pacer,
        stop: threading.Event,
        until: Callable[[], bool] = lambda: False,
        late_threshold: float = 0.1,
    ) -> None:
        """Tick at the pacer's rhythm until ``stop`` is set or ``until()`` is true."""
        while not stop.is_set() and not until():
            pacer.wait_until(self.clock.now)
            if stop.is_set():
                break
            if pacer.lateness(self.clock.now) > late_threshold:
                self.stats.late_ticks += 1
            self.tick()
