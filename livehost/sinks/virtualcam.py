"""A virtual webcam (pyvirtualcam): v4l2loopback on Linux, OBS's camera on Windows/macOS.

The camera is opened on the caller's thread so a missing device stops the start with one clear
line; frames are sent from the sink's own thread, paced by the channel (the render loop
already ticks at the camera's rate). The backend is always named: trying every backend in
turn would hide which one failed and why.

Paired with the virtual microphone (``follow``), each frame waits as many ticks as the voice
takes to reach the microphone (its stream's measured latency), so a call gets both together.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable

from livehost.errors import LivehostError
from livehost.media.frames import AVTick

from .base import StreamSpec, ThreadedSink

SETUP_HINT = "sudo modprobe v4l2loopback exclusive_caps=1 card_label=Livehost"


def default_backend() -> str:
    return "v4l2loopback" if sys.platform.startswith("linux") else "obs"


class VirtualCamSink(ThreadedSink):
    name = "virtualcam"

    def __init__(self, device: str | None = None, backend: str | None = None) -> None:
        super().__init__(max_queue=5, overflow="drop")
        self.device, self.backend = device, backend or default_backend()
        self._camera = None
        self._audio_latency: Callable[[], float] = lambda: 0.0
        self._waiting: deque = deque()
        self.delay_ticks = 0  # the frames held back now, to meet the voice

    def follow(self, audio_latency: Callable[[], float]) -> None:
        """Delay the video by ``audio_latency()`` (seconds, read each tick), rounded to ticks."""
        self._audio_latency = audio_latency

    def open(self, spec: StreamSpec) -> None:
        try:
            import pyvirtualcam
        except ImportError:
            raise LivehostError("virtualcam: pyvirtualcam is not installed (pip install pyvirtualcam)") from None
        try:
            self._camera = pyvirtualcam.Camera(spec.width, spec.height, float(spec.fps),
                                               device=self.device, backend=self.backend)
        except RuntimeError as exc:
            where = self.device or "any /dev/video device"
            hint = f"; load it with `{SETUP_HINT}`" if self.backend == "v4l2loopback" else ""
            reason = str(exc).splitlines()[0]
            raise LivehostError(f"virtualcam: no {self.backend} camera at {where} ({reason}){hint}") from None
        super().open(spec)

    def write(self, tick: AVTick) -> None:
        self._waiting.append(tick.image)
        self.delay_ticks = round(self._audio_latency() * float(self._spec.fps))
        # A delay that shrinks drops a frame a tick until it is met, never sends a burst.
        if len(self._waiting) > self.delay_ticks + 1:
            self._waiting.popleft()
        if len(self._waiting) > self.delay_ticks:
            self._camera.send(self._waiting.popleft())

    def finish(self, ok: bool) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None
