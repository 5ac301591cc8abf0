"""The host's ears: microphone → (echo canceller) → VAD → turn-taking → Whisper → a ``mic``
chat message, plus barge-in and the listening posture while someone talks.

Threads: the mic's own (capture, resampling), this source's (VAD and turns, ~0.2 ms a frame,
so barge-in is never late behind recognition), and one recognition worker. When a speaker
pauses, recognition starts at once on what they said; if the pause becomes the end of the
turn, that transcript is the final one — endpointing and recognition overlap.

The host's own voice must never become a ``mic`` message. Headset mode trusts the headset;
speaker mode cancels the echo (the audio the channel played is the reference), ducks the VAD
while the host speaks, and drops a transcript that repeats what the host just said.
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from livehost.media.frames import ChatMessage
from livehost.sources.base import Emit, SourceStatus

from .doubletalk import DoubleTalkDetector
from .turns import FalseStart, Onset, Pause, TurnConfig, TurnDetector, TurnEnd, sounds_unfinished
from .vad import FRAME, SAMPLE_RATE

log = logging.getLogger(__name__)

Seconds = Annotated[float, Field(ge=0, le=60)]


class ListenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mic: str | None = None  # a sounddevice index or name, or a PulseAudio source; None: default
    mode: Literal["headset", "speaker"] = "headset"
    barge_in: Literal["always", "words", "never"] = "always"
    barge_in_words: Annotated[int, Field(ge=1, le=20)] = 2  # for barge_in: words
    # always: after barge_in_hold_s of voiced time over the host its voice is held (silent at
    # once, its place kept); after barge_in_after_s the interrupt is final, and speech that ends
    # before then (a cough, a click) lets the host play on where it stopped
    barge_in_hold_s: Seconds = 0.06
    barge_in_after_s: Seconds = 0.25
    turns: TurnConfig = TurnConfig()
    asr_model: str | None = None  # a CTranslate2 Whisper folder; None: the packaged tiny.en
    language: str | None = "en"
    asr_threads: Annotated[int, Field(ge=1, le=16)] = 2
    user: str = "caller"  # the name mic messages carry
    partial_every_s: Annotated[float, Field(gt=0.1)] = 1.0
    # speaker mode: while the host speaks (and duck_tail_s after), speech must be this likely
    # and last this long before it counts — the residual echo is quieter and shorter
    duck_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.85
    duck_tail_s: Seconds = 0.4
    duck_barge_in_after_s: Seconds = 0.5
    duck_min_speech_s: Seconds = 0.8  # a shorter turn over the host is taken for its echo
    echo_overlap: Annotated[float, Field(gt=0, le=1)] = 0.6  # share of words the host just said
    # speaker mode: speech whose energy the canceller removed mostly (cleaned / raw below this)
    # is what is left of the host's own voice, not a person
    echo_residual_db: Annotated[float, Field(le=0)] = -10.0
    # ...and until the canceller removes this much of the host's voice (it adapts to the room
    # in about a second of speech), speech over the host counts for nothing
    echo_converged_db: Annotated[float, Field(ge=0)] = 12.0
    # ...and speech over the host that is mostly coherent with what it played is what the
    # canceller let through of its voice (it lost the echo), not a person: no barge-in
    echo_share_max: Annotated[float, Field(gt=0, le=1)] = 0.3


class Ears(Protocol):
    """What the listener asks of the host (any thread; quick)."""

    def avatar_speaking(self) -> bool: ...

    def media_time(self) -> float: ...

    def user_speaking(self, speaking: bool) -> None: ...

    def hold(self) -> None: ...

    def release(self) -> None: ...

    def barge_in(self) -> None: ...

    def heard(self, text: str, t0: float, t1: float, partial: bool) -> None: ...


class _NoEars:
    def avatar_speaking(self) -> bool:
        return False

    def media_time(self) -> float:
        return time.monotonic()

    def user_speaking(self, speaking: bool) -> None:
        return None

    def hold(self) -> None:
        return None

    def release(self) -> None:
        return None

    def barge_in(self) -> None:
        return None

    def heard(self, text: str, t0: float, t1: float, partial: bool) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Job:
    kind: Literal["partial", "pause", "final"]
    turn: int
    audio: np.ndarray
    end: int  # sample index the audio ends at
    start: int = 0
    avatar_spoke: bool = False  # the host was speaking during the turn (echo guard)
    residual_db: float = 0.0  # cleaned vs raw energy of its voiced frames (speaker mode)
    unconverged: bool = False  # heard over the host before the canceller had adapted
    echo_share: float = 0.0  # how much of it is the host's voice let through (speaker mode)
    barged_in: bool = False  # it stopped the host: already judged a person, not the host's echo


_WORD = re.compile(r"\w+")
_ERLE_FRAMES = round(1.5 * SAMPLE_RATE / FRAME)
_ERLE_RECENT = round(0.3 * SAMPLE_RATE / FRAME)
_UNADAPT_DB = 6.0  # below the adapted level by this much, the canceller has lost the echo
_ECHO_FLOOR = 1e-5  # mean power (-50 dBFS): below it the mic hears no host to cancel


def _erle_db(frames: list[tuple[float, float]]) -> float | None:
    """Echo return loss enhancement of (cleaned, raw) energy pairs: dB of the host's voice
    removed. The median over the frames that hear the host, so that a person starting to speak
    before the VAD says so (the canceller damps them, and the VAD is strict over the host) does
    not make a canceller that works look as if it had lost the echo. None: no host to hear."""
    heard = [10 * math.log10(raw / max(clean, 1e-12)) for clean, raw in frames if raw >= _ECHO_FLOOR * FRAME]
    return float(np.median(heard)) if heard else None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


class Listener:
    """A chat source named "mic". ``ears`` is set by the host before it starts."""

    name = "mic"

    def __init__(self, config: ListenConfig | None = None, recognizer=None, vad=None, echo=None,
                 capture_factory=None) -> None:
        self.config = config = config or ListenConfig()
        self.ears: Ears = _NoEars()
        self.last_echo: dict | None = None  # the last transcript dropped as the host's own voice
        self.vocabulary = ""  # words likely to be said (the host's name, product names)
        self._recognizer, self._vad, self._echo = recognizer, vad, echo
        self._capture_factory = capture_factory
        self._capture = None
        self._audio: queue.Queue[tuple[np.ndarray, float]] = queue.Queue(maxsize=1000)
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._spoken: deque[tuple[float, str]] = deque(maxlen=64)  # (monotonic, text) the host said
        self._pause_results: dict[tuple[int, int], str] = {}
        self._lock = threading.Lock()
        self._samples = 0  # samples through the VAD
        self._last_at = time.monotonic()  # monotonic time of the last sample
        self._speaking_until = 0.0  # monotonic: the host's voice (plus its tail) until then
        self._emit: Emit | None = None
        self._barged = 0  # the turn that already interrupted the host
        self._held = 0  # the turn that holds the host's voice (not yet an interrupt)
        self._spoke_in_turn = False
        self._partial_at = 0
        self._partial_words = 0
        self._raw_tail = np.zeros(0, np.float32)  # raw mic delayed to line up with the canceller's output
        self._energy = [0.0, 0.0]  # the turn's voiced frames: cleaned, raw
        # per frame while only the host speaks: (cleaned, raw) energy; and seconds of it seen
        self._erle: deque[tuple[float, float]] = deque(maxlen=_ERLE_FRAMES)
        self._erle_seconds = 0.0
        self._adapted = ""  # "erle": the canceller has adapted; "no echo": nothing to adapt to
        self._resyncs = 0  # the canceller's pairing jumps seen so far
        self._unconverged = False  # this turn
        self._doubletalk = DoubleTalkDetector() if config.mode == "speaker" else None
        self._share: tuple[int, float] = (-1, 0.0)  # (sample, echo share) last measured over a turn
        self._counts = {"turns": 0, "false_starts": 0, "barge_ins": 0, "holds": 0, "resumed": 0, "echo_dropped": 0,
                        "unusable": 0, "partials": 0}
        self._turns = TurnDetector(config.turns)

    # -- what the host tells the listener --------------------------------------------------
    def played(self, audio: np.ndarray, sample_rate: int, speaking: bool) -> None:
        """Each tick's audio as it left the channel (render thread: cheap)."""
        if speaking:
            self._speaking_until = time.monotonic() + self.config.duck_tail_s
        if self._echo is not None:
            self._echo.played(audio, sample_rate)

    def said(self, text: str) -> None:
        """A sentence the host started saying (for the echo guard)."""
        self._spoken.append((time.monotonic(), text))

    # -- the source protocol ---------------------------------------------------------------
    def run(self, emit: Emit, stop: threading.Event) -> None:
        self._emit = emit
        if self._recognizer is None:
            from .asr import SpeechRecognizer

            self._recognizer = SpeechRecognizer(self.config.asr_model, self.config.language,
                                                self.config.asr_threads)
            self._recognizer.warm_up()
        if self._vad is None:
            from .vad import SileroVad

            self._vad = SileroVad()
        if self._echo is None and self.config.mode == "speaker":
            from .echo import EchoCanceller

            self._echo = EchoCanceller("speaker")
        if self._echo is not None:  # its output runs this far behind its input
            self._raw_tail = np.zeros(getattr(self._echo, "latency", 0), np.float32)
        worker = threading.Thread(target=self._recognize_loop, name="asr", daemon=True)
        worker.start()
        self._capture = self._open_capture()
        self._capture.start()
        try:
            self._process(stop)
        finally:
            self._capture.stop()
            self._jobs.put(None)
            worker.join(5)
            self.ears.user_speaking(False)

    def feed(self, audio: np.ndarray, at: float | None = None) -> None:
        """16 kHz float32 audio from the mic (the capture thread calls it)."""
        try:
            self._audio.put_nowait((audio, time.monotonic() if at is None else at))
        except queue.Full:
            log.warning("listener: fell behind the mic; audio dropped")

    def status(self) -> SourceStatus:
        capture = self._capture
        up = capture is not None and capture.up
        return SourceStatus(up=up, error=None if capture is None else capture.error,
                            received=self._counts["turns"])

    def stats(self) -> dict:
        capture = self._capture
        return {**self._counts, "mode": self.config.mode, "barge_in": self.config.barge_in,
                "mic": self.config.mic or "default",
                "mic_up": capture is not None and capture.up,
                "mic_error": None if capture is None else capture.error,
                "in_speech": self._turns.in_speech, "last_echo": self.last_echo,
                "erle_db": None if (erle := self.erle_db()) is None else round(erle, 1),
                "echo_adapted": self._adapted or None, "echo_resyncs": self._resyncs,
                "echo_share": round(self._share[1], 2)}

    # -- the source's own thread: VAD and turns --------------------------------------------
    def _open_capture(self):
        if self._capture_factory is not None:
            return self._capture_factory(self.feed)
        from .capture import MicCapture

        return MicCapture(self.config.mic, self.feed)

    def _process(self, stop: threading.Event) -> None:
        pending = np.zeros(0, np.float32)
        while not stop.is_set():
            try:
                chunk, at = self._audio.get(timeout=0.1)
            except queue.Empty:
                continue
            pending = np.concatenate([pending, chunk.astype(np.float32, copy=False)])
            usable = len(pending) - len(pending) % FRAME
            raw, pending = pending[:usable], pending[usable:]
            frames, played = raw, None
            if usable and self._echo is not None:  # stamped with its last sample's capture time
                frames = self._echo.process(raw, at=at - len(pending) / SAMPLE_RATE)
                played = self._echo.paired
                self._readapt_after_a_jump()
                joined = np.concatenate([self._raw_tail, raw])
                raw, self._raw_tail = joined[:usable], joined[usable:]
            for i in range(0, usable, FRAME):
                # the time of this frame's last sample, counted back from the chunk's
                self._last_at = at - (len(pending) + usable - i - FRAME) / SAMPLE_RATE
                self._frame(frames[i:i + FRAME], raw[i:i + FRAME],
                            None if played is None else played[i:i + FRAME])

    def _frame(self, frame: np.ndarray, raw: np.ndarray, played: np.ndarray | None) -> None:
        cfg = self.config
        if self._doubletalk is not None and played is not None:
            self._doubletalk.push(frame, played)
        probability = self._vad.probability(frame)
        self._samples += FRAME
        host_speaking = self.ears.avatar_speaking()
        ducking = cfg.mode == "speaker" and (host_speaking or time.monotonic() < self._speaking_until)
        if ducking and self._echo is not None and not self._turns.in_speech:
            self._track_erle(frame, raw)  # only the host's voice in the mic: how well it is cancelled
        was = self._turns.in_speech
        for event in self._turns.push(frame, probability, cfg.duck_threshold if ducking else None):
            if isinstance(event, Onset):
                if not was:
                    self._spoke_in_turn, self._partial_at, self._partial_words = False, 0, 0
                    self._energy, self._unconverged = [0.0, 0.0], False
                    self.ears.user_speaking(True)
                    was = True
                self._spoke_in_turn |= host_speaking
                self._unconverged |= ducking and not self._converged()
                self._energy[0] += float(np.dot(frame, frame))
                self._energy[1] += float(np.dot(raw, raw))
                self._maybe_barge_in(event, host_speaking, ducking)
                self._maybe_partial(event)
            elif isinstance(event, Pause):
                self._jobs.put(_Job("pause", event.turn, event.audio, event.end))
            elif isinstance(event, TurnEnd):
                self._counts["turns"] += 1
                self._release(event.turn)
                self.ears.user_speaking(False)
                over_host = self._spoke_in_turn or ducking
                share = self._doubletalk_share(self._samples - event.start) if over_host else 0.0
                self._jobs.put(_Job("final", event.turn, event.audio, event.end, event.start,
                                    over_host, self._residual_db(), self._unconverged, share,
                                    self._barged == event.turn))
            elif isinstance(event, FalseStart):
                self._counts["false_starts"] += 1
                self._release(event.turn)
                self.ears.user_speaking(False)

    def _maybe_barge_in(self, onset: Onset, host_speaking: bool, ducking: bool) -> None:
        cfg = self.config
        if cfg.barge_in == "never" or not host_speaking or self._barged == onset.turn:
            return
        after = cfg.duck_barge_in_after_s if ducking else cfg.barge_in_after_s
        if (cfg.barge_in == "always" and not ducking and self._held != onset.turn
                and cfg.barge_in_hold_s <= onset.voiced_s < after):
            self._held = onset.turn  # quiet at once; final or played on once the speech says
            self._counts["holds"] += 1
            self.ears.hold()
        if onset.voiced_s < after:
            return  # a false start so far: the host goes on
        if ducking and (self._unconverged or self._residual_db() < cfg.echo_residual_db
                        or self._host_voice_share(onset) >= cfg.echo_share_max):
            return  # what the canceller left of the host's own voice
        if cfg.barge_in == "words" and self._partial_words < cfg.barge_in_words:
            return
        self._barged = onset.turn
        self._counts["barge_ins"] += 1
        self.ears.barge_in()

    def _release(self, turn: int) -> None:
        """The speech that held the host ended without interrupting it: the host plays on."""
        if self._held != turn:
            return
        self._held = 0
        if self._barged != turn:
            self._counts["resumed"] += 1
            self.ears.release()

    def _host_voice_share(self, onset: Onset) -> float:
        """How much of the turn so far (its last second) is the host's voice the canceller let
        through; measured at most every 0.1 s of a turn."""
        at, share = self._share
        if at < onset.start or self._samples - at >= SAMPLE_RATE // 10:
            share = self._doubletalk_share(min(self._samples - onset.start, SAMPLE_RATE))
        return share

    def _doubletalk_share(self, samples: int) -> float:
        if self._doubletalk is None:
            return 0.0
        share = self._doubletalk.echo_share(samples)
        self._share = (self._samples, share)
        return share

    def _track_erle(self, clean: np.ndarray, raw: np.ndarray) -> None:
        self._erle.append((float(np.dot(clean, clean)), float(np.dot(raw, raw))))
        self._erle_seconds += FRAME / SAMPLE_RATE
        self._converged()  # latch it while only the host is heard, not at a person's onset

    def erle_db(self) -> float | None:
        """How much of the host's voice the canceller removes (its echo return loss
        enhancement) over the last 1.5 s of the host speaking alone — leaving out the newest
        0.3 s, where a person may already be speaking before the VAD says so."""
        return _erle_db(self._erle_frames())

    def _erle_frames(self) -> list[tuple[float, float]]:
        return list(self._erle)[:-_ERLE_RECENT]

    def _converged(self) -> bool:
        """Whether the canceller removes the host's voice well, measured only where the host
        alone is heard (a person's speech is not in the measure). Adapted at
        ``echo_converged_db``; no longer once it falls ``_UNADAPT_DB`` below (the canceller
        can lose the echo without a pairing jump: seen at 4 dB mid-talk under load), or after a
        pairing jump (``_readapt_after_a_jump``)."""
        if frames := self._erle_frames():  # checked every frame the host is heard alone: once
            heard = sum(raw for _, raw in frames) / (len(frames) * FRAME)  # mean power of the echo
            if heard >= _ECHO_FLOOR:  # an echo (perhaps new: a speaker turned on) to cancel
                erle, wanted = _erle_db(frames), self.config.echo_converged_db
                if self._adapted != "erle" and erle >= wanted:
                    self._adapted = "erle"
                elif self._adapted != "erle" or erle < wanted - _UNADAPT_DB:
                    self._adapted = ""
            elif not self._adapted and self._erle_seconds >= 3.0:
                self._adapted = "no echo"  # the mic does not hear the host: nothing to cancel
        return bool(self._adapted)

    def _readapt_after_a_jump(self) -> None:
        """A pairing jump moves the played audio against the mic, and the canceller must find
        the echo's delay again (about a second of the host's voice, leaking meanwhile): until
        it has, speech over the host is taken for that leak, as before the first adaptation."""
        resyncs = self._echo.stats().resyncs
        if resyncs != self._resyncs:
            self._resyncs = resyncs
            self._adapted, self._erle_seconds = "", 0.0
            self._erle.clear()

    def _residual_db(self) -> float:
        """How much of the turn's energy the echo canceller left (0 dB: all of it)."""
        clean, raw = self._energy
        return 0.0 if raw <= 0 else 10 * math.log10(max(clean, 1e-12) / raw)

    def _maybe_partial(self, onset: Onset) -> None:
        spoken = self._samples - onset.start
        if spoken - self._partial_at >= self.config.partial_every_s * SAMPLE_RATE and self._jobs.empty():
            self._partial_at = spoken
            self._jobs.put(_Job("partial", onset.turn, self._turns.audio(), self._samples))

    # -- the recognition worker ------------------------------------------------------------
    def _recognize_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job.kind == "partial" and not self._jobs.empty():
                continue  # stale: newer audio is already waiting
            try:
                self._recognize(job)
            except Exception:
                log.exception("listener: recognition failed (%s, turn %d)", job.kind, job.turn)

    def _recognize(self, job: _Job) -> None:
        key = (job.turn, job.end)
        if job.kind == "final" and key in self._pause_results:
            text = self._pause_results.pop(key)  # the pause's transcript covers the whole turn
        else:
            transcript = self._recognizer.transcribe(job.audio, prompt=self.vocabulary or None)
            text = transcript.text if transcript.usable else ""
            if job.kind == "pause":
                self._pause_results = {key: text}  # only the latest pause can become final
                self._turns.unfinished = sounds_unfinished(text)
                return
            if job.kind == "partial":
                self._counts["partials"] += 1
                self._partial_words = len(_words(text))
                self._turns.unfinished = sounds_unfinished(text)
                if text:
                    t0, t1 = self._media_span(job.end - len(job.audio), job.end)
                    self.ears.heard(text, t0, t1, True)
                return
            if not transcript.usable:
                self._counts["unusable"] += 1
                return
        if not text:
            self._counts["unusable"] += 1
            return
        if self.config.mode == "speaker" and job.avatar_spoke:
            overlap = self._overlap(text)
            short = (job.end - job.start) / SAMPLE_RATE < self.config.duck_min_speech_s
            echo_like = (job.unconverged or short or job.residual_db < self.config.echo_residual_db
                         or job.echo_share >= self.config.echo_share_max)
            if (echo_like and not job.barged_in) or overlap >= self.config.echo_overlap:
                self._counts["echo_dropped"] += 1
                self.last_echo = {"text": text, "residual_db": round(job.residual_db, 1),
                                  "overlap": round(overlap, 2), "unconverged": job.unconverged,
                                  "echo_share": round(job.echo_share, 2)}
                log.info("listener: dropped the host's own voice: %s", self.last_echo)
                return
        t0, t1 = self._media_span(job.start, job.end)
        self.ears.heard(text, t0, t1, False)
        if self._emit is not None:
            self._emit(ChatMessage(platform="mic", user=self.config.user, text=text, kind="mic",
                                   id=f"mic-{job.turn}", user_id="mic", platform_time=time.time()))

    def _media_span(self, start: int, end: int) -> tuple[float, float]:
        """Sample indexes on the mic to the channel's media clock."""
        now_media, now = self.ears.media_time(), time.monotonic()
        behind = now - self._last_at
        to_media = lambda s: round(now_media - behind - (self._samples - s) / SAMPLE_RATE, 3)
        return to_media(start), to_media(end)

    def _overlap(self, text: str) -> float:
        """The share of the words heard that the host said in the last 20 s."""
        heard = _words(text)
        if not heard:
            return 0.0
        recent = time.monotonic() - 20.0
        said = {w for at, line in list(self._spoken) if at >= recent for w in _words(line)}
        return sum(w in said for w in heard) / len(heard)
