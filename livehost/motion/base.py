"""The protocol between the render loop and whatever moves the face."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from livehost.media.frames import FaceState, ScheduledSpeech


class Motion(Protocol):
    """Told what speech starts when; asked for the face at each video tick, in order.

    ``audio`` is the tick's own audio (what plays from ``t`` to the next tick), so a motion
    never needs more than one tick of look-ahead.
    """

    def on_speech(self, scheduled: ScheduledSpeech) -> None: ...

    def on_interrupt(self, t: float) -> None: ...

    def state_at(self, t: float, audio: np.ndarray, speaking: bool) -> FaceState: ...
