"""One playback stream to a PulseAudio (or PipeWire-pulse) sink through libpulse-simple.

In this process rather than a ``pacat`` subprocess: the stream's buffer is the only one between
a tick and the device, what it holds is known (``queued_s``, counted here) and can be dropped
(``flush``), so a voice that is cut falls silent at the device at once, not a pipe and a
player's buffer later. Only the sink thread that opened a stream may use it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from functools import cache

from livehost.errors import LivehostError

_PLAYBACK = 1  # PA_STREAM_PLAYBACK
_S16LE = 3  # PA_SAMPLE_S16LE
_DEFAULT = 0xFFFFFFFF  # (uint32_t) -1: the server's choice


class _SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


class _BufferAttr(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in ("maxlength", "tlength", "prebuf", "minreq", "fragsize")]


@cache
def _libraries() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    found = [ctypes.util.find_library(name) or f"lib{name}.so.0" for name in ("pulse-simple", "pulse")]
    try:
        simple, pulse = (ctypes.CDLL(path) for path in found)
    except OSError as exc:
        raise LivehostError(f"PulseAudio's client library is missing ({exc}); apt install libpulse0") from None
    simple.pa_simple_new.restype = ctypes.c_void_p
    simple.pa_simple_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                     ctypes.c_char_p, ctypes.POINTER(_SampleSpec), ctypes.c_void_p,
                                     ctypes.POINTER(_BufferAttr), ctypes.POINTER(ctypes.c_int)]
    simple.pa_simple_write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                       ctypes.POINTER(ctypes.c_int)]
    for name in ("pa_simple_flush", "pa_simple_drain"):
        getattr(simple, name).argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    simple.pa_simple_get_latency.restype = ctypes.c_uint64
    simple.pa_simple_get_latency.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    simple.pa_simple_free.argtypes = [ctypes.c_void_p]
    pulse.pa_strerror.restype = ctypes.c_char_p
    pulse.pa_strerror.argtypes = [ctypes.c_int]
    return simple, pulse


class PulsePlayback:
    """Mono 16-bit playback into ``device``. The server keeps about ``buffer_s`` (its target
    length) and starts playing, also after an underrun, once one ``start_s`` is in."""

    def __init__(self, device: str, sample_rate: int, client: str, stream: str,
                 buffer_s: float = 0.08, start_s: float = 0.02) -> None:
        self._simple, self._pulse = _libraries()
        spec = _SampleSpec(_S16LE, sample_rate, 1)
        per_second = 2 * sample_rate
        attr = _BufferAttr(_DEFAULT, int(buffer_s * per_second) & ~1, int(start_s * per_second) & ~1, _DEFAULT,
                           _DEFAULT)
        error = ctypes.c_int(0)
        self._handle = self._simple.pa_simple_new(None, client.encode(), _PLAYBACK, device.encode(),
                                                  stream.encode(), ctypes.byref(spec), None, ctypes.byref(attr),
                                                  ctypes.byref(error))
        if not self._handle:
            raise LivehostError(f"cannot play into {device}: {self._why(error)}")
        self.device, self._rate = device, sample_rate
        self._played_by = time.monotonic()  # when what was written will have played, in real time
        self._device_s = 0.0  # the device's own latency, read by wake()

    def _why(self, error: ctypes.c_int) -> str:
        return self._pulse.pa_strerror(error.value).decode(errors="replace")

    def _check(self, result: int, error: ctypes.c_int, what: str) -> None:
        if result < 0:
            raise LivehostError(f"{what} {self.device} failed: {self._why(error)}")

    def write(self, pcm: bytes) -> None:
        """Blocks only while the server's buffer is full."""
        error = ctypes.c_int(0)
        self._check(self._simple.pa_simple_write(self._handle, pcm, len(pcm), ctypes.byref(error)), error,
                    "playing into")
        self._played_by = max(self._played_by, time.monotonic()) + len(pcm) / (2 * self._rate)

    def queued_s(self) -> float:
        """What this process wrote that cannot have played yet at real-time speed. Counted
        here, not read from the server: libpulse-simple's latency reading stuck at 80 ms while
        the server's buffer was empty, and a writer that waited for it to fall starved the
        stream for 20 s."""
        return max(0.0, self._played_by - time.monotonic())

    def wake(self, seconds: float) -> None:
        """Play ``seconds`` of silence and wait until it has played. An idle null sink sleeps
        in blocks of up to 2 s and only then sees a new stream: the first write after the
        one that filled the buffer would wait that long (measured: 1.9 s). Drained, the
        stream's latency is the device's own, read here once."""
        self.write(bytes(2 * round(seconds * self._rate)))
        error = ctypes.c_int(0)
        self._check(self._simple.pa_simple_drain(self._handle, ctypes.byref(error)), error, "starting")
        self._played_by = time.monotonic()
        usec = self._simple.pa_simple_get_latency(self._handle, ctypes.byref(error))
        if usec == 2**64 - 1:  # (pa_usec_t) -1
            self._check(-1, error, "reading the latency of")
        self._device_s = usec / 1e6

    def latency_s(self) -> float:
        """From a sample written now to its playing at the device: what is queued (counted)
        and the device's latency. libpulse-simple's own reading is not used once the stream
        plays: on a null sink it grew by a second every second while the audio flowed."""
        return self._device_s + self.queued_s()

    def flush(self) -> None:
        error = ctypes.c_int(0)
        self._check(self._simple.pa_simple_flush(self._handle, ctypes.byref(error)), error, "flushing")
        self._played_by = time.monotonic()

    def close(self, drain: bool) -> None:
        if not self._handle:
            return
        if drain:
            error = ctypes.c_int(0)
            self._simple.pa_simple_drain(self._handle, ctypes.byref(error))  # best effort: closing anyway
        self._simple.pa_simple_free(self._handle)
        self._handle = None
