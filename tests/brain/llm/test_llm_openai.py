"""The OpenAI-compatible backend against a scripted local server: streaming, retries, broken
and endless streams, budgets, health. The real llama.cpp server is in test_llm_real_server.py."""

import socket
import threading
import time

import pytest
from chat_server import ChatServer, Plan

from livehost.brain.llm import openai
from livehost.brain.llm.base import ChatTurn, LLMError, LLMRequest, LLMTimeout
from livehost.brain.llm.budget import with_budget
from livehost.brain.llm.openai import OpenAIBackend, api_key, public_url, sse_events
from livehost.errors import LivehostError

REQUEST = LLMRequest(
    messages=(ChatTurn("system", "You are a host."), ChatTurn("user", "hi")), max_tokens=20, temperature=0.3,
    stop=("\n\n",),
)


@pytest.fixture
def server():
    srv = ChatServer()
    yield srv
    srv.stop()


@pytest.fixture
def backend(server):
    b = OpenAIBackend(server.url, model="tiny", key="sk-secret-123", connect_s=2.0, read_s=10.0, retries=2)
    yield b
    b.close()


def reply(backend, cancel=None) -> str:
    return "".join(backend.stream(REQUEST, cancel or threading.Event()))


def test_streams_the_reply_and_sends_the_request(server, backend):
    assert reply(backend) == "Hello there!"
    body = server.requests[0]
    assert body["stream"] is True and body["model"] == "tiny" and body["max_tokens"] == 20
    assert body["temperature"] == 0.3 and body["stop"] == ["\n\n"]
    assert body["messages"] == [{"role": "system", "content": "You are a host."}, {"role": "user", "content": "hi"}]
    assert server.headers_seen[0]["Authorization"] == "Bearer sk-secret-123"
    assert backend.health.ok and backend.health.calls == 1 and backend.health.failures == 0


def test_a_server_that_does_not_stream(server, backend):
    server.plans = [Plan(whole=True, pieces=("All", " at once."))]
    assert list(backend.stream(REQUEST, threading.Event())) == ["All at once."]


def test_missing_key_variable_names_the_variable(monkeypatch):
    monkeypatch.delenv("LIVEHOST_TEST_KEY", raising=False)
    with pytest.raises(LivehostError, match="environment variable LIVEHOST_TEST_KEY is not set"):
        api_key("LIVEHOST_TEST_KEY")
    monkeypatch.setenv("LIVEHOST_TEST_KEY", "sk-abc")
    assert api_key("LIVEHOST_TEST_KEY") == "sk-abc"


def test_429_waits_what_retry_after_asks(server, backend):
    server.plans = [Plan(status=429, headers={"Retry-After": "0.3"}), Plan()]
    start = time.monotonic()
    assert reply(backend) == "Hello there!"
    assert time.monotonic() - start >= 0.3
    assert len(server.requests) == 2 and backend.health.ok


def test_429_asking_too_long_fails_at_once(server, backend):
    server.plans = [Plan(status=429, headers={"Retry-After": "3600"})]
    with pytest.raises(LLMError, match="rate limited: the server asks to wait 3600 s"):
        reply(backend)
    assert len(server.requests) == 1


def test_5xx_is_retried_then_reported_and_recovers(server, backend, monkeypatch):
    monkeypatch.setattr(openai, "_BACKOFF_S", 0.01)
    server.plans = [Plan(status=500), Plan(status=503), Plan()]
    assert reply(backend) == "Hello there!"
    assert len(server.requests) == 3

    server.plans = [Plan(status=500)]
    with pytest.raises(LLMError) as caught:
        reply(backend)
    message = str(caught.value)
    assert server.url in message and "HTTP 500: scripted status 500 (3 attempts)" in message
    assert "\n" not in message and "sk-secret" not in message
    health = backend.health
    assert not health.ok and health.failures == 1 and health.since is not None and health.error == message

    server.plans = [Plan()]  # the server is back: no sticky dead state
    assert reply(backend) == "Hello there!"
    assert backend.health.ok and backend.health.error is None and backend.health.since is None
    assert backend.health.calls == 3


def test_unreachable_server_names_the_url_without_credentials():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    backend = OpenAIBackend(f"http://user:pw@127.0.0.1:{port}/v1?tenant=x", key="sk-secret-123", retries=1)
    with pytest.raises(LLMError) as caught:
        reply(backend)
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/v1" in message and "cannot connect" in message
    assert "pw" not in message and "tenant" not in message and "sk-secret" not in message
    assert public_url("https://u:p@host.example:8443/v1/?q=1") == "https://host.example:8443/v1"


def test_401_is_not_retried(server, backend):
    server.plans = [Plan(status=401)]
    with pytest.raises(LLMError, match="HTTP 401.*check the API key"):
        reply(backend)
    assert len(server.requests) == 1


def test_mid_stream_disconnect_is_an_error_and_not_retried(server, backend):
    server.plans = [Plan(pieces=("a", "b", "c", "d"), drop_after=2)]
    got = []
    with pytest.raises(LLMError, match="stream broke off after 2 pieces"):
        for piece in backend.stream(REQUEST, threading.Event()):
            got.append(piece)
    assert got == ["a", "b"]
    assert len(server.requests) == 1 and not backend.health.ok


def test_malformed_chunks_are_skipped_and_counted(server, backend):
    server.plans = [Plan(pieces=("Hi", " you"), garbage=("{not json", '{"object": "x"}'))]
    assert reply(backend) == "Hi you"
    assert backend.health.extra["malformed_chunks"] == 4 and backend.health.ok


def test_a_stream_of_only_garbage_is_an_error(server, backend):
    server.plans = [Plan(pieces=(), garbage=("garbage", "[1, 2]"), role=False, done=False)]
    with pytest.raises(LLMError, match="no reply"):
        reply(backend)


def test_a_stream_without_its_end_is_an_error(server, backend):
    server.plans = [Plan(done=False)]
    with pytest.raises(LLMError, match=r"ended before the reply did \(no \[DONE\]\)"):
        reply(backend)


def test_an_error_event_in_the_stream(server, backend):
    server.plans = [Plan(error_chunk="model overloaded")]
    with pytest.raises(LLMError, match="the server reported: model overloaded"):
        reply(backend)


def test_cancel_stops_an_endless_stream(server, backend):
    server.plans = [Plan(endless=True)]
    cancel = threading.Event()
    got = 0
    for _ in backend.stream(REQUEST, cancel):
        got += 1
        if got == 50:
            cancel.set()
    assert got == 50
    assert server.gone.wait(10)  # the connection was closed, so the server stopped too


def test_the_reply_budget_stops_an_endless_stream(server, backend):
    server.plans = [Plan(endless=True)]
    with pytest.raises(LLMTimeout, match="reply not finished within 0.3 s"):
        for _ in with_budget(backend.stream(REQUEST, threading.Event()), 5.0, 0.3, threading.Event()):
            pass
    assert server.gone.wait(10)


def test_slow_first_token_runs_into_the_budget(server, backend):
    server.plans = [Plan(stall=True)]
    with pytest.raises(LLMTimeout, match="no first token within 0.2 s"):
        list(with_budget(backend.stream(REQUEST, threading.Event()), 0.2, 5.0, threading.Event(), server=backend.url))


def test_sse_events_join_data_lines_and_skip_the_rest():
    lines = [": ping", "event: x", "data: a", "data:b", "", "", "id: 3", "data: c"]
    assert list(sse_events(lines)) == ["a\nb", "c"]
