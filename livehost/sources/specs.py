"""Chat specs from the command line or a config file to sources: ``console``, ``api`` (always
on), ``twitch:CHANNEL``, ``youtube:ID``, ``bilibili:ROOM``, ``douyin``, ``webhook`` — each
platform with query options (``twitch:foo?server=127.0.0.1:6667&tls=0``). Each platform's
module builds its source from a ``ChatSpec`` (``from_spec``); an option it does not take is
an error that names it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from livehost.errors import LivehostError

from .base import ChatSource

PLATFORMS = ("twitch", "youtube", "bilibili", "douyin", "webhook")
NEEDS_TARGET = {"twitch": "CHANNEL", "youtube": "VIDEO_OR_CHAT_ID", "bilibili": "ROOM_ID"}
AVAILABLE = ("console", "api", *(f"{p}:{NEEDS_TARGET[p]}" if p in NEEDS_TARGET else p for p in PLATFORMS))


@dataclass
class ChatSpec:
    spec: str  # as given, for errors
    platform: str
    target: str  # the channel, video or room; "" for douyin and webhook
    options: dict[str, str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)

    def option(self, key: str, default: str | None = None) -> str | None:
        self._taken.add(key)
        return self.options.get(key, default)

    def flag(self, key: str, default: bool) -> bool:
        value = self.option(key)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise self.error(f"{key}={value!r} must be 0 or 1")

    def number(self, key: str, default: float) -> float:
        value = self.option(key)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise self.error(f"{key}={value!r} is not a number") from None

    def error(self, why: str) -> LivehostError:
        return LivehostError(f"chat {self.spec!r}: {why}")

    def done(self) -> None:
        """Call once every option was read: one that was not is a typo, said so."""
        unknown = sorted(set(self.options) - self._taken)
        if unknown:
            raise self.error(f"unknown option {unknown[0]!r} (takes: {', '.join(sorted(self._taken)) or 'none'})")


def split_spec(spec: str) -> ChatSpec:
    head, _, query = spec.partition("?")
    platform, _, target = head.partition(":")
    parsed = ChatSpec(spec, platform.strip().lower(), target.strip())
    if parsed.platform not in PLATFORMS:
        raise LivehostError(f"unknown chat source {spec!r}; available: {', '.join(AVAILABLE)}")
    if parsed.platform in NEEDS_TARGET and not parsed.target:
        raise parsed.error(f"needs a {NEEDS_TARGET[parsed.platform]}: {parsed.platform}:{NEEDS_TARGET[parsed.platform]}")
    if parsed.platform not in NEEDS_TARGET and parsed.target:
        raise parsed.error(f"{parsed.platform} takes no target (options go after ?)")
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in parsed.options:
            raise parsed.error(f"option {key!r} is given twice")
        parsed.options[key] = value
    return parsed


def parse_chat(spec: str) -> ChatSource | None:
    """The source for ``spec``; None for ``api``, which is always on (the API server)."""
    if spec == "api":
        return None
    if spec == "console":
        from .console import ConsoleSource

        return ConsoleSource()
    parsed = split_spec(spec)
    module = importlib.import_module(f"livehost.sources.{parsed.platform}")
    source = module.from_spec(parsed)
    parsed.done()
    return source
