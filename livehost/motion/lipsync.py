"""The mouth for one tick: the blended viseme over the tick, opened in proportion to the
loudness of the tick's audio; shut within two ticks when the audio stops."""

from __future__ import annotations

from .speech import ActiveSpeech
from .styles import LipSyncConfig

Mouth = tuple[float, float, float, float]  # jaw, width, round, press
_CLOSE_PER_TICK = 0.15  # what is left of the opening one tick after the sound stopped


class LipSync:
    def __init__(self, config: LipSyncConfig) -> None:
        self.config = config
        self.mouth: Mouth = (0.0, 0.0, 0.0, 0.0)

    def step(self, active: ActiveSpeech | None, t: float, dt: float, speaking: bool) -> Mouth:
        if speaking and active is not None:
            start, end = t - active.t0, t + dt - active.t0
            # The frame stands for its whole tick, like a camera's exposure: average three
            # instants, so a phoneme shorter than a frame still shows in proportion.
            samples = [active.track.at(start + f * dt) for f in (1 / 6, 1 / 2, 5 / 6)]
            jaw, width, rnd, press = (sum(v) / 3.0 for v in zip(*samples))
            level = _mean_level(active, start, end)
            cfg = self.config
            gain = cfg.loudness_floor + (1.0 - cfg.loudness_floor) * level
            self.mouth = (
                min(1.0, jaw * gain * cfg.jaw_gain),
                min(1.0, width * cfg.width_gain),
                rnd,
                press,
            )
        else:
            self.mouth = tuple(v * _CLOSE_PER_TICK if v > 0.1 else 0.0 for v in self.mouth)
        return self.mouth


def _mean_level(active: ActiveSpeech, start: float, end: float) -> float:
    analysis = active.analysis
    lo, hi = analysis.index(start), analysis.index(end)
    return float(analysis.level[lo : hi + 1].mean())
