"""Live push to a streaming server through an ffmpeg subprocess (RTMP, SRT).

The encoder runs in its own process, fed raw RGB frames on stdin and raw s16le audio on a
second pipe, both written by the sink thread tick by tick. ffmpeg stamps each input by
counting (frames / fps, samples / rate), so picture and sound stay aligned however late or
bursty the writes are. A network push can hang or hide its connect errors inside a library;
a separate process cannot block the render loop, and its death is a broken pipe here.

When ffmpeg exits (server refused, connection dropped) the sink restarts it after a jittered
exponential backoff. Ticks offered while the push is down are dropped and counted.

Secrets (a stream key, a passphrase) never enter ffmpeg's command line, which every user of
the machine can read (``ps``, /proc/PID/cmdline): the command holds the address without
them, and they reach ffmpeg as protocol options (``rtmp_playpath``, ``passphrase``) in a
preset file (``-fpre``) that is a pipe, readable only by this user and never on disk.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import shutil
import subprocess
import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from livehost.errors import LivehostError
from livehost.media.audio import to_int16
from livehost.media.frames import AVTick

from .base import StreamSpec, ThreadedSink

log = logging.getLogger(__name__)

_PIPE_BYTES = 1 << 20  # one 720p frame fits, so a write rarely waits on ffmpeg's read
_F_SETPIPE_SZ = 1031


@dataclass(frozen=True, slots=True)
class PushTarget:
    """Where to push: ``url`` may hold secrets (a stream key, a passphrase); ``shown`` is the
    masked form used in every log line, error and status. ffmpeg is given ``address`` (the
    url without its secrets) and ``private``: the protocol options that carry them."""

    url: str = field(repr=False)
    shown: str
    muxer: str  # ffmpeg output format: "flv" for RTMP, "mpegts" for SRT
    secrets: tuple[str, ...] = field(default=(), repr=False)
    address: str = ""
    private: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    listens: bool = False  # ffmpeg waits for a caller (SRT listener): a caller leaving is no failure

    def __post_init__(self) -> None:
        if not self.address:
            object.__setattr__(self, "address", self.url)
        for name, value in self.private:
            if "\n" in value or "\r" in value:  # one preset line per option
                raise LivehostError(f"sink {self.shown}: {name} must not hold a line break")

    def __str__(self) -> str:
        return self.shown

    def mask(self, text: str) -> str:
        text = text.replace(self.url, self.shown)
        for secret in filter(None, self.secrets):
            text = text.replace(secret, "****")
        return text


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """What ingest servers ask for (Twitch: strict CBR, 2 s keyframes, AAC-LC)."""

    video_bitrate: str = "2500k"
    audio_bitrate: str = "160k"
    preset: str = "veryfast"
    keyframe_s: float = 2.0


class Backoff:
    """Jittered exponential delays: base, 2*base, ... capped, each scaled by 0.5..1 so many
    hosts restarting after one server outage do not all reconnect in the same instant."""

    def __init__(self, base: float = 0.5, cap: float = 10.0, rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self._rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return delay * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.failures = 0


def ffmpeg_command(target: PushTarget, spec: StreamSpec, audio_fd: int, settings: EncoderSettings,
                   preset_fd: int | None = None) -> list[str]:
    """The encoder's argv: no secret in it. ``preset_fd`` is the pipe ``preset_text`` was
    written to, when the target has private options."""
    gop = str(max(1, round(settings.keyframe_s * float(spec.fps))))
    # Raw inputs need no probing; probing would wait for seconds of audio while the video
    # pipe fills, and the sink thread writes both in turn: a deadlock.
    raw = ["-probesize", "32", "-analyzeduration", "0", "-thread_queue_size", "64"]
    bufsize = f"{2 * int(settings.video_bitrate.rstrip('k'))}k"
    return [
        shutil.which("ffmpeg") or "ffmpeg", "-hide_banner", "-nostats", "-loglevel", "info",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{spec.width}x{spec.height}",
        "-framerate", str(spec.fps), *raw, "-i", "pipe:0",
        "-f", "s16le", "-ar", str(spec.sample_rate), "-ac", "1", *raw,
        "-i", f"pipe:{audio_fd}",
        "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", settings.preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
        "-b:v", settings.video_bitrate, "-maxrate", settings.video_bitrate, "-bufsize", bufsize,
        "-x264-params", "nal-hrd=cbr",
        "-c:a", "aac", "-profile:a", "aac_low", "-b:a", settings.audio_bitrate,
        "-ar", str(spec.sample_rate), "-ac", "2",
        *(["-flvflags", "no_duration_filesize"] if target.muxer == "flv" else []),
        *(["-fpre", f"/dev/fd/{preset_fd}"] if preset_fd is not None else []),
        "-f", target.muxer, target.address,
    ]


def preset_text(options: tuple[tuple[str, str], ...]) -> bytes:
    """ffmpeg's preset format: ``option=value`` lines (the value runs to the line's end)."""
    return "".join(f"{name}={value}\n" for name, value in options).encode()


def _preset_pipe(options: tuple[tuple[str, str], ...]) -> int:
    """A pipe's read end holding the preset: it fits the pipe's buffer, so it is written whole
    before ffmpeg starts, and nothing of it touches the disk."""
    read, write = os.pipe()
    try:
        _write_all(write, memoryview(preset_text(options)))
    finally:
        os.close(write)
    return read


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


class _Encoder:
    """One ffmpeg process and its pipes; its stderr is read (masked) on a side thread."""

    def __init__(self, target: PushTarget, spec: StreamSpec, settings: EncoderSettings, on_live) -> None:
        audio_read, self.audio_fd = os.pipe()
        for fd in (audio_read, self.audio_fd):
            _grow_pipe(fd)
        preset = _preset_pipe(target.private) if target.private else None
        self.target = target
        self.tail: deque[str] = deque(maxlen=5)
        self.live = False  # ffmpeg opened its output: the server (or a caller) took the stream
        try:
            self.proc = subprocess.Popen(
                ffmpeg_command(target, spec, audio_read, settings, preset),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                pass_fds=(audio_read,) if preset is None else (audio_read, preset), bufsize=0,
            )
        finally:
            os.close(audio_read)
            if preset is not None:
                os.close(preset)
        _grow_pipe(self.proc.stdin.fileno())
        self._on_live = on_live
        self._reader = threading.Thread(target=self._read_stderr, name="ffmpeg-push-log", daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            line = self.target.mask(raw.decode("utf-8", "replace").rstrip())
            if line.startswith("Output #0"):  # ffmpeg opened the output: the server took us
                self.live = True
                self._on_live()
            elif line and not line.startswith(" ") and line != "Conversion failed!":
                self.tail.append(line)
                log.debug("ffmpeg: %s", line)

    def write(self, video: np.ndarray, audio: bytes) -> None:
        _write_all(self.proc.stdin.fileno(), memoryview(video).cast("B"))
        _write_all(self.audio_fd, memoryview(audio))

    def why(self) -> str:
        self._reader.join(timeout=1.0)
        code = self.proc.poll()
        last = self.tail[-1] if self.tail else "no output"
        return f"ffmpeg exited ({code}): {last}" if code is not None else f"ffmpeg pipe closed: {last}"

    def stop(self, timeout: float) -> None:
        for close in (self.proc.stdin.close, lambda: os.close(self.audio_fd)):
            try:
                close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=1.0)


def _grow_pipe(fd: int) -> None:
    try:
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size: the default size only costs latency
        pass


class FfmpegPushSink(ThreadedSink):
    """Pushes ticks to ``target``, restarting ffmpeg with backoff whenever it exits.

    ``state`` is "connecting", "live", "listening" (a listener's caller left) or "retrying:
    <why>" (masked), for status pages; after a failure it stays "retrying" through the restart
    until the server takes the stream.
    ``restarts`` counts ffmpeg restarts after the first start.
    """

    def __init__(
        self,
        name: str,
        target: PushTarget,
        settings: EncoderSettings = EncoderSettings(),
        backoff: Backoff | None = None,
        max_queue: int = 8,
    ) -> None:
        super().__init__(max_queue=max_queue, overflow="drop")
        if shutil.which("ffmpeg") is None:
            raise LivehostError(f"sink {target.shown}: ffmpeg is not installed (apt install ffmpeg)")
        self.name, self.target, self.settings = name, target, settings
        self.backoff = backoff or Backoff()
        self.state = "connecting"
        self.restarts = 0
        self._down_why: str | None = None  # the last failure, until ffmpeg is live again
        self._encoder: _Encoder | None = None
        self._down = threading.Event()  # set while waiting to restart: offer() drops at once
        self._closing = threading.Event()

    def status(self) -> dict:
        """For /api/status: masked target, connection state, restarts."""
        return {"target": str(self.target), "state": self.state, "restarts": self.restarts}

    def offer(self, tick: AVTick) -> None:
        if self._down.is_set():
            self._drop()
            return
        super().offer(tick)

    def close(self, discard: bool = False, grace_s: float = 5.0) -> None:
        """Stop; an ffmpeg that still blocks the sink thread after ``grace_s`` (a listener
        nobody called, a server that stopped reading) is killed so close() returns."""
        self._closing.set()
        watchdog = threading.Timer(grace_s, self._kill_encoder)
        watchdog.start()
        try:
            super().close(discard)
        finally:
            watchdog.cancel()

    def _kill_encoder(self) -> None:
        encoder = self._encoder
        if encoder is not None:
            log.warning("sink %s: ffmpeg did not stop within the grace time; killing it", self.name)
            encoder.proc.kill()

    # -- on the sink thread ---------------------------------------------------------------
    def start(self, spec: StreamSpec) -> None:
        if spec.width % 2 or spec.height % 2:
            raise ValueError(f"H.264 yuv420p needs even sizes, got {spec.width}x{spec.height}")
        self._launch(spec)

    def _launch(self, spec: StreamSpec) -> None:
        if self._down_why is None:
            self.state = "connecting"
        self._encoder = _Encoder(self.target, spec, self.settings, self._went_live)
        log.info("sink %s: pushing to %s", self.name, self.target.shown)

    def _went_live(self) -> None:
        self._down_why = None
        self.state = "live"
        self.backoff.reset()

    def write(self, tick: AVTick) -> None:
        """Deliver ``tick``; while the push is down, wait out the backoff and deliver it to
        the restarted ffmpeg (offer() drops the ticks that arrive meanwhile)."""
        assert self._spec is not None
        video = np.ascontiguousarray(tick.image, dtype=np.uint8)
        audio = to_int16(tick.audio).tobytes()
        while True:
            if self._encoder is None:
                self._launch(self._spec)
            try:
                self._encoder.write(video, audio)
                return
            except OSError:  # BrokenPipeError: ffmpeg is gone
                why = self._encoder.why()
                caller_left = self.target.listens and self._encoder.live
                self._encoder.stop(timeout=1.0)
                self._encoder = None
            delay = self.backoff.next_delay()
            if caller_left:  # a listener's caller hung up: listen again, nothing failed
                self.state = "listening"
                log.info("sink %s: the caller left; listening again in %.1f s", self.name, delay)
            else:
                self._down_why = why
                self.state = f"retrying: {why}"
                log.warning("sink %s: %s; restarting in %.1f s", self.name, why, delay)
            self._down.set()
            try:
                if self._closing.wait(delay):
                    raise self._down_at_close()
            finally:
                self._down.clear()
            self.restarts += 1

    def finish(self, ok: bool) -> None:
        if self._encoder is not None:
            self._encoder.stop(timeout=5.0)
            self._encoder = None
        if ok and self._down_why is not None:  # closed mid-restart: it never came back
            raise self._down_at_close()

    def _down_at_close(self) -> ConnectionError:
        return ConnectionError(f"{self.target.shown} was down at close: {self._down_why}")
