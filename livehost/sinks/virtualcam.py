"""A virtual webcam (pyvirtualcam): v4l2loopback on Linux, OBS's camera on Windows/macOS.

The camera is opened on the caller's thread so a missing device stops the start with one clear
line; frames are sent from the sink's own thread, paced by the channel (the render loop
already ticks at the camera's rate). The backend is always named: trying every backend in
turn would hide which one failed and why.
"""

from __future__ import annotations

import sys

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
        self._camera.send(tick.image)

    def finish(self, ok: bool) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None
