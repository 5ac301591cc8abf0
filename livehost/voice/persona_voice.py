"""Rewrite the ``voice:`` section of a persona.yaml, leaving the rest (and its comments) alone."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from livehost.errors import LivehostError
from livehost.persona import VoiceSpec
from livehost.sinks.atomic import write_atomic

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")


def write_voice(persona_file: Path, spec: VoiceSpec) -> None:
    """Replace (or append) the top-level ``voice:`` block with ``spec``."""
    lines = persona_file.read_text(encoding="utf-8").splitlines(keepends=True)
    block = yaml.safe_dump({"voice": spec.model_dump(mode="json", exclude_defaults=True)},
                           sort_keys=False, allow_unicode=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^voice\s*:", line)), None)
    if start is None:
        lines += (["\n"] if lines and not lines[-1].endswith("\n") else []) + [block]
    else:
        end = next((j for j in range(start + 1, len(lines)) if _TOP_KEY.match(lines[j])), len(lines))
        lines[start:end] = [block]
    text = "".join(lines)
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:  # never leave a persona unreadable
        raise LivehostError(f"{persona_file}: could not update the voice section ({exc})") from None
    write_atomic(persona_file, text)
