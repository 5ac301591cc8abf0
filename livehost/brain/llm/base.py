"""The protocol every LLM backend implements: chat messages in, text pieces out as they are
generated, stoppable at once from another thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from livehost.errors import LivehostError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One completion. ``messages[0]`` is the persona's system prompt, byte-identical on every
    request of a channel so a backend's prompt cache is reused; per-turn content follows it."""

    messages: tuple[ChatTurn, ...]
    max_tokens: int = 96
    temperature: float = 0.6
    stop: tuple[str, ...] = ()


@dataclass(slots=True)
class LLMHealth:
    ok: bool = True
    error: str | None = None  # the last failure, one line naming the server and the cause
    since: float | None = None  # time.time() of the first failure in a row
    calls: int = 0
    failures: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def succeeded(self) -> None:
        self.ok, self.error, self.since = True, None, None

    def failed(self, error: str) -> None:
        self.failures += 1
        self.ok, self.error = False, error
        if self.since is None:
            self.since = time.time()


class LLMError(LivehostError):
    """A backend failed: ``server`` names it (no secrets), ``cause`` says why, in one line."""

    def __init__(self, server: str, cause: str) -> None:
        super().__init__(f"LLM {server}: {cause}")
        self.server, self.cause = server, cause


class LLMTimeout(LLMError):
    """The backend ran past a time budget (first token or whole reply)."""


class LLMBackend(Protocol):
    """Backends are thread-safe to call from one worker thread at a time.

    ``stream`` yields text pieces in order. It must return promptly (within one token) after
    ``cancel`` is set, and raise ``LLMError`` for failures, never hang: each backend applies
    its own connect/read limits; the brain enforces the first-token and reply budgets.
    """

    name: str  # e.g. "embedded SmolLM2-135M-Instruct" or "openai http://127.0.0.1:8080/v1 (model x)"
    health: LLMHealth

    def stream(self, request: LLMRequest, cancel: threading.Event) -> Iterator[str]: ...

    def close(self) -> None: ...


def tracked(health: LLMHealth, pieces: Generator[str, None, bool]) -> Iterator[str]:
    """Count one call in ``health`` around a backend's generator, which returns True when the
    reply ran to its end (a cancelled reply says nothing about the backend's health)."""
    health.calls += 1
    try:
        completed = yield from pieces
    except LLMError as exc:
        health.failed(str(exc))
        raise
    if completed:
        health.succeeded()
