"""The embedded backend running the packaged SmolLM2-135M: streaming, the prompt cache,
cancel, stop strings, errors, and no network port."""

import os
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from livehost.brain.llm.base import ChatTurn, LLMError, LLMRequest
from livehost.brain.llm.factory import create_backend
from livehost.errors import LivehostError
from livehost.persona import LLMSpec

pytest.importorskip("xllamacpp", reason="the embedded runtime (pip install xllamacpp) is not installed")
pytestmark = pytest.mark.slow

SYSTEM = "You are Mia, a cheerful live-stream shopping host. Answer in one short sentence.\n" + " ".join(
    f"Kettle K{i} costs {10 + i} dollars and holds {1 + i % 3} litres." for i in range(25)
)


def ask(text: str, **kwargs) -> LLMRequest:
    return LLMRequest(messages=(ChatTurn("system", SYSTEM), ChatTurn("user", text)), temperature=0.0, **kwargs)


def listening_sockets() -> set[str]:
    """Inodes of this process's sockets that listen on TCP or are bound on UDP."""
    listening = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        path = Path("/proc/net") / table
        for row in path.read_text().splitlines()[1:] if path.exists() else ():
            fields = row.split()
            if table.startswith("udp") or fields[3] == "0A":  # 0A: LISTEN
                listening.add(fields[9])
    mine = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    return listening & mine


@pytest.fixture(scope="module")
def sockets_before():
    return listening_sockets()


@pytest.fixture(scope="module")
def backend(sockets_before):
    b = create_backend(LLMSpec())
    yield b
    b.close()


def test_streams_a_reply(backend):
    pieces = list(backend.stream(ask("Say hello to the chat.", max_tokens=24), threading.Event()))
    assert len(pieces) > 2 and "".join(pieces).strip()
    assert backend.health.ok and backend.health.failures == 0
    assert backend.name.startswith("embedded SmolLM2-135M-Instruct")


def niceness_of_threads() -> list[int]:
    return [int(Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[16])
            for tid in os.listdir("/proc/self/task")]


def test_the_models_threads_run_below_the_render_loop(backend):
    seen = []
    for i, _ in enumerate(backend.stream(ask("Tell the chat a long story about kettles.", max_tokens=48),
                                         threading.Event())):
        if i == 10:
            seen = niceness_of_threads()
    mine = os.nice(0)  # the caller's thread (the render loop's, live) is left as it was
    assert max(seen) > mine, seen  # llama.cpp's compute threads, lowered below it
    assert seen.count(mine) >= 1


def test_the_system_prompt_is_evaluated_once(backend):
    list(backend.stream(ask("How much is the K3 kettle?", max_tokens=8), threading.Event()))
    list(backend.stream(ask("Which kettle is the biggest?", max_tokens=8), threading.Event()))
    timings = backend.health.extra["timings"]
    assert timings["cache_n"] > 300  # the ~400-token system prompt came from the cache
    assert timings["prompt_n"] < 30  # only the new turn was evaluated


def test_cancel_stops_generation_at_the_next_token(backend):
    question = ask("Write a long story about a dragon who sells kettles.", max_tokens=200)
    cancel = threading.Event()
    server = backend._server
    calls_after_cancel, returned = [], threading.Event()

    class Watch:  # counts llama.cpp's callbacks once the reply is cancelled
        def handle_chat_completions(self, body, callback):
            def watched(chunk):
                if cancel.is_set():
                    calls_after_cancel.append(chunk)
                return callback(chunk)

            server.handle_chat_completions(body, watched)
            returned.set()

    backend._server = Watch()
    try:
        got = []
        for piece in backend.stream(question, cancel):
            got.append(piece)
            if len(got) == 3:
                cancel.set()
        assert len(got) == 3
        assert returned.wait(30)
    finally:
        backend._server = server
    assert len(calls_after_cancel) <= 1  # the one that told llama.cpp to stop
    # The same reply uncancelled goes on well past three pieces, so the stop was real.
    assert len(list(backend.stream(replace(question, max_tokens=24), threading.Event()))) > 10


def test_stop_strings_end_the_reply(backend):
    text = "".join(backend.stream(ask("Greet the chat warmly.", max_tokens=24, stop=(" ",)), threading.Event()))
    assert text and " " not in text


def test_no_network_port_is_opened(backend, sockets_before):
    with socket.create_server(("127.0.0.1", 0)):
        assert listening_sockets() - sockets_before  # the check does see a port when one is open
    cancel = threading.Event()
    stream = backend.stream(ask("Say hi.", max_tokens=8), cancel)
    next(stream)
    assert listening_sockets() <= sockets_before
    stream.close()
    assert oct(Path(backend._socket_dir).stat().st_mode & 0o777) == "0o700"


def test_a_prompt_too_long_for_the_context_is_an_error(tmp_path):
    small = create_backend(LLMSpec(context=512))
    try:
        with pytest.raises(LLMError, match="exceeds the available context size"):
            list(small.stream(ask("Tell me about all of them. " + SYSTEM), threading.Event()))
        assert not small.health.ok and small.health.failures == 1
        assert list(small.stream(LLMRequest((ChatTurn("user", "Hi"),), max_tokens=4), threading.Event()))
        assert small.health.ok  # the next good request clears it
    finally:
        small.close()


def test_a_file_that_is_not_a_model_is_named(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model" * 100)
    with pytest.raises(LivehostError, match=f"llama.cpp could not load {bad}"):
        create_backend(LLMSpec(model=str(bad)))
