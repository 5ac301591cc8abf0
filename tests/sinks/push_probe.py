"""Synthetic sync-pattern ticks for the push sinks, and a PyAV reader that measures what a
real receiver got: frames, keyframe times, and the flash-to-beep offset."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
from loopback import free_port  # noqa: F401 (re-exported for the tests)

from livehost.media.clock import MediaClock
from livehost.media.frames import AVTick, FaceState
from livehost.media.pattern import SyncPattern
from livehost.sinks.base import StreamSpec

SR = 48_000
FPS = 25
SIZE = (320, 180)
SPEC = StreamSpec(SIZE[0], SIZE[1], Fraction(FPS), SR)




def pattern_tick(pattern: SyncPattern, i: int) -> AVTick:
    clock = pattern.clock
    return AVTick(i, clock.time_of_tick(i), pattern.frame(i), pattern.audio(i), SR, False, FaceState())


def feed_realtime(sink, seconds: float, stop: threading.Event | None = None, start_tick: int = 0) -> int:
    """Offer sync-pattern ticks at the real rate (as the channel does); returns ticks offered."""
    clock = MediaClock(SR, FPS)
    pattern = SyncPattern(SIZE, clock)
    origin = time.monotonic()
    n = round(seconds * FPS)
    for i in range(n):
        if stop is not None and stop.is_set():
            return i
        time.sleep(max(0.0, origin + i / FPS - time.monotonic()))
        sink.offer(pattern_tick(pattern, start_tick + i))
    return n


@dataclass
class Received:
    frame_times: list[float] = field(default_factory=list)
    flash_times: list[float] = field(default_factory=list)
    keyframe_times: list[float] = field(default_factory=list)
    audio: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (start time, channel 0)
    error: str | None = None

    def beep_onsets(self, level: float = 0.1) -> list[float]:
        """Times where the 1 kHz beep starts: a 1 ms window's peak rises above ``level``
        after at least 0.5 s of silence."""
        if not self.audio:
            return []
        start = self.audio[0][0]
        pcm = np.concatenate([a for _, a in self.audio])
        windows = np.abs(pcm[: len(pcm) // 48 * 48]).reshape(-1, 48).max(axis=1)
        onsets, last_loud = [], -1e9
        for w in np.flatnonzero(windows > level):
            if w - last_loud > 500:
                first = w * 48 + int(np.argmax(np.abs(pcm[w * 48 : w * 48 + 48]) > level))
                onsets.append(start + first / SR)
            last_loud = w
        return onsets

    def av_offsets(self) -> list[float]:
        """Beep onset minus flash time, for each flash with a beep within 0.5 s."""
        onsets = np.array(self.beep_onsets())
        out = []
        for flash in self.flash_times:
            if len(onsets):
                near = onsets[np.argmin(np.abs(onsets - flash))]
                if abs(near - flash) < 0.5:
                    out.append(float(near - flash))
        return out


def read_stream(url, seconds: float, fmt: str | None = None, timeout: float = 15.0) -> Received:
    """Decode ``seconds`` of media from ``url`` or a file object (or until it ends or stalls)."""
    got = Received()
    try:
        with av.open(url, format=fmt, timeout=(timeout, 5.0)) as container:
            vstream, astream = container.streams.video[0], container.streams.audio[0]
            first = None
            for packet in container.demux(vstream, astream):
                if packet.pts is None:
                    continue
                t = float(packet.pts * packet.time_base)
                first = t if first is None else first
                if t - first > seconds:
                    break
                if packet.stream is vstream and packet.is_keyframe:
                    got.keyframe_times.append(t)
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        got.frame_times.append(frame.time)
                        if frame.to_ndarray(format="gray").mean() > 200:
                            got.flash_times.append(frame.time)
                    else:
                        got.audio.append((frame.time, frame.to_ndarray()[0].astype(np.float32)))
    except (av.FFmpegError, OSError) as exc:
        got.error = f"{type(exc).__name__}: {exc}"
    return got


def read_srt(port: int, seconds: float) -> Received:
    """PyAV's own ffmpeg has no libsrt: the system ffmpeg calls the listener and hands the
    MPEG-TS packets on unchanged (timestamps kept) through a pipe."""
    proc = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", f"srt://127.0.0.1:{port}?mode=caller",
         "-t", str(seconds), "-c", "copy", "-f", "mpegts", "pipe:1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        got = read_stream(proc.stdout, seconds, fmt="mpegts")
    finally:
        proc.kill()
        _, err = proc.communicate()
    if not got.frame_times:
        got.error = got.error or err.decode(errors="replace").strip()[-300:]
    return got


class Reader(threading.Thread):
    """``read_stream`` on a thread, so the test can push meanwhile."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(daemon=True)
        self._args, self._kwargs = args, kwargs
        self.result: Received | None = None

    def run(self) -> None:
        self.result = read_stream(*self._args, **self._kwargs)

    def wait(self, timeout: float) -> Received:
        self.join(timeout)
        assert self.result is not None, "the reader did not finish"
        return self.result
