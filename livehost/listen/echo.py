"""Echo cancellation for the microphone: in speaker mode the host's own voice, played on
speakers, leaks back into the mic and must be gone before the VAD and speech recognition hear
it. WebRTC's AEC3 (the pywebrtc-audio package) cancels; this module feeds it each 10 ms of mic
paired with the played audio it must remove, across the channel's and the listener's threads.

Pairing. AEC3 needs the played audio no later than its echo, and finds the actual delay by
itself anywhere in 0-0.5 s. The played audio and the mic are each a continuous stream of
samples with a clock of its own: sample n was at offset + n / rate, where the offset is the
earliest its recent stamps allow (a tick leaves the channel as it arrives, a mic chunk is
stamped after its capture, and callbacks and queues only ever delay); a stamp later than that
by GAP_S means the stream paused and starts over. Each mic sample is paired with the played
audio of GUARD_S after its capture (less ``delay_ms``, a known extra latency beyond AEC3's
reach), and pairing then runs sample by sample, jumping (a resync) only when the clocks
disagree by more than EARLY_S or LATE_S. Mic frames wait up to ``hold_ms`` for their played
audio to arrive, which is why the output runs a fixed ``latency`` behind; played audio that
comes later goes unused. Played audio waiting to be paired is bounded by ``buffer_s`` whatever
the mic does.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
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
# Pairing drift let run before a resync: little towards played audio older than due (its echo
# could come first), more towards newer (AEC3 just sees a longer delay; a resync costs it a
# second or two of converging again).
EARLY_S, LATE_S = 0.02, 0.1
GUARD_S = EARLY_S  # the played audio paired with a mic sample is this much newer than it
GAP_S = 0.3  # a stamp this much later than its stream's clock says: the stream paused
WINDOW_S = 1.0  # how far back a stream's clock looks for its earliest stamp


@dataclass(frozen=True, slots=True)
class EchoStats:
    """Seconds of played audio ``buffered`` for mic frames to come, and ``unused`` by any (before
    the mic started, while it stalled, came too late); ``resyncs``: pairing jumps."""

    mode: str
    buffered_s: float
    unused_s: float
    resyncs: int


class _StreamClock:
    """When each sample of a continuous stream was: sample n at offset + n / rate, the offset
    the earliest the stamps of the last WINDOW_S allow, so it follows lost samples and slow
    sound cards within a second while a late stamp moves nothing."""

    def __init__(self) -> None:
        self.offset: float | None = None
        self.count = 0  # samples so far
        self._seen: deque[tuple[int, float]] = deque()  # (count, offset seen), offsets rising

    def add(self, n: int, first_at: float, rate: int = RATE) -> bool:
        """``n`` more samples, the first of them stamped ``first_at``; True if the stream
        (re)starts with them."""
        seen = first_at - self.count / rate
        restart = self.offset is None or seen > self.offset + GAP_S
        if restart:
            self._seen.clear()
            self.count, seen = 0, first_at
        while self._seen and self._seen[-1][1] >= seen:  # never the earliest again
            self._seen.pop()
        self._seen.append((self.count, seen))
        self.count += n
        while len(self._seen) > 1 and self._seen[0][0] < self.count - WINDOW_S * rate:
            self._seen.popleft()
        self.offset = self._seen[0][1]
        return restart


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
        self._ref_lock = threading.Lock()  # the played side: played writes, process takes
        self._mic_lock = threading.Lock()  # the mic side and AEC3's state
        self._played = _StreamClock()  # counts samples at the channel's rate
        self._resampler: tuple[int, soxr.ResampleStream] | None = None
        self._ref = np.zeros(0, np.float32)  # played samples (16 kHz) from index _ref_start on
        self._ref_start = 0
        self._pair: int | None = None  # the played index due for the next mic sample
        self._unused = self._resyncs = 0
        self._mic = _StreamClock()
        self._pending = np.zeros(0, np.float32)  # mic samples not run yet
        self._out = np.zeros(self.latency, np.float32)  # cleaned samples not handed back yet
        self._out_played = np.zeros(self.latency, np.float32)  # the played audio paired with them
        self.paired = np.zeros(0, np.float32)  # the played audio paired with what process last returned

    def played(self, pcm: np.ndarray, sample_rate: int) -> None:
        """Audio the channel just played (int16 or float, mono or frames x channels)."""
        if self._aec is None:
            return
        now = self._clock()
        pcm = _mono_float(pcm)
        with self._ref_lock:
            if self._resampler is None or self._resampler[0] != sample_rate:
                self._played = _StreamClock()  # a new stream: its own clock
                # LQ: 20 ms of lag where HQ takes 40, for the same cancelling
                self._resampler = (sample_rate, soxr.ResampleStream(
                    sample_rate, RATE, 1, dtype="float32", quality="LQ"))
            if self._played.add(len(pcm), now, sample_rate):
                self._unused += len(self._ref)
                self._ref, self._ref_start, self._pair = np.zeros(0, np.float32), 0, None
            x = self._resampler[1].resample_chunk(pcm) if sample_rate != RATE else pcm
            self._ref = np.concatenate([self._ref, x])
            over = len(self._ref) - self._capacity
            if over > 0:  # nobody takes it: the mic has stalled
                self._unused += over
                self._ref, self._ref_start = self._ref[over:], self._ref_start + over

    def process(self, mic: np.ndarray, sample_rate: int = RATE, at: float | None = None
                ) -> np.ndarray:
        """The mic audio (16 kHz mono, int16 or float) without the played audio's echo, in the
        mic's dtype. ``at``: the capture time of its last sample on the canceller's clock
        (default: now)."""
        if self._aec is None:
            self.paired = np.zeros(len(mic), np.float32)
            return mic
        if sample_rate != RATE:
            raise ValueError(f"echo canceller: the mic must be {RATE} Hz, got {sample_rate}")
        at = self._clock() if at is None else at
        with self._mic_lock:
            x = _mono_float(mic)
            self._mic.add(len(x), at - (len(x) - 1) / RATE)
            self._pending = np.concatenate([self._pending, x])
            first = self._mic.offset + (self._mic.count - len(self._pending)) / RATE
            n, ref = self._take(len(self._pending) - len(self._pending) % FRAME,
                                first + self._shift)
            if n:
                cleaned = self._aec.process(self._pending[:n], ref)
                self._pending = self._pending[n:]
                self._out = np.concatenate([self._out, cleaned])
                self._out_played = np.concatenate([self._out_played, ref])
            out, self._out = self._out[: len(x)], self._out[len(x) :]
            self.paired, self._out_played = self._out_played[: len(x)], self._out_played[len(x) :]
        if mic.dtype == np.int16:
            return np.clip(np.round(out * 32768), -32768, 32767).astype(np.int16)
        return out.astype(mic.dtype, copy=False)

    def stats(self) -> EchoStats:
        with self._ref_lock:
            return EchoStats(self.mode, len(self._ref) / RATE, self._unused / RATE,
                             self._resyncs)

    def _take(self, whole: int, due: float) -> tuple[int, np.ndarray]:
        """How many of the ``whole`` mic samples waiting may run now, and the played audio
        paired with them; ``due`` is the played time to pair with the first."""
        with self._ref_lock:
            if self._played.offset is None:  # nothing played yet: nothing to cancel
                return whole, np.zeros(whole, np.float32)
            want = round((due - self._played.offset) * RATE)
            if self._pair is None or not -LATE_S * RATE <= want - self._pair <= EARLY_S * RATE:
                self._resyncs += self._pair is not None
                self._pair = want
            stale = min(max(self._pair - self._ref_start, 0), len(self._ref))
            self._unused += stale
            self._ref, self._ref_start = self._ref[stale:], self._ref_start + stale
            end = self._ref_start + len(self._ref)  # the index after the last one played
            ready = min(whole, max(end - self._pair, 0) // FRAME * FRAME)
            n = max(ready, whole - self._hold)
            lead = min(max(self._ref_start - self._pair, 0), n)  # before playback: silence
            got = self._ref[: n - lead]
            self._ref, self._ref_start = self._ref[len(got) :], self._ref_start + len(got)
            self._pair += n
        # after the last played sample: silence too (it may still come, too late)
        tail = n - lead - len(got)
        return n, np.concatenate([np.zeros(lead, np.float32), got, np.zeros(tail, np.float32)])


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
