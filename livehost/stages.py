"""Which voice, motion and face a persona gets: the one place that chooses implementations."""

from __future__ import annotations

from dataclasses import dataclass

from livehost.config import Settings
from livehost.face.base import FaceRenderer
from livehost.face.portrait import load_portrait
from livehost.face.static import StaticPortrait
from livehost.motion.base import Motion
from livehost.motion.envelope import EnvelopeMotion
from livehost.persona import Persona
from livehost.voice.base import TTSEngine
from livehost.voice.engines import create_engine


@dataclass(frozen=True, slots=True)
class Stages:
    engine: TTSEngine
    motion: Motion
    renderer: FaceRenderer


def build_renderer(persona: Persona, settings: Settings) -> FaceRenderer:
    return StaticPortrait(load_portrait(persona.portrait_path), settings.video.size)


def build_motion(persona: Persona, settings: Settings) -> Motion:
    return EnvelopeMotion()


def build_stages(persona: Persona, settings: Settings) -> Stages:
    renderer = build_renderer(persona, settings)  # first: a bad portrait fails fast
    return Stages(
        engine=create_engine(persona.voice, persona),
        motion=build_motion(persona, settings),
        renderer=renderer,
    )
