"""Personas: ``personas/<id>/persona.yaml`` plus the files it names, validated.

A persona can be named by id (looked up in the personas folders) or by path (a folder or its
persona.yaml). Every problem is reported as one line naming the file and the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from livehost.errors import LivehostError

PERSONA_FILE = "persona.yaml"


def _repo_personas() -> Path:
    return Path(__file__).resolve().parent.parent / "personas"


def persona_search_path() -> list[Path]:
    """Where persona ids are looked up: $LIVEHOST_PERSONAS (colon-separated), ./personas,
    then the personas folder shipped beside the package."""
    paths = [Path(p) for p in os.environ.get("LIVEHOST_PERSONAS", "").split(os.pathsep) if p]
    paths += [Path.cwd() / "personas", _repo_personas()]
    seen, unique = set(), []
    for p in paths:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RemoteVoice(_Strict):
    """A TTS server speaking the OpenAI ``/v1/audio/speech`` API (engine: remote)."""

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+")]  # base URL, e.g. http://127.0.0.1:8880/v1
    model: str = "tts-1"
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    format: Literal["pcm", "wav"] = "pcm"  # pcm: raw 16-bit mono, streams best
    sample_rate: Annotated[int, Field(ge=8000, le=96000)] = 24000  # of "pcm" responses
    stream: bool = True  # ask for a streamed body (servers that cannot, send it whole)
    first_audio_s: Annotated[float, Field(gt=0, le=60)] = 5.0  # budget until the first bytes
    sentence_s: Annotated[float, Field(gt=0, le=600)] = 30.0  # budget for a whole sentence
    retries: Annotated[int, Field(ge=0, le=5)] = 2  # before any audio of the sentence arrived
    clone: Literal["none", "upload", "inline"] = "none"  # how voice.reference reaches the server
    upload_path: str = "/audio/voices"
    reference_text: str | None = None  # transcript of the reference, for servers that need it


class VoiceSpec(_Strict):
    engine: str = "piper"
    voice: str = "joe"
    reference: Path | None = None
    rate: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0
    pitch: Annotated[float, Field(ge=-12.0, le=12.0)] = 0.0  # semitones
    remote: RemoteVoice | None = None
    options: dict[str, str | float | int | bool] = Field(default_factory=dict)


class LLMSpec(_Strict):
    """Which language model writes the host's replies (persona.yaml ``llm:``, or ``--llm``)."""

    backend: Literal["embedded", "openai", "transformers"] = "embedded"
    # embedded: a GGUF path (default: the packaged SmolLM2); openai: the model name the server
    # knows; transformers: a Hugging Face model folder (a path, or a name under weights/).
    model: str | None = None
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+")] | None = None  # openai: base URL, e.g. http://127.0.0.1:8080/v1
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    max_tokens: Annotated[int, Field(ge=8, le=2048)] = 96
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.6
    first_token_s: Annotated[float, Field(gt=0, le=120)] = 4.0  # budget until the first token
    reply_s: Annotated[float, Field(gt=0, le=600)] = 20.0  # budget for the whole reply
    max_sentences: Annotated[int, Field(ge=1, le=20)] = 2  # a live answer is short: stop after these
    device: str = "cpu"  # transformers: cpu, cuda, cuda:1, mps
    threads: Annotated[int, Field(ge=1, le=64)] | None = None  # embedded: CPU threads (default: every core, at most 4)
    context: Annotated[int, Field(ge=512, le=131072)] = 4096  # embedded: tokens the model sees (prompt + reply)
    retries: Annotated[int, Field(ge=0, le=5)] = 2  # openai: before any token of the reply arrived


class SafetySpec(_Strict):
    """What the host refuses to hear and to say (persona.yaml ``safety:``)."""

    on_blocked: Literal["deflect", "skip"] = "deflect"  # answer a blocked input, or stay quiet
    deflection: str = "Let's keep the chat about the stream. What would you like to know?"
    banned_words: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    # Claims the host must never make, as phrases (e.g. "cures", "guaranteed results").
    banned_claims: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    max_reply_chars: Annotated[int, Field(ge=40, le=4000)] = 400
    # Never said in any spacing or case, even when the prompt holds them (a staff code, an
    # internal note); at least 4 letters or digits each.
    never_say: list[Annotated[str, Field(min_length=4)]] = Field(default_factory=list)
    max_input_chars: Annotated[int, Field(ge=20, le=10000)] = 500
    # The built-in medical and financial claims ("cures", "guaranteed to", "治愈"…) count too.
    builtin_claims: bool = True
    # Sites chat may link to (subdomains included); a link anywhere else is spam.
    allowed_domains: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")]] = Field(
        default_factory=list
    )
    # Words refused in chat and in replies, on top of the short built-in list of insults.
    abuse_words: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    # Said instead of an answer to a message holding personal data (an email, a phone number…).
    privacy_deflection: str = "Please keep personal details out of the chat, it's public!"


