"""Choosing a language model: from a persona's ``llm:`` section, or the CLI's ``--llm SPEC``.

SPEC is ``BACKEND[:TARGET][?KEY=VALUE&...]``::

    embedded                                  the packaged SmolLM2-135M, in-process
    embedded:/path/model.gguf                 another GGUF model, in-process
    openai:http://127.0.0.1:8080/v1?model=NAME&key_env=VAR
                                              an OpenAI-compatible server (key from $VAR)
    transformers:PATH_OR_NAME?device=cuda     a Hugging Face folder (a path, or a name under weights/)

Every other field of the persona's ``llm:`` section can be given as a KEY too (max_tokens,
temperature, first_token_s, reply_s, threads, context, retries, device). Backends load their
libraries only when chosen.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from pydantic import ValidationError

from livehost.errors import LivehostError
from livehost.models import resolve, weights_dir
from livehost.persona import LLMSpec

from .base import LLMBackend

BACKENDS = ("embedded", "openai", "transformers")
EMBEDDED_MODEL = "smollm2-135m"
_ALIASES = {"key_env": "api_key_env"}  # the short names --llm accepts
_ALIASES_BACK = {v: k for k, v in _ALIASES.items()}
_OPTIONS = tuple(f for f in LLMSpec.model_fields if f not in ("backend", "url"))


def parse_llm_spec(text: str) -> LLMSpec:
    head, _, query = text.strip().partition("?")
    backend, _, target = head.partition(":")
    if backend not in BACKENDS:
        raise LivehostError(f"--llm: unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    fields: dict[str, str] = {"backend": backend}
    for key, value in parse_qsl(query, keep_blank_values=True):
        field = _ALIASES.get(key, key)
        if field not in _OPTIONS:
            raise LivehostError(f"--llm: unknown option {key!r} (known: key_env, {', '.join(_OPTIONS)})")
        fields[field] = value
    if target:
        field = "url" if backend == "openai" else "model"
        if field in fields:
            raise LivehostError(f"--llm: the {field} is given twice (after '{backend}:' and as ?{field}=)")
        fields[field] = target
    try:
        spec = LLMSpec.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LivehostError(f"--llm: {_ALIASES_BACK.get(where, where)}: {first['msg']}") from None
    _check(spec, "--llm")
    return spec


def _check(spec: LLMSpec, where: str) -> None:
    if spec.backend == "openai" and spec.url is None:
        raise LivehostError(f"{where}: the openai backend needs the server's base URL, e.g. http://127.0.0.1:8080/v1")
    if spec.backend == "transformers" and not spec.model:
        raise LivehostError(f"{where}: the transformers backend needs a model folder (a path, or a name under weights/)")


def create_backend(spec: LLMSpec, persona_folder: Path | None = None) -> LLMBackend:
    """The backend ``spec`` names, loaded. Relative model paths are the persona folder's
    (the current folder's without one)."""
    _check(spec, "llm")
    if spec.backend == "openai":
        from .openai import OpenAIBackend, api_key

        assert spec.url is not None
        return OpenAIBackend(
            spec.url, spec.model, api_key(spec.api_key_env),
            connect_s=min(spec.first_token_s, 10.0), read_s=spec.reply_s, retries=spec.retries,
        )
    if spec.backend == "transformers":
        from .transformers_backend import TransformersBackend

        assert spec.model is not None
        return TransformersBackend(_model_folder(spec.model, persona_folder), spec.device)
    from .embedded import EmbeddedBackend

    if spec.model:
        model = _local(spec.model, persona_folder)
        if not model.is_file():
            raise LivehostError(f"llm.model: GGUF file {model} does not exist")
    else:  # the packaged model, in the type llama.cpp runs fastest on a CPU (a user's runs as given)
        from .requantize import fast_copy

        model = fast_copy(resolve(EMBEDDED_MODEL).path)
    return EmbeddedBackend(model, threads=spec.threads, context=spec.context)


def _local(text: str, persona_folder: Path | None) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() or persona_folder is None else persona_folder / path


def _model_folder(name: str, persona_folder: Path | None) -> Path:
    candidates = [_local(name, persona_folder)]
    if "/" not in name and "\\" not in name:
        candidates.append(weights_dir() / name)
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise LivehostError(f"llm.model: no model folder {name!r} (looked at {', '.join(map(str, candidates))})")
