"""What the API server may ask of the running host. The channel implements it; every call
is a quick, thread-safe hand-off (enqueue, flag, snapshot) — the server still calls them off
its event loop."""

from __future__ import annotations

from typing import Protocol

from livehost.media.frames import ChatMessage


class HostControl(Protocol):
    def post_chat(self, msg: ChatMessage) -> str:
        """Queue a chat message; returns its id."""

    def say(self, text: str) -> str:
        """Have the host say ``text`` as the operator; returns an id for the trace."""

    def interrupt(self, reason: str) -> None:
        """Stop speaking now."""

    def status(self) -> dict:
        """A JSON-able snapshot: sources, queue, sinks, clocks..."""
