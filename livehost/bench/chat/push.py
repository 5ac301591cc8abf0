"""What the push platforms' senders share: a client that POSTs signed bodies to a hook on
the API server and counts the ones answered 2xx (the ``connections`` of the Server interface;
a push platform holds no connection, so ``drop`` has nothing to drop)."""

from __future__ import annotations

import json
import os

import httpx


def encode(items: dict | list[dict]) -> bytes:
    return json.dumps(items, ensure_ascii=False).encode()


class PushSender:
    platform = ""  # the spec head, e.g. "douyin"
    default_path = ""
    secret_env = ""

    def __init__(self, base_url: str, secret: str | None, path: str | None) -> None:
        self.base_url, self.path = base_url.rstrip("/"), path or self.default_path
        self.secret = secret if secret is not None else os.environ[self.secret_env]
        self.connections = 0  # posts the source answered 2xx
        self._client: httpx.Client | None = None

    @property
    def spec(self) -> str:
        return self.platform if self.path == self.default_path else f"{self.platform}?path={self.path}"

    def start(self) -> None:
        self._client = httpx.Client(base_url=self.base_url, timeout=5.0)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def drop(self, down_s: float) -> None:
        """Nothing to do: an outage on a push platform's side is only a pause between posts."""

    def _send(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        if self._client is None:
            raise RuntimeError(f"{self.platform} sender: start() it first")
        response = self._client.post(self.path, content=body, headers=headers)
        if response.is_success:
            self.connections += 1
        return response
