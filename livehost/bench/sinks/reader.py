"""A real receiver of the push outputs: PyAV reading a stream back (RTMP from nginx, SRT
through the system ffmpeg), measuring what arrived: frames, keyframes, and the sync pattern's
flashes and beeps on the stream's own timestamps."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np

from .sync import FlashDetector, OnsetDetector, pair_offsets

PAIR_WINDOW_S = 0.5
LUMA_SIZE = 32  # flashes are whole-frame: a thumbnail's mean finds them at a fraction of the cost


@dataclass
class Received:
    frame_times: list[float] = field(default_factory=list)
    keyframe_times: list[float] = field(default_factory=list)
    flashes: FlashDetector = field(default_factory=FlashDetector)
    beeps: OnsetDetector = field(default_factory=OnsetDetector)
    first_frame_at: float | None = None  # time.monotonic() when the first picture was decoded
    error: str | None = None

    @property
    def flash_times(self) -> list[float]:
        return self.flashes.flashes

    def pairs(self) -> list[tuple[float, float]]:
        """(flash time, beep onset minus flash), in seconds of stream time."""
        return pair_offsets(self.flashes.flashes, self.beeps.onsets, PAIR_WINDOW_S)

    def av_offsets(self) -> list[float]:
        return [offset for _, offset in self.pairs()]

    @property
    def fps(self) -> float:
        span = self.frame_times[-1] - self.frame_times[0] if len(self.frame_times) > 1 else 0.0
        return (len(self.frame_times) - 1) / span if span > 0 else 0.0


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
                        if got.first_frame_at is None:
                            got.first_frame_at = time.monotonic()
                        got.frame_times.append(frame.time)
                        small = frame.reformat(width=LUMA_SIZE, height=LUMA_SIZE, format="gray")
                        got.flashes.feed(frame.time, float(small.to_ndarray().mean()))
                    else:
                        got.beeps.feed(frame.time, frame.to_ndarray()[0].astype(np.float32), frame.sample_rate)
    except (av.FFmpegError, OSError) as exc:
        got.error = f"{type(exc).__name__}: {exc}"
    return got


def read_srt(port: int, seconds: float, wait_s: float = 0.0, options: str = "") -> Received:
    """Call an SRT listener on loopback and read ``seconds`` of it; while it does not answer
    yet (it listens once its ffmpeg is up), call again for up to ``wait_s`` seconds.
    ``options``: more of the caller's URL query (``passphrase=...``).

    PyAV's own ffmpeg has no libsrt: the system ffmpeg calls the listener and hands the
    MPEG-TS packets on unchanged (timestamps kept) through a pipe."""
    deadline = time.monotonic() + wait_s
    while True:
        got = _read_srt_once(port, seconds, options)
        if got.frame_times or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def _read_srt_once(port: int, seconds: float, options: str) -> Received:
    query = "mode=caller" + (f"&{options}" if options else "")
    proc = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", f"srt://127.0.0.1:{port}?{query}",
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
    """``read`` (``read_stream`` unless told) on a thread, so the caller can push meanwhile."""

    def __init__(self, *args, read: Callable[..., Received] = read_stream, **kwargs) -> None:
        super().__init__(daemon=True)
        self._read, self._args, self._kwargs = read, args, kwargs
        self.result: Received | None = None

    def run(self) -> None:
        self.result = self._read(*self._args, **self._kwargs)

    def wait(self, timeout: float) -> Received:
        self.join(timeout)
        if self.result is None:
            raise TimeoutError(f"the reader did not finish within {timeout:.0f} s")
        return self.result
