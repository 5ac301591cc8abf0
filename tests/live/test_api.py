"""The API server over real HTTP on 127.0.0.1, with a fake host behind it."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import httpx
import pytest

from livehost.errors import LivehostError
from livehost.media.events import EventBus
from livehost.media.frames import ChatMessage
from livehost.server import ServerThread, create_app
from livehost.sources.base import SourceStatus
from livehost.sources.queue import ChatQueue

TOKEN = "s3cret-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeHost:
    def __init__(self) -> None:
        self.chats: list[ChatMessage] = []
        self.said: list[str] = []
        self.interrupts: list[str] = []
        self.fail: Exception | None = None
        self.delay = 0.0

    def post_chat(self, msg: ChatMessage) -> str:
        if self.fail:
            raise self.fail
        time.sleep(self.delay)
        self.chats.append(msg)
        return msg.id or f"chat-{len(self.chats)}"

    def say(self, text: str) -> str:
        self.said.append(text)
        return f"say-{len(self.said)}"

    def interrupt(self, reason: str) -> None:
        self.interrupts.append(reason)

    def status(self) -> dict:
        return {"persona": "ava", "sources": {"console": SourceStatus(up=True, received=3)}}


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def api():
    host, bus = FakeHost(), EventBus()
    server = ServerThread(create_app(host, TOKEN, bus, keepalive_s=0.2, host_timeout_s=0.5), port=0)
    server.start()
    client = httpx.Client(base_url=server.url, timeout=5.0)
    yield host, bus, server, client
    client.close()
    server.stop()


def test_health_needs_no_token(api):
    *_, client = api
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_api_refuses_a_missing_or_wrong_token(api, headers):
    *_, client = api
    for method, path in [("GET", "/api/status"), ("POST", "/api/chat"), ("GET", "/api/events"),
                         ("POST", "/api/interrupt")]:
        response = client.request(method, path, headers=headers, json={"user": "a", "text": "hi"})
        assert response.status_code == 401
        assert response.json() == {"error": "missing or wrong bearer token"}
        assert TOKEN not in response.text


def test_status_is_the_hosts_dict(api):
    *_, client = api
    response = client.get("/api/status", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"persona": "ava", "sources": {"console": {
        "up": True, "error": None, "received": 3, "malformed": 0, "restarts": 0}}}


def test_chat_say_and_interrupt_are_accepted(api):
    host, _, _, client = api
    response = client.post("/api/chat", headers=AUTH, json={
        "user": " Ann ", "text": "is it waterproof?", "kind": "superchat", "amount": 5,
        "currency": "EUR", "id": "yt-42"})
    assert response.status_code == 202 and response.json() == {"id": "yt-42"}
    msg = host.chats[0]
    assert (msg.platform, msg.user, msg.text, msg.kind, msg.amount, msg.currency, msg.id) == (
        "api", "Ann", "is it waterproof?", "superchat", 5.0, "EUR", "yt-42")
    response = client.post("/api/chat", headers=AUTH, json={"user": "Bo", "kind": "follow"})
    assert response.status_code == 202 and host.chats[1].text == ""

    response = client.post("/api/say", headers=AUTH, json={"text": "Welcome everyone!"})
    assert response.status_code == 202 and response.json() == {"id": "say-1"}
    assert host.said == ["Welcome everyone!"]

    assert client.post("/api/interrupt", headers=AUTH).status_code == 202
    assert client.post("/api/interrupt", headers=AUTH, json={"reason": "barge-in"}).status_code == 202
    assert host.interrupts == ["operator", "barge-in"]


@pytest.mark.parametrize("path, body, error", [
    ("/api/chat", b"{not json", "body: not valid JSON"),
    ("/api/chat", b"[1, 2]", "body: must be a JSON object"),
    ("/api/chat", b'{"text": "hi"}', "user: Field required"),
    ("/api/chat", b'{"user": 7, "text": "hi"}', "user: Input should be a valid string"),
    ("/api/chat", b'{"user": "a", "text": "   "}', "text: must not be empty"),
    ("/api/chat", b'{"user": "a", "text": "hi", "amount": "5"}',
     "amount: Input should be a valid number"),
    ("/api/chat", b'{"user": "a", "text": "hi", "amount": -1}',
     "amount: Input should be greater than or equal to 0"),
    ("/api/chat", b'{"user": "a", "text": "hi", "kind": "nonsense"}', "kind: Input should be"),
    ("/api/chat", b'{"user": "a", "txt": "hi"}', "txt: unknown field"),
    ("/api/say", b'{"text": ""}', "text: String should have at least 1 character"),
    ("/api/say", b'{}', "text: Field required"),
    ("/api/interrupt", b'{"reason": 3}', "reason: Input should be a valid string"),
])
def test_malformed_bodies_are_400_naming_the_field(api, path, body, error):
    host, _, _, client = api
    response = client.post(path, headers={**AUTH, "Content-Type": "application/json"}, content=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    assert host.chats == [] and host.said == []


def test_oversized_bodies_are_413(api):
    host, _, _, client = api
    big = json.dumps({"user": "a", "text": "x" * 20_000}).encode()
    response = client.post("/api/chat", headers=AUTH, content=big)
    assert response.status_code == 413 and response.json() == {"error": "body: larger than 16384 bytes"}

    def chunks():  # no Content-Length: the limit still holds while reading
        for _ in range(20):
            yield b" " * 1024

    response = client.post("/api/chat", headers=AUTH, content=chunks())
    assert response.status_code == 413 and host.chats == []


def test_host_errors_become_json(api, caplog):
    host, _, _, client = api
    host.fail = LivehostError("the queue is closed")
    response = client.post("/api/chat", headers=AUTH, json={"user": "a", "text": "hi"})
    assert response.status_code == 400 and response.json() == {"error": "the queue is closed"}
    host.fail = RuntimeError("bug")
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/chat", headers=AUTH, json={"user": "a", "text": "hi"})
    assert response.status_code == 500 and response.json() == {"error": "internal error"}
    assert TOKEN not in caplog.text
    response = client.get("/api/nothing-here", headers=AUTH)
    assert response.status_code == 404 and "error" in response.json()
    response = client.get("/api/chat", headers=AUTH)
    assert response.status_code == 405 and "error" in response.json()


def test_a_slow_host_never_stalls_the_server(api):
    host, _, server, client = api
    host.delay = 2.0  # longer than the server's 0.5 s budget for a host call
    results = {}

    def post():
        results["chat"] = httpx.post(f"{server.url}/api/chat", headers=AUTH,
                                     json={"user": "a", "text": "hi"}, timeout=5)

    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert client.get("/health").status_code == 200
    assert time.monotonic() - started < 1.0  # answered while the host call (2 s) still ran
    thread.join()
    assert results["chat"].status_code == 503
    assert results["chat"].json() == {"error": "the host did not answer in time"}


def read_sse(lines, want: int) -> tuple[list[dict], list[str]]:
    """Read until ``want`` data events have arrived (or, for 0, a keep-alive); returns them
    and the comment lines."""
    events, comments = [], []
    for line in lines:
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            if len(events) == want:
                break
        elif line.startswith(":"):
            comments.append(line)
            if want == 0 and "keep-alive" in line:
                break
    return events, comments


def test_events_stream_every_published_event(api):
    _, bus, _, client = api
    with client.stream("GET", "/api/events", headers=AUTH) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        wait_for(lambda: bus.subscribers == 1)
        sent = [{"event": "chat", "id": str(i), "text": f"héllo {i}", "t": i * 0.5} for i in range(50)]
        for event in sent:
            bus.publish(event)
        lines = response.iter_lines()
        events, comments = read_sse(lines, 50)
        assert events == sent
        assert comments[0] == ": connected"
        _, comments = read_sse(lines, 0)  # nothing more published: a keep-alive comes
        assert comments[-1] == ": keep-alive"
    wait_for(lambda: bus.subscribers == 0)  # the client left: its subscription is gone


def test_a_slow_events_client_loses_the_oldest_events_not_the_publisher():
    host, bus = FakeHost(), EventBus()
    app = create_app(host, TOKEN, bus, events_queue=5)
    with (ServerThread(app, port=0) as server,
          httpx.Client(base_url=server.url, timeout=5) as client,
          client.stream("GET", "/api/events", headers=AUTH) as response):
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        wait_for(lambda: bus.subscribers == 1)
        started = time.monotonic()
        for i in range(100_000):  # far faster than the stream drains
            bus.publish({"event": "tick", "i": i})
        assert time.monotonic() - started < 5.0
        bus.publish({"event": "last"})
        seen, lost = [], 0
        for line in lines:
            if line.startswith(": dropped "):
                lost += int(line.removeprefix(": dropped "))
            elif line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if seen[-1]["event"] == "last":
                    break
        assert lost > 0 and len(seen) + lost == 100_001  # the oldest were dropped, counted...
        assert [e["i"] for e in seen[:-1]] == sorted(e["i"] for e in seen[:-1])  # ...in order


def test_stopping_the_server_ends_open_event_streams():
    host, bus = FakeHost(), EventBus()
    server = ServerThread(create_app(host, TOKEN, bus), port=0)
    server.start()
    ended = threading.Event()

    def listen():
        try:
            with httpx.stream("GET", f"{server.url}/api/events", headers=AUTH, timeout=10) as response:
                for _ in response.iter_lines():
                    pass
        except httpx.HTTPError:
            pass
        ended.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    wait_for(lambda: bus.subscribers == 1)
    started = time.monotonic()
    server.stop()
    assert ended.wait(5.0) and time.monotonic() - started < 3.0
    assert bus.subscribers == 0


def test_a_busy_port_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ServerThread(create_app(FakeHost(), TOKEN, EventBus()), port=port)
        with pytest.raises(LivehostError, match=f"cannot listen on 127.0.0.1:{port}"):
            server.start()


def test_an_empty_token_is_refused():
    with pytest.raises(LivehostError, match="needs a token"):
        create_app(FakeHost(), "", EventBus())


class QueueHost(FakeHost):
    """A host whose chat goes into a real ChatQueue that reports on the bus."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__()
        self.queue = ChatQueue(on_event=bus.publish,
                               on_drop=lambda m, r: bus.publish({"event": "dropped", "id": m.id,
                                                                 "reason": r}))

    def post_chat(self, msg: ChatMessage) -> str:
        return self.queue.offer(msg)

    def status(self) -> dict:
        return {"queue": self.queue.stats()}


def test_chat_through_the_api_reaches_the_queue_and_the_event_stream():
    bus = EventBus()
    host = QueueHost(bus)
    with (ServerThread(create_app(host, TOKEN, bus), port=0) as server,
          httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client,
          client.stream("GET", "/api/events") as stream):
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        first = client.post("/api/chat", json={"user": "Ann", "text": "Is it waterproof?"}).json()
        again = client.post("/api/chat", json={"user": "Bo", "text": "is it waterproof"}).json()
        events, _ = read_sse(lines, 3)
        assert events == [
            {"event": "chat", "id": first["id"], "platform": "api", "user": "Ann",
             "text": "Is it waterproof?", "kind": "chat", "amount": None},
            {"event": "chat", "id": again["id"], "platform": "api", "user": "Bo",
             "text": "is it waterproof", "kind": "chat", "amount": None},
            {"event": "dropped", "id": again["id"], "reason": "duplicate"},
        ]
        queue = client.get("/api/status").json()["queue"]
        assert queue["lanes"]["question"] == 1 and queue["drops"] == {"duplicate": 1}
        assert host.queue.next().message.id == first["id"]
