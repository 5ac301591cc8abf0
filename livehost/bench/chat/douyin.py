"""A stand-in for Douyin's push servers: signs live data as the platform does and POSTs it
to a ``douyin`` source on the API server at ``base_url``. Douyin pushes (it is the client),
so this "Server" is a sender; ``start``/``stop`` open and close its HTTP client."""

from __future__ import annotations

import hashlib
import secrets
import time

import httpx

from livehost.bench.chat.push import PushSender, encode
from livehost.sources.douyin import DEFAULT_PATH, SECRET_ENV, DouyinSource, signature

ROOM = "7391234567890123456"
GIFT_ID = "n1/Dg1905sj1FyoBlQBvmbaDZFBNaKuKZH6zxHkv8Lg5x2cRfrKUTb8gzMs="  # opaque, as sent


def signed_headers(msg_type: str, body: bytes, secret: str, room: str = ROOM) -> dict[str, str]:
    fields = {"x-nonce-str": secrets.token_hex(8), "x-timestamp": str(int(time.time() * 1000)),
              "x-roomid": room, "x-msg-type": msg_type}
    return {**fields, "x-signature": signature(fields, body, secret),
            "content-type": "application/json"}


def _viewer(user: str, msg_id: str) -> dict:
    return {"msg_id": msg_id, "sec_openid": "_000" + hashlib.sha1(user.encode()).hexdigest(),
            "nickname": user, "avatar_url": "https://p3.douyinpic.com/aweme/100x100/a.jpeg",
            "timestamp": int(time.time() * 1000)}


def comment(user: str, text: str, msg_id: str) -> dict:
    return {**_viewer(user, msg_id), "content": text}


def gift(user: str, msg_id: str, num: int = 1, value_fen: int = 100) -> dict:
    return {**_viewer(user, msg_id), "sec_gift_id": GIFT_ID, "gift_num": num,
            "gift_value": value_fen, "test": False}


def fansclub(user: str, msg_id: str, reason: int = 2, level: int = 1) -> dict:
    return {**_viewer(user, msg_id), "fansclub_reason_type": reason, "fansclub_level": level}


class Server(PushSender):
    platform, default_path, secret_env = "douyin", DEFAULT_PATH, SECRET_ENV

    def __init__(self, base_url: str, secret: str | None = None, *, path: str = DEFAULT_PATH,
                 room: str = ROOM) -> None:
        super().__init__(base_url, secret, path)
        self.room = room

    def push(self, msg_type: str, items: list[dict]) -> httpx.Response:
        """One signed push of ``items`` (dicts as ``comment``/``gift``/``fansclub`` make)."""
        return self.post(msg_type, encode(items))

    def post(self, msg_type: str, body: bytes,
             headers: dict[str, str] | None = None) -> httpx.Response:
        """``body`` signed as the platform signs it, unless ``headers`` are given."""
        if headers is None:
            headers = signed_headers(msg_type, body, self.secret, self.room)
        return self._send(body, headers)

    def send_chat(self, user: str, text: str, msg_id: str) -> httpx.Response:
        return self.push("live_comment", [comment(user, text, msg_id)])


def parse_throughput(n: int, batch: int = 100) -> float:
    """Comments/s one thread takes through ``receive`` (signature check, parse, dedupe,
    hand-over), from signed pushes of ``batch`` comments as the platform sends them."""
    secret = "bench-secret"
    source = DouyinSource(secret, remember_ids=n + 1, inbox=n // batch + 2)
    pushes = []
    for start in range(0, n, batch):
        body = encode([comment(f"观众{i % 500}", f"主播这个多少钱 #{i}", str(7 * 10**18 + i))
                       for i in range(start, min(n, start + batch))])
        pushes.append((signed_headers("live_comment", body, secret), body))
    began = time.perf_counter()
    for headers, body in pushes:
        if source.receive(headers, body).status != 200:
            raise RuntimeError("douyin bench: a push was refused")
    return n / (time.perf_counter() - began)
