"""Cloning for a persona: check the clip, find (or register) the voice, store it in the persona
folder and point persona.yaml at it, so the persona speaks with it from then on."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from livehost.errors import LivehostError
from livehost.persona import PERSONA_FILE, Persona
from livehost.sinks.atomic import write_atomic

from .persona_voice import write_voice
from .reference import ReferenceClip, load_reference

log = logging.getLogger(__name__)

CLONE_TABLE = "voice-clone.npy"
CLONE_REPORT = "voice-clone.json"
STATE_DIR = Path(".cache") / "voice-clone"


def _keep_reference(persona: Persona, path: Path) -> Path:
    """The clip's path as persona.yaml will name it; clips from elsewhere are copied in."""
    path = path.resolve()
    if path.is_relative_to(persona.folder):
        return path.relative_to(persona.folder)
    kept = Path(f"voice-reference{path.suffix.lower()}")
    shutil.copyfile(path, persona.folder / kept)
    return kept


def clone_offline(
    persona: Persona, reference: Path, budget_s: float, fresh: bool = False,
    tick: Callable[[object], None] = lambda state: None,
) -> dict:
    """Search the Kokoro style space for the reference's voice (see clone.py)."""
    from .clone import VoiceSearch
    from .intelligibility import Transcriber
    from .kokoro_model import KokoroModel, load_stock_voices
    from .speaker import SpeakerEncoder

    clip = load_reference(reference)
    state_dir = persona.folder / STATE_DIR
    if fresh and state_dir.exists():
        shutil.rmtree(state_dir)
    search = VoiceSearch(clip, load_stock_voices(), KokoroModel(threads=2), SpeakerEncoder(),
                         Transcriber(), state_dir=state_dir)
    result = search.run(budget_s, tick)
    from .styles import save_table

    report = {"reference": str(reference), "reference_seconds": round(clip.seconds, 2),
              "speech_seconds": round(clip.speech_seconds, 2),
              "snr_db": None if clip.snr_db is None else round(clip.snr_db, 1),
              "warnings": list(clip.warnings), "budget_s": budget_s, **result.report(), "kept": result.pitch_ok}
    write_atomic(persona.folder / CLONE_REPORT, json.dumps(report, indent=2) + "\n")
    if not result.pitch_ok:
        # The report stays, so the figures can be read; the persona keeps its voice.
        offset, clone, ref = report["pitch_offset_st"], report["clone_pitch"], report["reference_pitch"]
        said = "no voiced speech" if offset is None else (
            f"median pitch {offset:+.1f} semitones off the reference's, range {clone['range_st']:.1f} vs {ref['range_st']:.1f} st")
        raise LivehostError(f"voice clone not kept: on held-out sentences it has {said} "
                            f"(figures in {persona.folder / CLONE_REPORT}); try a longer or cleaner clip")
    save_table(persona.folder / CLONE_TABLE, result.table)
    spec = persona.voice.model_copy(update={
        "engine": "kokoro", "voice": CLONE_TABLE, "rate": round(min(2.0, max(0.5, result.speed)), 3),
        "pitch": round(result.pitch, 2), "reference": _keep_reference(persona, reference), "remote": None,
    })
    write_voice(persona.folder / PERSONA_FILE, spec)
    return report


def clone_remote(persona: Persona, reference: Path, transcript: str | None = None) -> dict:
    """Hand the clip to the persona's voice server the way it takes references."""
    from .remote_engine import upload_reference

    config = persona.voice.remote
    if config is None or config.clone == "none":
        raise LivehostError(
            "voice.remote.clone: set it to 'upload' or 'inline' so the server gets the reference clip"
        )
    clip: ReferenceClip = load_reference(reference)
    if transcript is None and config.reference_text is None:
        from .intelligibility import Transcriber

        transcript = Transcriber().transcribe(clip.pcm, clip.sample_rate)
    config = config.model_copy(update={"reference_text": transcript or config.reference_text})
    update = {"remote": config, "reference": _keep_reference(persona, reference)}
    if config.clone == "upload":
        update["voice"] = upload_reference(config, clip, name=persona.id)
    spec = persona.voice.model_copy(update=update)
    write_voice(persona.folder / PERSONA_FILE, spec)
    return {"engine": "remote", "clone": config.clone, "voice": spec.voice,
            "reference_seconds": round(clip.seconds, 2), "reference_text": config.reference_text,
            "warnings": list(clip.warnings)}
