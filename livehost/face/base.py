"""The protocol between the render loop and the face renderer."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from livehost.media.frames import FaceState


class FaceRenderer(Protocol):
    """Renders a FaceState as an RGB uint8 image of ``size`` (width, height)."""

    size: tuple[int, int]

    def render(self, state: FaceState) -> np.ndarray: ...
