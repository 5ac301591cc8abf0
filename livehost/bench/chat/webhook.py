"""A signed-webhook sender: POSTs chat, signed with X-Livehost-Signature, to a ``webhook``
source on the API server at ``base_url``. The sender is the client here, so this "Server"
only opens (``start``) and closes (``stop``) its HTTP client."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import httpx

from livehost.sources.webhook import DEFAULT_PATH, HEADER, SECRET_ENV, WebhookSource, sign


def encode(items: dict | list[dict]) -> bytes:
    return json.dumps(items, ensure_ascii=False).encode()


class Server:
    def __init__(self, base_url: str, secret: str | None = None, *, path: str = DEFAULT_PATH,
                 clock: Callable[[], float] = time.time) -> None:
        self.base_url, self.path, self.clock = base_url.rstrip("/"), path, clock
        self.secret = secret if secret is not None else os.environ[SECRET_ENV]
        self.connections = 0  # posts the source answered 2xx
        self._client: httpx.Client | None = None

    @property
    def spec(self) -> str:
        return "webhook" if self.path == DEFAULT_PATH else f"webhook?path={self.path}"

    def start(self) -> None:
        self._client = httpx.Client(base_url=self.base_url, timeout=5.0)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def post(self, body: bytes, *, t: int | None = None,
             signature: str | None = None) -> httpx.Response:
        """``body`` signed at ``t`` (now by default); ``signature`` replaces the header."""
        if self._client is None:
            raise RuntimeError("webhook sender: start() it first")
        header = signature if signature is not None else sign(
            self.secret, body, int(self.clock()) if t is None else t)
        response = self._client.post(self.path, content=body, headers={
            HEADER: header, "Content-Type": "application/json"})
        if response.is_success:
            self.connections += 1
        return response

    def send(self, items: dict | list[dict]) -> httpx.Response:
        return self.post(encode(items))

    def send_chat(self, user: str, text: str, msg_id: str) -> httpx.Response:
        return self.send({"user": user, "text": text, "id": msg_id})

    def drop(self, down_s: float) -> None:
        """Nothing to do: a webhook holds no connection; an outage is a pause in posts."""


def parse_throughput(n: int, batch: int = 100) -> float:
    """Messages/s one thread takes through ``receive`` (signature and replay checks, each
    item validated, hand-over), from signed posts of ``batch`` messages."""
    secret = "bench-secret"
    source = WebhookSource(secret, inbox=n // batch + 2)
    now = int(time.time())
    posts = []
    for start in range(0, n, batch):
        body = encode([{"user": f"viewer{i % 500}", "text": f"how much is the blue one? #{i}",
                        "id": str(i), "user_id": f"u{i % 500}", "platform": "shop"}
                       for i in range(start, min(n, start + batch))])
        posts.append(({HEADER: sign(secret, body, now)}, body))
    began = time.perf_counter()
    for headers, body in posts:
        if source.receive(headers, body).status != 200:
            raise RuntimeError("webhook bench: a post was refused")
    return n / (time.perf_counter() - began)
