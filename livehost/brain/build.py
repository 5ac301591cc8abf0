"""A persona's brain from its folder: the language model (the persona's ``llm:`` or a
``--llm`` spec), its knowledge files, the speech cache of its voice, and the secrets no
reply may contain."""

from __future__ import annotations

import os

from livehost.brain.brain import Brain
from livehost.media.frames import ChatMessage, Sentence, Speech
from livehost.persona import Persona
from livehost.voice.cache import SpeechCache


def persona_with_llm(persona: Persona, spec_text: str | None) -> Persona:
    """``--llm`` wins over the persona's ``llm:`` for what it names; the rest is kept."""
    if not spec_text:
        return persona
    from livehost.brain.llm.factory import parse_llm_spec

    parsed = parse_llm_spec(spec_text)
    merged = persona.llm.model_copy(update={name: getattr(parsed, name) for name in parsed.model_fields_set})
    if "backend" in parsed.model_fields_set and parsed.backend != persona.llm.backend:
        # another backend: the persona's model name and URL belonged to the old one
        merged = merged.model_copy(update={n: getattr(parsed, n) for n in ("model", "url", "api_key_env")})
    return persona.model_copy(update={"llm": merged})


def secrets_of(persona: Persona) -> tuple[str, ...]:
    """What no reply may contain: the persona's ``safety.never_say`` (codes, internal notes its
    prompt holds) and the values of the keys livehost is given."""
    names = [persona.llm.api_key_env, "LIVEHOST_API_TOKEN"]
    keys = tuple(v for n in names if n and (v := os.environ.get(n)) and len(v) >= 6)
    return (*persona.safety.never_say, *keys)


def build_brain(persona: Persona, llm: str | None = None, cache: SpeechCache | None = None) -> Brain:
    from livehost.brain.facts import CatalogueKnowledge
    from livehost.brain.llm.factory import create_backend

    persona = persona_with_llm(persona, llm)
    knowledge = CatalogueKnowledge.load(persona.knowledge_paths) if persona.knowledge_paths else None
    backend = create_backend(persona.llm, persona.folder)

    def cached(sentence: Sentence) -> Speech | None:
        return None if cache is None else cache.get(sentence)

    return Brain(persona, backend, knowledge, cached_speech=cached, secrets=secrets_of(persona))


def message_from(text: str, user: str = "viewer", index: int = 0) -> ChatMessage:
    return ChatMessage(platform="cli", user=user, text=text, id=f"q{index + 1}")
