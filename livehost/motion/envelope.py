"""Loudness-driven mouth: the simplest honest lip-sync, used until a persona picks a richer
motion. The jaw follows the tick's RMS level with a fast attack and a slower release."""

from __future__ import annotations

import numpy as np

from livehost.media.audio import rms
from livehost.media.frames import FaceState, ScheduledSpeech


class EnvelopeMotion:
    def __init__(self, full_open_rms: float = 0.2, attack: float = 0.7, release: float = 0.45):
        self.full_open_rms = full_open_rms
        self.attack, self.release = attack, release
        self._jaw = 0.0

    def on_speech(self, scheduled: ScheduledSpeech) -> None:
        return None

    def on_interrupt(self, t: float) -> None:
        return None

    def state_at(self, t: float, audio: np.ndarray, speaking: bool) -> FaceState:
        target = min(1.0, rms(audio) / self.full_open_rms) if speaking else 0.0
        gain = self.attack if target > self._jaw else self.release
        self._jaw += gain * (target - self._jaw)
        if self._jaw < 1e-3:
            self._jaw = 0.0
        return FaceState(jaw=self._jaw)
