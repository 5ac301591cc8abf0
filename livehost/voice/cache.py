"""Speech synthesized once and kept on disk: the greeting, the idle lines and the catalogue's
FAQ answers, per persona and voice, with their timings. A cache hit plays at once, which is
what keeps first audio fast with a slow (cloned) voice.

Entries are keyed by the text and the voice (engine, voice spec, and the bytes of any voice
file it names), so changing the voice never plays stale audio."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from livehost.media.frames import PhonemeTiming, Sentence, Speech, WordTiming
from livehost.persona import Persona
from livehost.sinks.atomic import write_atomic

from .base import TTSEngine

log = logging.getLogger(__name__)

CACHE_VERSION = 1


def voice_key(engine_name: str, voice_spec: str, voice_files: Sequence[Path] = ()) -> str:
    """A stable digest of everything that changes how a text sounds."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}|{engine_name}|{voice_spec}".encode())
    for path in voice_files:
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


class SpeechCache:
    """Thread-safe. ``get`` answers from memory, then disk; ``put`` writes both."""

    def __init__(self, folder: Path, voice: str, sample_rate: int) -> None:
        self.folder, self.voice, self.sample_rate = Path(folder), voice, sample_rate
        self._memory: dict[str, Speech] = {}
        self._lock = threading.Lock()

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.voice}|{self.sample_rate}|{text}".encode()).hexdigest()[:24]

    def _path(self, text: str) -> Path:
        return self.folder / f"{self._key(text)}.npz"

    def get(self, sentence: Sentence) -> Speech | None:
        """The cached speech of ``sentence.text``, carrying ``sentence`` itself (its id,
        tags and the message it answers)."""
        key = self._key(sentence.text)
        with self._lock:
            speech = self._memory.get(key)
        if speech is None:
            speech = self._load(sentence.text)
            if speech is None:
                return None
            with self._lock:
                self._memory[key] = speech
        return replace(speech, sentence=sentence)

    def __contains__(self, text: str) -> bool:
        with self._lock:
            if self._key(text) in self._memory:
                return True
        return self._path(text).is_file()

    def put(self, speech: Speech) -> None:
        if speech.sample_rate != self.sample_rate:
            raise ValueError(f"speech at {speech.sample_rate} Hz for a {self.sample_rate} Hz cache")
        text = speech.sentence.text
        meta = {
            "text": text,
            "phonemes": [[p.phoneme, p.start, p.end] for p in speech.phonemes],
            "words": [[w.word, w.start, w.end] for w in speech.words],
        }
        buffer = io.BytesIO()
        np.savez(buffer, pcm=speech.pcm.astype(np.float32), meta=np.array(json.dumps(meta)))
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self._path(text), buffer.getvalue())
        with self._lock:
            self._memory[self._key(text)] = speech

    def _load(self, text: str) -> Speech | None:
        path = self._path(text)
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                pcm = data["pcm"].astype(np.float32)
                meta = json.loads(str(data["meta"]))
        except Exception as exc:  # a damaged entry is re-synthesized, never played
            log.warning("speech cache: ignoring damaged entry %s (%s)", path.name, exc)
            return None
        if meta.get("text") != text:
            return None
        return Speech(
            Sentence(text),
            pcm,
            self.sample_rate,
            tuple(PhonemeTiming(p, float(a), float(b)) for p, a, b in meta["phonemes"]),
            tuple(WordTiming(w, float(a), float(b)) for w, a, b in meta["words"]),
        )


def persona_speech_cache(persona: Persona, engine: TTSEngine, sample_rate: int) -> SpeechCache:
    """The persona's cache for its current voice, in its folder's ``.cache/speech``."""
    files = [persona.resolve(persona.voice.voice)] if persona.voice.voice else []
    if persona.reference_path is not None:
        files.append(persona.reference_path)
    key = voice_key(engine.name, persona.voice.model_dump_json(), files)
    return SpeechCache(persona.folder / ".cache" / "speech", key, sample_rate)
