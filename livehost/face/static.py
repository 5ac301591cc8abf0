"""The portrait as it is, framed to the output size: the renderer of last resort, used when
no face rig is available (or none is wanted)."""

from __future__ import annotations

import numpy as np

from livehost.media.frames import FaceState

from .portrait import fit_cover


class StaticPortrait:
    def __init__(self, portrait: np.ndarray, size: tuple[int, int]) -> None:
        self.size = size
        self._frame = fit_cover(portrait, size)
        self._frame.setflags(write=False)

    def render(self, state: FaceState) -> np.ndarray:
        return self._frame
