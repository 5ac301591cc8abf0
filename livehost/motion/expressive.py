"""ExpressiveMotion: the face at every tick, from lip-sync, prosody, the sentence's gestures,
its emotion's posture and idle life, filtered and limited.

Per tick (everything evaluated at the middle of the tick, so a frame shows the instant its
audio is centred on — no look-ahead beyond the tick's own audio):

    mouth  = visemes(phonemes) × loudness                          lipsync.py
    base   = prosody(F0, energy) + posture(emotion) + idle sway  →  the style's filter
    pose   = limits(base + gestures(tags))                          gestures.py, limits.py

Gestures are smooth by construction and exact in time, so they skip the filter (a filter's
lag would move a nod off its word); the limiter still bounds the sum.
"""

from __future__ import annotations

import numpy as np

from livehost.media.frames import FaceState, ScheduledSpeech, SentenceKind

from .filters import make_filter
from .gestures import Gesture, GestureTrack, plan
from .idle import IdleLife
from .limits import PoseLimiter
from .lipsync import LipSync
from .posture import LISTENING, POSTURES, Posture, PostureState, blend
from .prosody import ProsodyHead
from .speech import ActiveSpeech, activate
from .styles import Style

_LINGER = 2.5  # seconds an emotion's posture outlives its sentence
_QUESTION_BLINKS = 0.5  # blink-rate factor while asking: attention holds the eyes open
_BACKCHANNEL = (2.5, 6.0)  # seconds between small nods while listening


class ExpressiveMotion:
    def __init__(self, style: Style, fps: float, seed: int = 0) -> None:
        self.dt = 1.0 / float(fps)
        rng = np.random.default_rng(seed)
        self._rng = rng
        self.lipsync = LipSync(style.lipsync)
        self.prosody = ProsodyHead(style.prosody, rng)
        self.idle = IdleLife(style.idle, rng)
        self.gestures = GestureTrack()
        self.posture = PostureState()
        self.active: ActiveSpeech | None = None
        self._emotion = (POSTURES["neutral"], 0.0)  # posture and when it lapses
        self.listening = False
        self._next_backchannel = 0.0
        self.style = style
        self.set_style(style)

    def set_style(self, style: Style) -> None:
        """Switch style while running: gains change at once, the pose moves on smoothly."""
        self.style = style
        self.lipsync.config = style.lipsync
        self.prosody.set_config(style.prosody)
        self.prosody.settle = style.allows("settle")
        self.idle.set_config(style.idle)
        self.filters = [make_filter(style.filter) for _ in range(3)]
        pose = getattr(self, "limiter", None)
        self.limiter = PoseLimiter(style.limits)
        if pose is not None:
            self.limiter.pose = pose.pose  # the speed limit applies across the switch too

    def set_listening(self, listening: bool) -> None:
        """A user is talking (calls): attentive posture, fewer blinks, small nods."""
        self.listening = listening

    # The Motion protocol.

    def on_speech(self, scheduled: ScheduledSpeech) -> None:
        active = activate(scheduled)
        self.active = active
        self.prosody.start(active)
        sentence = active.sentence
        amount = (0.5 + sentence.intensity) * self.style.gestures.emotion_gain
        posture = POSTURES[sentence.emotion] if self.style.allows("emotion") else POSTURES["neutral"]
        self._emotion = (blend(posture, amount), active.t1 + _LINGER)
        self.gestures.add(plan(active, self.style, self._emotion[0].liveliness))

    def on_interrupt(self, t: float) -> None:
        self.active = None
        self.prosody.stop(t)
        self.gestures.fade_out(t)
        self._emotion = (self._emotion[0], t + 0.5)

    def state_at(self, t: float, audio: np.ndarray, speaking: bool) -> FaceState:
        dt, te = self.dt, t + self.dt / 2
        active = self.active
        if active is not None and t >= active.t1:
            active = self.active = None
        posture = self.posture.step(self._posture_target(te), dt)
        jaw, width, rnd, press = self.lipsync.step(active, t, dt, speaking)
        blink_rate = posture.blink_rate * (self.style.idle.listening_blinks if self.listening else 1.0)
        if active is not None and active.sentence.kind is SentenceKind.QUESTION:
            blink_rate *= _QUESTION_BLINKS
        idle = self.idle.step(t, dt, blink_rate, posture.blink_speed, 0.4 if self.listening else 1.0)
        self._maybe_backchannel(te)
        head = self.prosody.target(active, te, dt, posture.liveliness)
        base = (head[0] + idle.sway[0] + posture.pitch, head[1] + idle.sway[1], head[2] + idle.sway[2] + posture.roll)
        smooth = [f(x, dt) for f, x in zip(self.filters, base)]
        g_pitch, g_yaw, g_roll, g_brow = self.gestures.at(te)
        pitch, yaw, roll = self.limiter(smooth[0] + g_pitch, smooth[1] + g_yaw, smooth[2] + g_roll, dt)
        return FaceState(
            jaw=jaw,
            mouth_w=width,
            mouth_round=rnd,
            lip_press=max(press, posture.press),
            smile=_unit(posture.smile),
            blink_l=idle.blink,
            blink_r=idle.blink,
            brow=_unit(posture.brow + g_brow),
            gaze_x=idle.gaze[0],
            gaze_y=idle.gaze[1],
            pitch=pitch,
            yaw=yaw,
            roll=roll,
            breath=idle.breath,
        )

    def _posture_target(self, t: float) -> Posture:
        if self.listening and self.active is None:
            return LISTENING
        posture, lapses = self._emotion
        return posture if t < lapses else POSTURES["neutral"]

    def _maybe_backchannel(self, t: float) -> None:
        if not self.listening or self.active is not None:
            self._next_backchannel = t + _BACKCHANNEL[0]
            return
        if t >= self._next_backchannel:
            low, high = _BACKCHANNEL
            self._next_backchannel = t + low + (high - low) * self._rng.random()
            self.gestures.add([Gesture("backchannel", t + 0.25, 0.25, 0.35, pitch=-1.2)])


def _unit(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
