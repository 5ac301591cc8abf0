"""Echo cancellation for the microphone: in speaker mode the host's own voice, played on
speakers, leaks back into the mic and must be gone before the VAD and speech recognition hear
it. WebRTC's AEC3 (the pywebrtc-audio package) cancels; this module feeds it each 10 ms of mic
paired with the played audio it must remove, across the channel's and the listener's threads.

Pairing. AEC3 needs the played audio no later than its echo, and finds the actual delay by
itself anywhere in 0-0.5 s. Played audio gets a time on arrival (a tick leaves the channel as
it arrives; ticks that follow on are contiguous), mic audio its capture time, and each mic
sample is paired with the played audio of GUARD_S after it was captured (less ``delay_ms``, a
known extra latency beyond AEC3's reach). Pairing then runs sample by sample, and only jumps
(a resync) when the two clocks disagree by more than TOLERANCE_S: at the start, after the mic
or the channel stalled, when the listener fell far behind. Mic frames wait up to ``hold_ms`` for
their played audio to arrive, which is why the output runs a fixed ``latency`` behind. Played
audio waiting to be paired is bounded by ``buffer_s`` whatever the mic does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import soxr

from livehost.errors import LivehostError

RATE = 16_000
FRAME = RATE // 100  # AEC3 works on 10 ms frames
MODES = ("headset", "speaker")
EchoMode = Literal["headset", "speaker"]
GUARD_S = 0.03  # the played audio paired with a mic sample is this much newer: echo never leads
TOLERANCE_S = 0.05  # clock disagreement that is timing jitter, not a stall or a gap


@dataclass(frozen=True, slots=True)
class EchoStats:
    """Seconds of played audio: ``buffered`` waiting for its mic frames, ``late`` skipped because
    it came after them, ``dropped`` stale or over ``buffer_s``; ``resyncs`` pairing jumps."""

    mode: str
    buffered_s: float
    late_s: float
    dropped_s: float
    resyncs: int


class EchoCanceller:
    """``played`` from the channel's thread, ``process`` from the listener's; both are cheap.
    ``process`` returns as many samples as it is given, ``latency`` samples behind its input in
    speaker mode; headset mode hands the mic back untouched."""

    def __init__(self, mode: str = "speaker", *, delay_ms: float = 0.0, hold_ms: float = 60.0,
                 buffer_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in MODES:
            raise LivehostError(f"echo mode {mode!r}: use one of {', '.join(MODES)}")
        if delay_ms < 0 or hold_ms < 1000 * GUARD_S or buffer_s <= 0:
            raise ValueError(f"echo canceller: delay_ms={delay_ms} must be >= 0, hold_ms="
                             f"{hold_ms} >= {1000 * GUARD_S:g}, buffer_s={buffer_s} > 0")
        self.mode: EchoMode = mode  # type: ignore[assignment]
        self._aec = _aec3() if mode == "speaker" else None
        self._clock = clock
        self._shift = GUARD_S - delay_ms / 1000
        self._hold = FRAME * math.ceil(hold_ms * RATE / 1000 / FRAME)
        self._capacity = round(buffer_s * RATE)
        self.latency = FRAME + self._hold  # samples the output runs behind the mic
        self._ref_lock = threading.Lock()  # the played timeline: played writes, process takes
        self._mic_lock = threading.Lock()  # the mic side and AEC3's state
        self._resampler: tuple[int, soxr.ResampleStream] | None = None
        self._ref = np.zeros(0, np.float32)  # played samples from time _head on
        self._head: float | None = None  # None until something is played
        self._ref_end = -math.inf  # time just after the last played sample
        self._late = self._dropped = self._resyncs = 0
        self._pending = np.zeros(0, np.float32)  # mic samples not run yet
        self._out = np.zeros(self.latency, np.float32)  # cleaned samples not handed back yet

    def played(self, pcm: np.ndarray, sample_rate: int) -> None:
        """Audio the channel just played (int16 or float, mono or frames x channels)."""
        if self._aec is None:
            return
        now = self._clock()
        with self._ref_lock:
            x = self._to_16k(_mono_float(pcm), sample_rate)
            start = self._ref_end if now <= self._ref_end + TOLERANCE_S else now
            self._ref_end = start + len(x) / RATE
            if self._head is None:
                self._head = start
            self._append(start, x)

    def process(self, mic: np.ndarray, sample_rate: int = RATE, at: float | None = None
                ) -> np.ndarray:
        """The mic audio (16 kHz mono, int16 or float) without the played audio's echo, in the
        mic's dtype. ``at``: the capture time of its last sample on the canceller's clock
        (default: now)."""
        if self._aec is None:
            return mic
        if sample_rate != RATE:
            raise ValueError(f"echo canceller: the mic must be {RATE} Hz, got {sample_rate}")
        at = self._clock() if at is None else at
        with self._mic_lock:
            x = _mono_float(mic)
            self._pending = np.concatenate([self._pending, x])
            first = at - (len(self._pending) - 1) / RATE  # capture time of _pending[0]
            n, ref = self._take(len(self._pending) - len(self._pending) % FRAME,
                                first + self._shift)
            if n:
                cleaned = self._aec.process(self._pending[:n], ref)
                self._pending = self._pending[n:]
                self._out = np.concatenate([self._out, cleaned])
            out, self._out = self._out[: len(x)], self._out[len(x) :]
        if mic.dtype == np.int16:
            return np.clip(np.round(out * 32768), -32768, 32767).astype(np.int16)
        return out.astype(mic.dtype, copy=False)

    def stats(self) -> EchoStats:
        with self._ref_lock:
            return EchoStats(self.mode, len(self._ref) / RATE, self._late / RATE,
                             self._dropped / RATE, self._resyncs)

    def _append(self, start: float, x: np.ndarray) -> None:
        gap = round((start - self._head) * RATE) - len(self._ref)  # from the buffer's end
        if gap < 0:  # its beginning was due for mic frames that already ran
            skip = min(-gap, len(x))
            self._late += skip
            x, gap = x[skip:], 0
        if gap > self._capacity:  # a long silence: start over at this audio
            self._dropped += len(self._ref)
            self._ref, self._head = np.zeros(0, np.float32), start
            gap = 0
        self._ref = np.concatenate([self._ref, np.zeros(gap, np.float32), x])
        over = len(self._ref) - self._capacity
        if over > 0:  # nobody takes it: the mic has stalled
            self._dropped += over
            self._ref = self._ref[over:]
            self._head += over / RATE

    def _take(self, whole: int, want: float) -> tuple[int, np.ndarray]:
        """How many of the ``whole`` mic samples waiting may run now, and the played audio
        paired with them; ``want`` is the played time due for the first."""
        with self._ref_lock:
            if self._head is None:  # nothing played yet: nothing to cancel
                return whole, np.zeros(whole, np.float32)
            if abs(self._head - want) > TOLERANCE_S:
                self._resync(want)
            n = max(min(whole, len(self._ref) - len(self._ref) % FRAME), whole - self._hold)
            got, self._ref = self._ref[:n], self._ref[n:]
            self._head += n / RATE
        if len(got) < n:  # waited long enough: silence stands in, the late audio is skipped
            got = np.concatenate([got, np.zeros(n - len(got), np.float32)])
        return n, got

    def _resync(self, want: float) -> None:
        self._resyncs += 1
        shift = round((want - self._head) * RATE)
        if shift > 0:  # played audio older than the mic frames: stale
            self._dropped += min(shift, len(self._ref))
            self._ref = self._ref[shift:]
        else:  # mic frames older than the played audio: they pair with silence
            pad = min(-shift, max(self._capacity - len(self._ref), 0))
            self._ref = np.concatenate([np.zeros(pad, np.float32), self._ref])
            want = self._head - pad / RATE
        self._head = want

    def _to_16k(self, x: np.ndarray, rate: int) -> np.ndarray:
        if rate == RATE:
            return x
        if self._resampler is None or self._resampler[0] != rate:
            self._resampler = (rate, soxr.ResampleStream(rate, RATE, 1, dtype="float32"))
        return self._resampler[1].resample_chunk(x)


def _mono_float(pcm: np.ndarray) -> np.ndarray:
    pcm = np.asarray(pcm)
    if pcm.ndim not in (1, 2):
        raise ValueError(f"echo canceller: audio must be 1-D or frames x channels, got {pcm.shape}")
    x = pcm.astype(np.float32, copy=False)
    if pcm.dtype == np.int16:
        x = x / 32768
    return x.mean(axis=1) if x.ndim == 2 else x


def _aec3():
    try:
        from pywebrtc_audio import AudioProcessor
    except ImportError as exc:
        raise LivehostError(
            "speaker mode needs WebRTC's echo canceller: pip install pywebrtc-audio "
            f"({exc}); or listen with a headset (mode: headset)"
        ) from exc
    return AudioProcessor(sample_rate=RATE, echo_cancellation=True)
