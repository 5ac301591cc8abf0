"""The speech timeline: speech queued ahead of play-out, pulled one tick at a time.

The voice stage pushes whole sentences of synthesized audio from its worker thread; the render
loop pulls exactly one tick's worth of samples, never blocking. Each sentence gets its place
on the media clock (``t0``) at the moment it starts to play, so an underrun (speech arriving
late) shifts it rather than desynchronising it.

``hold()`` stops the voice at once (a short fade) but keeps its place: ``resume()`` plays on from
there, or ``flush()`` drops it. A barge-in holds the voice the moment someone may be talking
over it and flushes only once it is sure (a cough lets the host go on).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from .frames import ScheduledSpeech, Speech


@dataclass(frozen=True, slots=True)
class Pulled:
    audio: np.ndarray
    speaking: bool
    started: tuple[ScheduledSpeech, ...]


class SpeechTimeline:
    def __init__(self, sample_rate: int, max_seconds: float = 120.0, fade_ms: float = 10.0):
        self.sample_rate = sample_rate
        self.max_samples = int(max_seconds * sample_rate)
        self._fade = max(1, int(fade_ms * sample_rate / 1000))
        self._queue: deque[Speech] = deque()
        self._current: Speech | None = None
        self._pos = 0  # next sample of _current to play
        self._stop_at: int | None = None  # set by flush() and hold(): where the fade-out ends
        self._held_at: int | None = None  # hold(): where the current sentence resumes from
        self._held = False
        self._fade_in_end = 0  # resume(): the fade-in ends at this sample of _current
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def push(self, speech: Speech) -> None:
        if speech.sample_rate != self.sample_rate:
            raise ValueError(
                f"speech at {speech.sample_rate} Hz pushed into a {self.sample_rate} Hz timeline"
            )
        with self._changed:
            if self._queued_samples_locked() + len(speech.pcm) > self.max_samples:
                raise OverflowError(
                    f"speech timeline full ({self.max_samples / self.sample_rate:.0f} s queued)"
                )
            self._queue.append(speech)
            self._changed.notify_all()

    def _queued_samples_locked(self) -> int:
        current = 0 if self._current is None else len(self._current.pcm) - self._pos
        return current + sum(len(s.pcm) for s in self._queue)

    @property
    def queued_seconds(self) -> float:
        with self._lock:
            return self._queued_samples_locked() / self.sample_rate

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._current is None and not self._queue

    def wait_for(self, samples: int, timeout: float) -> bool:
        """Block until ``samples`` are queued (for offline rendering only; the live loop never
        waits). Returns whether they are."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._queued_samples_locked() >= samples, timeout=timeout
            )

    def flush(self) -> int:
        """Drop everything not yet played. The sentence playing now fades out over a few
        milliseconds instead of clicking (a held one is already silent). Returns the number of
        sentences dropped."""
        with self._changed:
            dropped = len(self._queue)
            self._queue.clear()
            if self._current is not None:
                if self._held and self._pos >= (self._stop_at or 0):
                    self._current, self._stop_at = None, None
                else:  # a fade already under way (a hold) keeps its end
                    end = len(self._current.pcm) if self._stop_at is None else self._stop_at
                    self._stop_at = min(end, self._pos + self._fade)
                dropped += 1
            self._held, self._held_at = False, None
            self._changed.notify_all()
            return dropped

    def hold(self) -> bool:
        """Fade the voice out now and keep everything queued; nothing plays until ``resume()``
        or ``flush()``. Returns whether it was holding already."""
        with self._lock:
            if self._held:
                return True
            self._held = True
            if self._current is not None and self._stop_at is None:
                self._held_at = self._pos
                self._stop_at = min(len(self._current.pcm), self._pos + self._fade)
            return False

    @property
    def held(self) -> bool:
        with self._lock:
            return self._held

    def resume(self, t: float) -> ScheduledSpeech | None:
        """Play on from where ``hold()`` stopped, fading back in, from media time ``t``.
        Returns the held sentence placed anew on the clock (its start moved by the pause), or
        None when none was cut."""
        with self._lock:
            if not self._held:
                return None
            self._held = False
            if self._current is None or self._held_at is None:
                self._held_at = None
                return None
            self._pos, self._stop_at = self._held_at, None
            self._fade_in_end, self._held_at = self._pos + self._fade, None
            return ScheduledSpeech(self._current, t - self._pos / self.sample_rate)

    def drop_queued(self) -> int:
        """Drop what has not started; the sentence playing now plays to its end (a clean
        stop). Returns the number of sentences dropped."""
        with self._changed:
            dropped = len(self._queue)
            self._queue.clear()
            self._changed.notify_all()
            return dropped

    @property
    def playing(self) -> bool:
        with self._lock:
            return self._current is not None

    def pull(self, samples: int, t: float) -> Pulled:
        """The next ``samples`` of audio starting at media time ``t``; silence where nothing
        is queued."""
        out = np.zeros(samples, dtype=np.float32)
        started: list[ScheduledSpeech] = []
        filled = 0
        speaking = False
        with self._lock:
            while filled < samples:
                if self._current is None:
                    if not self._queue or self._held:
                        break
                    self._current, self._pos, self._fade_in_end = self._queue.popleft(), 0, 0
                    started.append(
                        ScheduledSpeech(self._current, t + filled / self.sample_rate)
                    )
                end = len(self._current.pcm) if self._stop_at is None else self._stop_at
                if self._held and self._pos >= end:
                    break  # faded out: silence until resume() or flush()
                take = min(samples - filled, end - self._pos)
                piece = self._current.pcm[self._pos : self._pos + take]
                if self._stop_at is not None:
                    left = self._stop_at - self._pos
                    piece = piece * (np.arange(left, left - take, -1) / self._fade).astype(np.float32)
                elif self._pos < self._fade_in_end:
                    ramp = (np.arange(self._pos, self._pos + take) - (self._fade_in_end - self._fade)) / self._fade
                    piece = piece * np.minimum(ramp, 1.0).astype(np.float32)
                out[filled : filled + take] = piece
                filled += take
                self._pos += take
                speaking = speaking or take > 0
                if self._pos >= end and not self._held:
                    self._current, self._stop_at = None, None
        return Pulled(out, speaking, tuple(started))
