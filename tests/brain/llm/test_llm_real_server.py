"""The OpenAI-compatible backend against a real llama.cpp server (xllamacpp's, on 127.0.0.1,
with an API key) running the packaged SmolLM2-135M."""

import threading

import pytest

from livehost.brain.llm.base import ChatTurn, LLMError, LLMRequest
from livehost.brain.llm.budget import with_budget
from livehost.brain.llm.openai import OpenAIBackend
from livehost.models import resolve

xllamacpp = pytest.importorskip("xllamacpp", reason="llama.cpp's server (pip install xllamacpp) is not installed")
pytestmark = pytest.mark.slow

KEY = "sk-livehost-test-7f3a"
SYSTEM = "You are Mia, a cheerful live-stream host. Answer in one short sentence."


def ask(text: str, max_tokens: int = 24) -> LLMRequest:
    return LLMRequest(messages=(ChatTurn("system", SYSTEM), ChatTurn("user", text)), max_tokens=max_tokens, temperature=0.0)


@pytest.fixture(scope="module")
def server_url():
    params = xllamacpp.CommonParams()
    params.model.path = str(resolve("smollm2-135m").path)
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port, chosen by the server
    params.api_keys = [KEY]
    params.n_ctx = 2048
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 1
    params.verbosity = 0
    server = xllamacpp.Server(params)
    assert server.listening_address.startswith("http://127.0.0.1:")
    yield server.listening_address + "/v1"
    del server


@pytest.fixture(scope="module")
def backend(server_url):
    b = OpenAIBackend(server_url, model="smollm2", key=KEY, read_s=30.0)
    yield b
    b.close()


def test_streams_a_reply_from_llama_cpp(backend):
    pieces = list(with_budget(backend.stream(ask("Say hello to the chat."), threading.Event()), 30.0, 60.0, threading.Event()))
    assert len(pieces) > 2 and "".join(pieces).strip()
    assert backend.health.ok and backend.health.extra["malformed_chunks"] == 0
    list(backend.stream(ask("Say goodbye to the chat."), threading.Event()))
    assert backend.health.extra["timings"]["cache_n"] > 10  # llama.cpp reused the system prompt


def test_cancel_mid_stream_and_carry_on(backend):
    cancel = threading.Event()
    got = []
    for piece in backend.stream(ask("Tell a long story about a kettle.", max_tokens=200), cancel):
        got.append(piece)
        if len(got) == 2:
            cancel.set()
    assert len(got) == 2
    assert "".join(backend.stream(ask("Say hi."), threading.Event())).strip()


def test_a_wrong_key_is_refused_without_retries(server_url):
    wrong = OpenAIBackend(server_url, key="sk-wrong", retries=2)
    try:
        with pytest.raises(LLMError) as caught:
            list(wrong.stream(ask("Hi"), threading.Event()))
        message = str(caught.value)
        assert "HTTP 401" in message and "check the API key" in message and server_url in message
        assert "sk-wrong" not in message
    finally:
        wrong.close()
