"""Any server speaking the OpenAI ``/v1/chat/completions`` API (llama.cpp server, vLLM,
Ollama, LM Studio, hosted APIs), streamed over server-sent events.

A request is retried only while no token of it has arrived (a retry after that would repeat
words): after HTTP 429 (waiting what ``Retry-After`` asks, up to a bound), 5xx, or a failed
connection. Chunks that cannot be read are skipped and counted; a stream of nothing else is an
error. ``health`` follows every call, so a server that comes back is used again at once.
"""

from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from urllib.parse import urlsplit

import httpx

from livehost.errors import LivehostError

from .base import LLMError, LLMHealth, LLMRequest, tracked
from .chunks import ChunkReader, error_message

_BACKOFF_S = 0.25  # first pause before retrying a 5xx or a failed connection; doubles
_MAX_RETRY_AFTER_S = 10.0  # a server asking for a longer pause is reported, not waited for


class _Retry(Exception):
    """A failure before any token, worth another try; ``after`` is the server's Retry-After."""

    def __init__(self, cause: str, after: float | None = None) -> None:
        super().__init__(cause)
        self.after = after


def api_key(variable: str | None) -> str | None:
    """The key from the environment variable the persona names (never the key itself in
    a message)."""
    if variable is None:
        return None
    key = os.environ.get(variable)
    if not key:
        raise LivehostError(f"llm.api_key_env: environment variable {variable} is not set")
    return key


def public_url(url: str) -> str:
    """The URL without user, password or query: fit for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


class OpenAIBackend:
    def __init__(
        self,
        url: str,
        model: str | None = None,
        key: str | None = None,
        connect_s: float = 4.0,
        read_s: float = 20.0,
        retries: int = 2,
    ) -> None:
        self.url = public_url(url)
        self.model = model
        self.name = f"openai {self.url} (model {model or 'the server default'})"
        self.health = LLMHealth(extra={"malformed_chunks": 0})
        self.retries = retries
        self._endpoint = url.rstrip("/") + "/chat/completions"
        headers = {"Accept": "text/event-stream"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(read_s, connect=connect_s))

    def close(self) -> None:
        self._client.close()

    def stream(self, request: LLMRequest, cancel: threading.Event) -> Iterator[str]:
        return tracked(self.health, self._with_retries(self._body(request), cancel))

    def _body(self, request: LLMRequest) -> dict:
        body: dict = {
            "messages": [turn.as_dict() for turn in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }
        if self.model is not None:
            body["model"] = self.model
        if request.stop:
            body["stop"] = list(request.stop)
        return body

    def _with_retries(self, body: dict, cancel: threading.Event) -> Generator[str, None, bool]:
        """Returns True when the reply ran to its end, False when cancelled."""
        for attempt in range(self.retries + 1):
            try:
                return (yield from self._attempt(body, cancel))
            except _Retry as exc:
                failure = exc
            if attempt == self.retries:
                break
            pause = failure.after if failure.after is not None else _BACKOFF_S * 2**attempt
            if cancel.wait(pause):
                return False
        raise LLMError(self.url, f"{failure} ({self.retries + 1} attempts)")

    def _attempt(self, body: dict, cancel: threading.Event) -> Generator[str, None, bool]:
        chunks = ChunkReader(self.url, self.health)
        pieces = 0
        try:
            with self._client.stream("POST", self._endpoint, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    self._refuse(response)
                if response.headers.get("content-type", "").startswith("application/json"):
                    text = _whole_answer(response.read(), self.url)  # a server that does not stream
                    if text:
                        yield text
                    return True
                for event in sse_events(response.iter_lines()):
                    if cancel.is_set():
                        return False
                    piece = chunks.read_data(event)
                    if piece:
                        pieces += 1
                        yield piece
                    if chunks.closed:
                        break
        except httpx.TransportError as exc:
            if not pieces:
                raise _Retry(_describe(exc)) from None
            if not chunks.done:  # a connection lost after the last chunk loses nothing
                raise LLMError(self.url, f"stream broke off after {pieces} pieces ({_describe(exc)})") from None
        chunks.finish()
        return True

    def _refuse(self, response: httpx.Response) -> None:
        cause = _server_error(response)
        if response.status_code == 429:
            after = _retry_after(response.headers.get("retry-after"))
            if after is not None and after > _MAX_RETRY_AFTER_S:
                raise LLMError(self.url, f"{cause} (rate limited: the server asks to wait {after:.0f} s)")
            raise _Retry(cause, after)
        if response.status_code >= 500:
            raise _Retry(cause)
        if response.status_code in (401, 403):
            cause += " (check the API key and llm.api_key_env)"
        raise LLMError(self.url, cause)


def sse_events(lines: Iterable[str]) -> Iterator[str]:
    """The ``data`` of each server-sent event (its data lines joined); comments, other fields
    and empty events are left out."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[6:] if line.startswith("data: ") else line[5:])
    if data:
        yield "\n".join(data)


def _whole_answer(body: bytes, server: str) -> str:
    try:
        answer = json.loads(body)
        return answer["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError(server, f"unreadable answer {body[:80]!r}") from None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_error(response: httpx.Response) -> str:
    try:
        payload = response.json()
        detail = error_message(payload) if isinstance(payload, dict) else str(payload)
    except ValueError:
        detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason_phrase
    return f"HTTP {response.status_code}: {detail}"


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (is the server running?)"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the server"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
