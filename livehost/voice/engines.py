"""From a persona's ``voice:`` section to a ready TTS engine."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


def kokoro_style(spec: VoiceSpec, persona: Persona | None) -> np.ndarray:
    """The style table a kokoro voice names: a stock voice, a blend, or a .npy file."""
    from .kokoro_model import load_stock_voices
    from .styles import blend, load_table, parse_blend

    if spec.voice.endswith(".npy"):
        path = persona.resolve(Path(spec.voice)) if persona else Path(spec.voice)
        if not path.is_file():
            raise LivehostError(f"voice.voice: style table {path} does not exist")
        return load_table(path)
    stock = load_stock_voices()
    return blend(stock, parse_blend(spec.voice, sorted(stock)))


def espeak_language(persona: Persona | None, spec: VoiceSpec) -> str:
    if "lang" in spec.options:
        return str(spec.options["lang"])
    language = (persona.language if persona else "en").lower()
    return "en-us" if language == "en" else language


def _kokoro_check(spec: VoiceSpec, persona: Persona | None) -> object:
    models.resolve("kokoro-82m")
    return kokoro_style(spec, persona)


def _kokoro(spec: VoiceSpec, persona: Persona | None) -> TTSEngine:
    from .kokoro_engine import KokoroEngine
    from .kokoro_model import shared_model

    return KokoroEngine(shared_model(), kokoro_style(spec, persona), rate=spec.rate,
                        pitch=spec.pitch, lang=espeak_language(persona, spec))


def _remote_check(spec: VoiceSpec, persona: Persona | None) -> object:
    if spec.remote is None:
        raise LivehostError("voice.remote: the remote engine needs remote.url (the server's /v1 base URL)")
    if spec.remote.clone == "inline" and (persona is None or persona.reference_path is None):
        raise LivehostError("voice.remote.clone: 'inline' needs voice.reference (the clip to send)")
    if spec.pitch:
        raise LivehostError("voice.pitch: the remote engine cannot shift pitch; set it on the server")
    return spec.remote


def _remote(spec: VoiceSpec, persona: Persona | None) -> TTSEngine:
    from .reference import load_reference
    from .remote_engine import RemoteEngine

    config = _remote_check(spec, persona)
    reference = load_reference(persona.reference_path) if config.clone == "inline" else None
    return RemoteEngine(config, spec.voice, rate=spec.rate, reference=reference)


ENGINES: dict[str, EngineEntry] = {
    "piper": EngineEntry(check=_piper_model, create=_piper),
    "kokoro": EngineEntry(check=_kokoro_check, create=_kokoro),
    "remote": EngineEntry(check=_remote_check, create=_remote),
}


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
