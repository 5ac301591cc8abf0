"""A signed-webhook sender: POSTs chat, signed with X-Livehost-Signature, to a ``webhook``
source on the API server at ``base_url``. The sender is the client here, so this "Server"
only opens (``start``) and closes (``stop``) its HTTP client."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from livehost.bench.chat.push import PushSender, encode
from livehost.sources.webhook import DEFAULT_PATH, HEADER, SECRET_ENV, WebhookSource, sign


class Server(PushSender):
    platform, default_path, secret_env = "webhook", DEFAULT_PATH, SECRET_ENV

    def __init__(self, base_url: str, secret: str | None = None, *, path: str = DEFAULT_PATH,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(base_url, secret, path)
        self.clock = clock

    def post(self, body: bytes, *, t: int | None = None,
             signature: str | None = None) -> httpx.Response:
        """``body`` signed at ``t`` (now by default); ``signature`` replaces the header."""
        header = signature if signature is not None else sign(
            self.secret, body, int(self.clock()) if t is None else t)
        return self._send(body, {HEADER: header, "Content-Type": "application/json"})

    def send(self, items: dict | list[dict]) -> httpx.Response:
        return self.post(encode(items))

    def send_chat(self, user: str, text: str, msg_id: str) -> httpx.Response:
        return self.send({"user": user, "text": text, "id": msg_id})


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