class Persona(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")] = "en"
    portrait: Path
    voice: VoiceSpec = VoiceSpec()
    style: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "friendly"
    # ISO 3166-1 alpha-2: where a nod may mean "no" (livehost/motion/regions.py).
    region: Annotated[str, Field(pattern=r"^([A-Za-z]{2})?$")] = ""
    prompt: str = ""
    knowledge: list[Path] = Field(default_factory=list)
    llm: LLMSpec = LLMSpec()
    safety: SafetySpec = SafetySpec()
    # Said when the model fails or runs out of time (one is picked in turn).
    fallback_lines: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["Give me a second, let me get back to you on that."]
    )
    greeting: str = ""
    idle_lines: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    # Behind the person: "photo" (its own), a colour "#rrggbb" (green screen for a chroma
    # key), or an image file; checked by load_persona.
    background: str = "photo"

    # Set by load(): where the persona lives. Not part of the YAML.
    folder: Path = Field(default=Path("."), exclude=True)

    @field_validator("name", "prompt", "greeting")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @property
    def id(self) -> str:
        return self.folder.name

    def resolve(self, path: Path) -> Path:
        """A path from the persona file, relative to the persona's folder."""
        path = Path(os.path.expanduser(path))
        return path if path.is_absolute() else self.folder / path

    @property
    def portrait_path(self) -> Path:
        return self.resolve(self.portrait)

    @property
    def knowledge_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.knowledge]

    @property
    def reference_path(self) -> Path | None:
        return None if self.voice.reference is None else self.resolve(self.voice.reference)


def find_persona_file(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    if candidate.is_dir():
        if (candidate / PERSONA_FILE).is_file():
            return candidate / PERSONA_FILE
        raise LivehostError(f"persona folder {candidate} has no {PERSONA_FILE}")
    text = str(name_or_path)
    if "/" not in text and "\\" not in text and not text.endswith((".yaml", ".yml")):
        for folder in persona_search_path():
            if (folder / text / PERSONA_FILE).is_file():
                return folder / text / PERSONA_FILE
        known = sorted(
            {p.parent.name for f in persona_search_path() if f.is_dir() for p in f.glob(f"*/{PERSONA_FILE}")}
        )
        raise LivehostError(
            f"no persona named {text!r} (known: {', '.join(known) or 'none'}); "
            "give a persona id or the path to a persona folder"
        )
    raise LivehostError(f"persona {text} does not exist")


def load_persona(name_or_path: str | Path) -> Persona:
    """Load and validate a persona, including the files it names."""
    file = find_persona_file(name_or_path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LivehostError(f"{file}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise LivehostError(f"{file}:{line} not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise LivehostError(f"{file}: expected a mapping of fields (name, portrait, voice, ...)")
    try:
        persona = Persona.model_validate({**raw, "folder": file.parent.resolve()})
    except ValidationError as exc:
        raise LivehostError(f"{file}: {_first_error(exc)}") from None
    _check_files(persona, file)
    _check_style(persona, file)
    _check_background(persona, file)
    return persona


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif first["type"] == "missing":
        message = "required field is missing"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{field}: {message}{more}"


def _check_files(persona: Persona, file: Path) -> None:
    checks = [("portrait", persona.portrait_path)]
    checks += [(f"knowledge[{i}]", p) for i, p in enumerate(persona.knowledge_paths)]
    if persona.reference_path is not None:
        checks.append(("voice.reference", persona.reference_path))
    for field, path in checks:
        if not path.is_file():
            raise LivehostError(f"{file}: {field}: file {path} does not exist")


def _check_style(persona: Persona, file: Path) -> None:
    from livehost.motion.styles import load_style  # motion imports nothing from here

    try:
        load_style(persona.style, persona.folder)
    except LivehostError as exc:
        raise LivehostError(f"{file}: style: {exc}") from None


def _check_background(persona: Persona, file: Path) -> None:
    from livehost.face.background import parse_background

    try:
        parse_background(persona.background, persona.folder)
    except LivehostError as exc:
        raise LivehostError(f"{file}: background: {exc}") from None
