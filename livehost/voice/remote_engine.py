"""A TTS server speaking the OpenAI ``/v1/audio/speech`` API (XTTS, CosyVoice, F5, Kokoro
servers...), streamed as its bytes arrive.

Budgets: ``first_audio_s`` bounds the wait for each piece of the body (connect included),
``sentence_s`` the whole sentence. A sentence is retried (with backoff) only while none of its
audio has been handed on: a retry after that would repeat words.

Reference clips reach the server in one of two ways (``remote.clone``): ``upload`` posts the
clip once to ``upload_path`` (multipart: file, name, model, text) and speaks with the voice id
it returns; ``inline`` sends it with every request as ``references: [{audio: data URI, text}]``.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import Iterator

import httpx

from livehost.errors import LivehostError
from livehost.persona import RemoteVoice

from .base import SynthChunk
from .reference import ReferenceClip
from .wav_stream import PCMStream, WavStream

log = logging.getLogger(__name__)

_BACKOFF_S = 0.25


class _Retryable(Exception):
    """A failure worth another try: the server was unreachable or said 5xx/429. Its text
    describes the failure; the caller names the server."""


def headers(config: RemoteVoice) -> dict[str, str]:
    if config.api_key_env is None:
        return {}
    key = os.environ.get(config.api_key_env)
    if not key:
        raise LivehostError(f"voice.remote.api_key_env: environment variable {config.api_key_env} is not set")
    return {"Authorization": f"Bearer {key}"}


def endpoint(config: RemoteVoice, path: str) -> str:
    return config.url.rstrip("/") + "/" + path.lstrip("/")


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (is the server running?)"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return str(exc) or type(exc).__name__


def _server_error(response: httpx.Response) -> str:
    try:
        detail = response.json()
        detail = detail.get("error", detail) if isinstance(detail, dict) else detail
        detail = detail.get("message", detail) if isinstance(detail, dict) else detail
    except ValueError:
        detail = response.text
    return f"HTTP {response.status_code}: {str(detail)[:200]}"


class RemoteEngine:
    name = "remote"

    def __init__(
        self,
        config: RemoteVoice,
        voice: str,
        rate: float = 1.0,
        reference: ReferenceClip | None = None,
    ) -> None:
        self.config, self.voice, self.rate = config, voice, rate
        self._url = endpoint(config, "audio/speech")
        self._headers = headers(config)
        self._references = None
        if config.clone == "inline":
            if reference is None:
                raise LivehostError("voice.remote.clone is 'inline' but the persona has no voice.reference")
            audio = base64.b64encode(reference.wav_bytes()).decode("ascii")
            self._references = [{"audio": f"data:audio/wav;base64,{audio}", "text": config.reference_text or ""}]
        self._client = httpx.Client(headers=self._headers)

    def close(self) -> None:
        self._client.close()

    def _body(self, text: str) -> dict:
        body = {"model": self.config.model, "input": text, "voice": self.voice,
                "response_format": self.config.format, "speed": self.rate, "stream": self.config.stream}
        if self._references is not None:
            body["references"] = self._references
        return body

    def synthesize(self, text: str) -> Iterator[SynthChunk]:
        deadline = time.monotonic() + self.config.sentence_s
        failure = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                pause = _BACKOFF_S * 2 ** (attempt - 1)
                if time.monotonic() + pause >= deadline:
                    break
                log.warning("voice server %s: %s; retrying", self.config.url, failure)
                time.sleep(pause)
            try:
                yield from self._attempt(text, deadline)
                return
            except _Retryable as exc:
                failure = str(exc)
        raise LivehostError(
            f"voice server {self.config.url}: {failure} "
            f"({self.config.retries + 1} attempt(s) within {self.config.sentence_s:g} s)"
        )

    def _attempt(self, text: str, deadline: float) -> Iterator[SynthChunk]:
        budget = self.config.first_audio_s
        timeout = httpx.Timeout(budget, connect=min(budget, max(0.1, deadline - time.monotonic())))
        decoder = PCMStream(self.config.sample_rate) if self.config.format == "pcm" else WavStream()
        heard = False
        try:
            with self._client.stream("POST", self._url, json=self._body(text), timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    if response.status_code >= 500 or response.status_code == 429:
                        raise _Retryable(_server_error(response))
                    raise LivehostError(f"voice server {self.config.url}: {_server_error(response)}")
                for data in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise LivehostError(
                            f"voice server {self.config.url}: sentence not finished within {self.config.sentence_s:g} s"
                        )
                    pcm = decoder.feed(data)
                    if len(pcm):
                        heard = True
                        yield SynthChunk(pcm=pcm, sample_rate=decoder.sample_rate)
        except httpx.TransportError as exc:
            if heard:
                raise LivehostError(f"voice server {self.config.url}: broke off mid-sentence ({_describe(exc)})") from exc
            raise _Retryable(_describe(exc)) from exc


def upload_reference(config: RemoteVoice, clip: ReferenceClip, name: str) -> str:
    """Create a voice on the server from the clip; returns the id to speak with."""
    url = endpoint(config, config.upload_path)
    files = {"file": (f"{name}.wav", clip.wav_bytes(), "audio/wav")}
    data = {"name": name, "model": config.model, "text": config.reference_text or ""}
    try:
        with httpx.Client(headers=headers(config)) as client:
            response = client.post(url, files=files, data=data, timeout=max(config.sentence_s, 30.0))
    except httpx.TransportError as exc:
        raise LivehostError(f"voice server {config.url}: {_describe(exc)}") from None
    if response.status_code >= 400:
        raise LivehostError(f"voice server {url}: upload refused, {_server_error(response)}")
    try:
        payload = response.json()
    except ValueError:
        raise LivehostError(f"voice server {url}: the upload answer is not JSON") from None
    voice = next((payload.get(k) for k in ("id", "voice", "uri", "name") if isinstance(payload, dict) and payload.get(k)), None)
    if not isinstance(voice, str):
        raise LivehostError(f"voice server {url}: the upload answer names no voice id ({str(payload)[:120]})")
    return voice
