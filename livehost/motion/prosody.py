"""Base head motion from prosody: the chin rises with the voice's pitch (F0 above the
speaker's usual), the head drifts on smooth non-periodic noise whose size follows loudness,
and after a statement everything settles slowly back to centre."""

from __future__ import annotations

import math

import numpy as np

from .noise import SmoothNoise
from .speech import ActiveSpeech
from .styles import ProsodyConfig

Angles = tuple[float, float, float]  # pitch, yaw, roll (degrees)
_SEMITONES_PER_UNIT = 4.0  # F0 this far above the speaker's median is one unit of "raised"
# The chin follows the phrase's intonation, not each syllable's: a voice that leaps an octave
# from word to word made the head nod back and forth over four times a second.
_PITCH_FOLLOW_S = 0.2


class ProsodyHead:
    def __init__(self, config: ProsodyConfig, rng: np.random.Generator) -> None:
        self.config = config
        self._noise = [SmoothNoise(rng, config.wander_s) for _ in range(3)]
        self._speaker_pitch: float | None = None  # running median, semitones
        self._z = 0.0  # last voiced pitch deviation, held through consonants
        self._energy = 0.0
        self._last: Angles = (0.0, 0.0, 0.0)
        self._ended_at: float | None = None
        self._clock = 0.0  # the drift's own time: runs faster when lively
        self.settle = True

    def set_config(self, config: ProsodyConfig) -> None:
        self.config = config
        for noise in self._noise:
            noise.set_timescale(config.wander_s)

    def start(self, active: ActiveSpeech) -> None:
        median = active.analysis.median_pitch
        if not math.isnan(median):
            # The speaker's register, learned across sentences (a new voice adapts in a few).
            ref = self._speaker_pitch
            self._speaker_pitch = median if ref is None else 0.7 * ref + 0.3 * median

    def stop(self, t: float) -> None:
        if self._ended_at is None:
            self._ended_at = t

    def target(self, active: ActiveSpeech | None, t: float, dt: float, liveliness: float) -> Angles:
        """Head angles at ``t`` (the middle of the tick)."""
        self._clock += dt * liveliness
        if active is None or t > active.voice_end:
            return self._settled(t if active is None else active.voice_end, t)
        self._ended_at = None
        analysis = active.analysis
        i = analysis.index(t - active.t0)
        level = float(analysis.level[i])
        self._energy += 0.25 * (level - self._energy)
        if analysis.voiced[i] and self._speaker_pitch is not None:
            z = max(-1.5, min(1.5, (float(analysis.pitch[i]) - self._speaker_pitch) / _SEMITONES_PER_UNIT))
            self._z += min(1.0, dt / _PITCH_FOLLOW_S) * (z - self._z)
        else:
            self._z *= 0.9
        cfg, amp = self.config, (0.35 + 0.65 * self._energy) * liveliness
        drift = [noise.at(self._clock) for noise in self._noise]
        pitch = cfg.pitch_deg * (liveliness * self._z + amp * 0.5 * drift[0])
        yaw = cfg.yaw_deg * amp * drift[1]
        roll = cfg.roll_deg * (amp * drift[2] + 0.25 * self._z)
        self._last = (pitch, yaw, roll)
        return self._last

    def _settled(self, ended: float, t: float) -> Angles:
        self.stop(ended)
        if not self.settle:
            return (0.0, 0.0, 0.0)
        u = min(1.0, max(0.0, (t - self._ended_at) / self.config.settle_s))
        weight = 1.0 - u * u * (3.0 - 2.0 * u)  # smoothstep: leaves and arrives gently
        return (self._last[0] * weight, self._last[1] * weight, self._last[2] * weight)
