"""From a persona's ``voice:`` section to a ready TTS engine."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livehost import models
from livehost.errors import LivehostError
from livehost.persona import Persona, VoiceSpec

from .base import TTSEngine

log = logging.getLogger(__name__)

# Stock piper voices shipped as model packages: voice id → model name in models.py.
PIPER_VOICES = {"joe": "piper-joe"}


@dataclass(frozen=True, slots=True)
class EngineEntry:
    """``check`` validates a voice spec cheaply (no model load); ``create`` builds the engine."""

    check: Callable[[VoiceSpec, Persona | None], object]
    create: Callable[[VoiceSpec, Persona | None], TTSEngine]


def _piper_model(spec: VoiceSpec, persona: Persona | None) -> models.ResolvedModel:
    if spec.voice in PIPER_VOICES:
        return models.resolve(PIPER_VOICES[spec.voice])
    if spec.voice.endswith(".onnx"):
        path = persona.resolve(Path(spec.voice)) if persona else Path(spec.voice)
        return models.resolve(f"piper:{path.stem}", explicit=path)
    raise LivehostError(
        f"unknown piper voice {spec.voice!r}: use one of {', '.join(PIPER_VOICES)} "
        "or the path to a piper .onnx voice"
    )


def _piper(spec: VoiceSpec, persona: Persona | None) -> TTSEngine:
    from .piper_engine import PiperEngine

    return PiperEngine(_piper_model(spec, persona).path, rate=spec.rate, pitch=spec.pitch)


ENGINES: dict[str, EngineEntry] = {"piper": EngineEntry(check=_piper_model, create=_piper)}


def _entry(spec: VoiceSpec) -> EngineEntry:
    entry = ENGINES.get(spec.engine)
    if entry is None:
        raise LivehostError(
            f"voice.engine: unknown engine {spec.engine!r} (available: {', '.join(sorted(ENGINES))})"
        )
    return entry


def check_voice(spec: VoiceSpec, persona: Persona | None = None) -> None:
    """Raise LivehostError if this voice cannot be built here; loads no model."""
    _entry(spec).check(spec, persona)


def create_engine(spec: VoiceSpec, persona: Persona | None = None) -> TTSEngine:
    entry = _entry(spec)
    started = time.perf_counter()
    engine = entry.create(spec, persona)
    log.info("voice %s/%s ready in %.2f s", spec.engine, spec.voice, time.perf_counter() - started)
    return engine
