"""Chat specs from the command line or a config file (``console``, ``api``, ...) to sources."""

from __future__ import annotations

from livehost.errors import LivehostError

from .base import ChatSource

AVAILABLE = ("console", "api")
PLANNED = ("twitch:", "youtube:", "bilibili:", "douyin", "webhook")


def parse_chat(spec: str) -> ChatSource | None:
    """The source for ``spec``; None for ``api``, which is always on (the API server)."""
    if spec == "api":
        return None
    if spec == "console":
        from .console import ConsoleSource

        return ConsoleSource()
    if spec.startswith(PLANNED):
        raise LivehostError(f"chat {spec!r} is not available in this version; available: {', '.join(AVAILABLE)}")
    raise LivehostError(f"unknown chat source {spec!r}; available: {', '.join(AVAILABLE)}")
