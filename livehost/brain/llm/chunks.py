"""Reading a stream of OpenAI ``chat.completion.chunk`` payloads, as llama.cpp (embedded or
as a server), vLLM, Ollama and the hosted APIs send them: their text, where the reply ends,
in-stream errors, and how many could not be read."""

from __future__ import annotations

import json

from .base import LLMError, LLMHealth


class ChunkReader:
    def __init__(self, server: str, health: LLMHealth) -> None:
        self.server, self.health = server, health
        self.valid = self.malformed = 0
        self.done = False  # the reply is complete (a finish_reason, or [DONE])
        self.closed = False  # [DONE]: nothing follows

    def read_data(self, data: str) -> str:
        """One server-sent event's data: ``[DONE]`` or a chunk as JSON."""
        if data.strip() == "[DONE]":
            self.done = self.closed = True
            return ""
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        return self.read(chunk)

    def read(self, chunk: object) -> str:
        """One parsed chunk; returns its text ("" for none)."""
        if isinstance(chunk, dict) and "error" in chunk:
            raise LLMError(self.server, f"the server reported: {error_message(chunk)}")
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if not isinstance(choices, list):
            self.malformed += 1
            self.health.extra["malformed_chunks"] = int(self.health.extra.get("malformed_chunks", 0)) + 1
            return ""
        self.valid += 1
        if isinstance(chunk.get("timings"), dict):  # llama.cpp's: prompt, cache and speed figures
            self.health.extra["timings"] = chunk["timings"]
        if not choices:  # e.g. a final usage-only chunk
            return ""
        choice = choices[0] if isinstance(choices[0], dict) else {}
        if choice.get("finish_reason"):
            self.done = True
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        return content if isinstance(content, str) else ""

    def finish(self) -> None:
        """At the end of the stream: raise if it held no reply or stopped short."""
        if not self.valid:
            what = f"{self.malformed} unreadable chunks" if self.malformed else "no chunks"
            raise LLMError(self.server, f"the stream held {what} and no reply")
        if not self.done:
            raise LLMError(self.server, "the stream ended before the reply did (no [DONE])")


def error_message(payload: dict) -> str:
    """The one-line message of an OpenAI-style ``{"error": {"message": ...}}`` payload."""
    error = payload.get("error", payload)
    message = str(error.get("message", error) if isinstance(error, dict) else error).strip()
    return message.splitlines()[0][:200] if message else "unknown error"
