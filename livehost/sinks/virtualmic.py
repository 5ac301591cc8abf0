"""A virtual microphone: the host's voice as a capture device that Zoom, Meet, Chromium and
OBS list (PulseAudio, or PipeWire's pulse server).

On open it loads a null sink (``NAME_out``) and a remap source on its monitor (``NAME``):
apps refuse a monitor as a microphone but take a remapped source. Each tick's audio is played
into the null sink by a ``pacat`` subprocess (no audio library in this process).

Latency: pacat takes a second or two to start reading, and a blocking pipe would keep
whatever piled up meanwhile as permanent delay (measured: 1.3 s). So the pipe is one page
and written without blocking: a tick pacat has no room for is skipped (``skipped``), and the
voice stays within pacat's own buffer of real time. Close unloads exactly the modules this
sink loaded.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess

from livehost.errors import LivehostError
from livehost.media.audio import to_int16
from livehost.media.frames import AVTick

from .base import StreamSpec, ThreadedSink

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_PAGE = 4096  # a pipe's smallest size, and PIPE_BUF: a write this size is all or nothing
_F_SETPIPE_SZ = 1031


def _pactl(*args: str) -> str:
    result = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10, check=False)
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines() or ["no message"]
        raise LivehostError(f"virtualmic: pactl {args[0]} failed: {why[0]}")
    return result.stdout


class VirtualMicSink(ThreadedSink):
    name = "virtualmic"

    def __init__(self, mic_name: str = "LivehostMic", latency_ms: int = 60) -> None:
        super().__init__(max_queue=10, overflow="drop")
        if not _NAME.fullmatch(mic_name):
            raise LivehostError(f"sink virtualmic:{mic_name}: use letters, digits, '_', '-' or '.' in the name")
        self.mic_name, self.sink_name, self.latency_ms = mic_name, f"{mic_name}_out", latency_ms
        self._modules: list[str] = []
        self._player: subprocess.Popen | None = None
        self.skipped = 0  # ticks written while pacat had no room: silence, not delay

    def open(self, spec: StreamSpec) -> None:
        """Create the devices now, on the caller's thread, so a missing server stops the start
        with one clear line instead of a failed sink later."""
        for tool in ("pactl", "pacat"):
            if shutil.which(tool) is None:
                raise LivehostError(f"virtualmic: {tool} is not installed (apt install pulseaudio-utils)")
        try:
            _pactl("info")
        except LivehostError as exc:
            raise LivehostError(
                f"virtualmic: no PulseAudio/PipeWire server is running ({str(exc).partition(': ')[2]}); "
                "start one, e.g. `pulseaudio -D --exit-idle-time=-1`") from None
        taken = {line.split("\t")[1] for kind in ("sinks", "sources")
                 for line in _pactl("list", "short", kind).splitlines() if "\t" in line}
        for device in (self.sink_name, self.mic_name):
            if device in taken:
                raise LivehostError(f"virtualmic: a device named {device} already exists; "
                                    "pick another name with virtualmic:NAME")
        try:
            self._load("module-null-sink", f"sink_name={self.sink_name}", f"rate={spec.sample_rate}",
                       "channels=1", f"sink_properties=device.description={self.sink_name}")
            self._load("module-remap-source", f"master={self.sink_name}.monitor", f"source_name={self.mic_name}",
                       f"source_properties=device.description={self.mic_name}")
        except LivehostError:
            self._unload()
            raise
        super().open(spec)

    def _load(self, module: str, *args: str) -> None:
        self._modules.append(_pactl("load-module", module, *args).strip())

    def _unload(self) -> None:
        while self._modules:
            subprocess.run(["pactl", "unload-module", self._modules.pop()], capture_output=True, timeout=10,
                           check=False)

    def close(self, discard: bool = False) -> None:
        try:
            super().close(discard)
        finally:
            self._unload()

    # -- on the sink thread ---------------------------------------------------------------
    def start(self, spec: StreamSpec) -> None:
        self._player = subprocess.Popen(
            ["pacat", "--playback", f"--device={self.sink_name}", "--format=s16le", f"--rate={spec.sample_rate}",
             "--channels=1", f"--latency-msec={self.latency_ms}", "--raw", "--client-name=livehost",
             f"--stream-name={self.mic_name}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        fd = self._player.stdin.fileno()
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PAGE)
        os.set_blocking(fd, False)

    def write(self, tick: AVTick) -> None:
        assert self._player is not None and self._player.stdin is not None
        pcm = to_int16(tick.audio).tobytes()
        try:
            for start in range(0, len(pcm), _PAGE):  # whole pages (even: samples stay aligned)
                os.write(self._player.stdin.fileno(), pcm[start : start + _PAGE])
        except BlockingIOError:
            self.skipped += 1
        except BrokenPipeError:
            err = self._player.stderr.read().decode(errors="replace").strip() if self._player.stderr else ""
            raise RuntimeError(f"pacat stopped playing into {self.sink_name}: {err or 'no message'}") from None

    def finish(self, ok: bool) -> None:
        if self._player is None:
            return
        try:
            self._player.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self._player.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self._player.kill()
            self._player.wait()
