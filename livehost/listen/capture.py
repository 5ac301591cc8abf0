"""The microphone: a sounddevice input (by index or name) or a PulseAudio/PipeWire source by
its name (what ``pactl list sources`` shows, e.g. ``zoom_out.monitor``), read in its own
thread and resampled to 16 kHz mono. A device that is missing, busy or vanishes is retried
every few seconds with one clear log line; the host goes on without it meanwhile."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from livehost.errors import LivehostError

from .vad import SAMPLE_RATE

log = logging.getLogger(__name__)

OnAudio = Callable[[np.ndarray, float], None]  # 16 kHz float32 samples, monotonic time of the last one


@dataclass(frozen=True, slots=True)
class MicDevice:
    """Where to listen: ``pulse_source`` set = that PulseAudio source through the "pulse"
    device; else ``device`` (a sounddevice index, a name, or None for the default input)."""

    label: str
    device: int | str | None = None
    pulse_source: str | None = None


def pulse_sources() -> list[str]:
    """PulseAudio/PipeWire source names; empty when there is no server (or no pactl)."""
    if shutil.which("pactl") is None:
        return []
    try:
        out = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True,
                             timeout=5, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split("\t")[1] for line in out.splitlines() if line.count("\t") >= 1]


def sounddevice_inputs() -> list[tuple[int, str]]:
    try:
        import sounddevice as sd
    except (ImportError, OSError):  # OSError: PortAudio itself is missing
        return []
    return [(i, d["name"]) for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


def list_microphones() -> dict[str, list[str]]:
    """Both kinds, as ``livehost doctor`` shows them."""
    return {"sounddevice": [f"{i}: {name}" for i, name in sounddevice_inputs()],
            "pulse": pulse_sources()}


def resolve_mic(spec: str | None) -> MicDevice:
    """``None``/"default": the default input; a number: that sounddevice index; a PulseAudio
    source name; or (part of) a sounddevice device name."""
    if spec in (None, "", "default"):
        return MicDevice("default")
    if spec.isdigit():
        return MicDevice(f"device {spec}", device=int(spec))
    if spec in pulse_sources():
        return MicDevice(f"pulse source {spec}", device="pulse", pulse_source=spec)
    names = [name for _, name in sounddevice_inputs()]
    if any(spec.casefold() in name.casefold() for name in names):
        return MicDevice(spec, device=spec)
    known = [*pulse_sources(), *names]
    raise LivehostError(f"mic {spec!r}: no such input; available: {', '.join(known) or 'none (is PulseAudio running?)'}")


class MicCapture:
    """``start()`` spawns the capture thread; ``on_audio`` is called from it with every chunk
    (16 kHz float32). ``error`` says why the mic is down (None while it works). ``spec`` is
    resolved on every attempt, so a source that appears later (Zoom started after the host)
    is picked up."""

    def __init__(self, spec: str | None, on_audio: OnAudio, retry_s: float = 2.0,
                 stall_s: float = 2.0, block_s: float = 0.02) -> None:
        self.spec, self.label, self.on_audio = spec, spec or "default", on_audio
        self.retry_s, self.stall_s, self.block_s = retry_s, stall_s, block_s
        self.error: str | None = None
        self.opened = 0  # times a stream was opened (reconnects + 1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mic", daemon=True)

    @property
    def up(self) -> bool:
        return self.error is None and self.opened > 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._capture()
            except Exception as exc:  # PortAudio errors, a vanished source...
                self._down(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            if self._stop.wait(self.retry_s):
                return

    def _down(self, why: str) -> None:
        if why != self.error:  # one line per change, not one per retry
            log.warning("mic %s is down (%s); retrying every %.0f s", self.label, why, self.retry_s)
        self.error = why

    def _capture(self) -> None:
        import sounddevice as sd
        import soxr

        mic = resolve_mic(self.spec)
        if mic.pulse_source is not None:
            # libpulse reads it when the stream connects: this stream records that source
            os.environ["PULSE_SOURCE"] = mic.pulse_source
        info = sd.query_devices(mic.device, "input")
        rate = SAMPLE_RATE if mic.pulse_source is not None else int(info["default_samplerate"])
        blocks: queue.Queue[tuple[np.ndarray, float]] = queue.Queue(maxsize=500)

        def callback(indata, frames, when, status) -> None:
            try:
                blocks.put_nowait((indata[:, 0].copy(), time.monotonic()))
            except queue.Full:  # the reader stalled: newest audio matters, drop this block
                pass

        resampler = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        with sd.InputStream(device=mic.device, samplerate=rate, channels=1, dtype="float32",
                            blocksize=round(rate * self.block_s), callback=callback):
            self.opened += 1
            if self.error is not None:
                log.warning("mic %s is back", self.label)
            self.error = None
            # a stream's first audio can take a few seconds (a server waking up a source)
            last, allowed = time.monotonic(), max(self.stall_s, 10.0)
            while not self._stop.is_set():
                try:
                    block, at = blocks.get(timeout=0.2)
                except queue.Empty:
                    if time.monotonic() - last > allowed:
                        raise LivehostError(f"no audio for {allowed:.0f} s (device gone?)") from None
                    continue
                last, allowed = at, self.stall_s
                audio = block if resampler is None else resampler.resample_chunk(block)
                if len(audio):
                    self.on_audio(audio, at)
