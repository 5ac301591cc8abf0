"""Which voice, motion and face a persona gets: the one place that chooses implementations."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from livehost.config import Settings
from livehost.face.base import FaceRenderer
from livehost.motion.base import Motion
from livehost.persona import Persona
from livehost.voice.base import TTSEngine
from livehost.voice.engines import create_engine


@dataclass(frozen=True, slots=True)
class Stages:
    engine: TTSEngine
    motion: Motion
    renderer: FaceRenderer


def build_renderer(persona: Persona, settings: Settings, size: tuple[int, int] | None = None) -> FaceRenderer:
    """The persona's face at ``size`` (width, height; the settings' video size by default)."""
    from livehost.face.background import parse_background
    from livehost.face.enroll import enroll
    from livehost.face.renderer import RigRenderer

    portrait, rig = enroll(persona.portrait_path, cache_dir=persona.folder / ".cache")
    background = parse_background(persona.background, persona.folder)
    return RigRenderer(portrait, rig, size or settings.video.size, background)


def build_motion(persona: Persona, settings: Settings) -> Motion:
    from livehost.motion.expressive import ExpressiveMotion
    from livehost.motion.styles import load_style

    style = load_style(persona.style, persona.folder, region=persona.region)
    # Seeded by the persona: the same text renders the same blinks and drift every time.
    return ExpressiveMotion(style, settings.video.fps, seed=zlib.crc32(persona.id.encode()))


def build_stages(persona: Persona, settings: Settings) -> Stages:
    renderer = build_renderer(persona, settings)  # first: a bad portrait fails fast
    return Stages(
        engine=create_engine(persona.voice, persona),
        motion=build_motion(persona, settings),
        renderer=renderer,
    )
