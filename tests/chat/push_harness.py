"""A push source served for real: the API server (create_app + ServerThread) on a free
loopback port routing POSTs to it, and the source running under the real SourceSupervisor,
whose emitted messages are collected."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from loopback import free_port, wait_for

from livehost.media.events import EventBus
from livehost.media.frames import ChatMessage
from livehost.server import ServerThread, create_app
from livehost.sources.base import HookSource
from livehost.sources.supervisor import SourceSupervisor

TOKEN = "push-test-token"


class HostStub:
    """The host behind the API's own routes, which these tests do not use."""

    def __init__(self, supervisor: SourceSupervisor) -> None:
        self.supervisor = supervisor

    def post_chat(self, msg: ChatMessage) -> str:
        raise AssertionError("a push must not go through /api/chat")

    def say(self, text: str) -> str:
        raise AssertionError("not under test")

    def interrupt(self, reason: str) -> None:
        raise AssertionError("not under test")

    def status(self) -> dict:
        return {"sources": self.supervisor.status()}


@dataclass
class Served:
    server: ServerThread
    supervisor: SourceSupervisor
    got: list[ChatMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def texts(self) -> list[str]:
        return [m.text for m in self.got]


@contextmanager
def serve(source: HookSource) -> Iterator[Served]:
    got: list[ChatMessage] = []
    supervisor = SourceSupervisor([source], got.append)
    supervisor.start()
    server = ServerThread(create_app(HostStub(supervisor), TOKEN, EventBus(), hooks=[source]),
                          port=free_port())
    try:
        wait_for(lambda: source.status().up, 5, f"{source.name} to be up", every=0.01)
        server.start()
        yield Served(server, supervisor, got)
    finally:
        server.stop()
        assert supervisor.stop(), "the source did not stop"


def oversized_post(url: str, path: str, limit: int = 1024 * 1024) -> httpx.Response:
    """A body one byte over the hook limit, with no signature: the server refuses it first."""
    return httpx.post(url + path, content=b"[" + b" " * (limit - 1) + b"]", timeout=10.0)


def reply_times(send: Callable[[int], httpx.Response], n: int) -> list[float]:
    """Seconds each of ``n`` requests took to be answered; each must be answered 200."""
    times = []
    for i in range(n):
        began = time.perf_counter()
        response = send(i)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
    return times


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
