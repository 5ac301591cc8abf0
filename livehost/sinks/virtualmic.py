"""A virtual microphone: the host's voice as a capture device that Zoom, Meet, Chromium and
OBS list (PulseAudio, or PipeWire's pulse server).

On open it loads a null sink (``NAME_out``) and a remap source on its monitor (``NAME``):
apps refuse a monitor as a microphone but take a remapped source. Each tick's audio is played
into the null sink by one libpulse stream of this process (``pulse_playback``); close unloads
exactly the modules this sink loaded.

Latency: the stream's buffer is the only one, ``latency_ms`` deep: a tick that finds more than
that still to play is skipped (``skipped``): silence, never delay. A null sink's clock may run
slower than the channel's on a loaded machine (a subprocess player and its pipe held up to
0.2 s that way); then the server's buffer, two ticks deeper, fills and holds the writes back.
A tick that cuts the voice (barge-in) flushes what the buffer still holds, so the voice stops
at the microphone at once.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from livehost.errors import LivehostError
from livehost.media.audio import to_int16
from livehost.media.frames import AVTick

from .base import StreamSpec, ThreadedSink
from .pulse_playback import PulsePlayback

_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _pactl(*args: str) -> str:
    result = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10, check=False)
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines() or ["no message"]
        raise LivehostError(f"virtualmic: pactl {args[0]} failed: {why[0]}")
    return result.stdout


class VirtualMicSink(ThreadedSink):
    name = "virtualmic"

    def __init__(self, mic_name: str = "LivehostMic", latency_ms: int = 80) -> None:
        super().__init__(max_queue=10, overflow="drop")
        if not _NAME.fullmatch(mic_name):
            raise LivehostError(f"sink virtualmic:{mic_name}: use letters, digits, '_', '-' or '.' in the name")
        self.mic_name, self.sink_name, self.latency_ms = mic_name, f"{mic_name}_out", latency_ms
        self._modules: list[str] = []
        self._player: PulsePlayback | None = None
        self.skipped = 0  # ticks that found the buffer full: silence, not delay
        self.flushed = 0  # cuts that dropped what the buffer held
        self.latency_s = 0.0  # from a tick's audio written to its playing, measured each tick

    def open(self, spec: StreamSpec) -> None:
        """Create the devices now, on the caller's thread, so a missing server stops the start
        with one clear line instead of a failed sink later."""
        if shutil.which("pactl") is None:
            raise LivehostError("virtualmic: pactl is not installed (apt install pulseaudio-utils)")
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
            self._play(spec)
        except LivehostError:
            self.finish(ok=False)
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

    def _play(self, spec: StreamSpec) -> None:
        # Room for two ticks above the depth kept, so a write never waits for the device.
        self._player = PulsePlayback(self.sink_name, spec.sample_rate, "livehost", self.mic_name,
                                     buffer_s=self.latency_ms / 1000 + 2 / spec.fps)
        self._player.wake(1 / spec.fps)  # here, not on the first ticks: none is lost while it wakes

    # -- on the sink thread ---------------------------------------------------------------

    def write(self, tick: AVTick) -> None:
        assert self._player is not None
        if tick.cut:
            self._player.flush()
            self.flushed += 1
        else:
            self.latency_s = self._player.latency_s()
            if self._player.queued_s() * 1000 > self.latency_ms:
                self.skipped += 1
                return
        self._player.write(to_int16(tick.audio).tobytes())

    def finish(self, ok: bool) -> None:
        if self._player is not None:
            self._player.close(drain=ok)
            self._player = None
