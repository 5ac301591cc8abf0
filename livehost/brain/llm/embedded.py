"""The language model inside the process: a GGUF model (by default the packaged SmolLM2-135M)
run by llama.cpp through xllamacpp's prebuilt wheel, streamed token by token.

xllamacpp's ``Server`` always starts llama.cpp's HTTP front end as well; it is bound to a Unix
socket in a private folder, so no network port is opened, and requests go straight to the
server's handlers in-process. llama.cpp keeps the previous prompt's KV cache: with the system
prompt byte-identical at the head of every request, only the new turn is evaluated. Generation
runs in llama.cpp's own threads (the GIL is released); a cancelled reply stops at its next
token, because the stream callback tells llama.cpp to drop the task.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path

from livehost.errors import LivehostError

from .base import LLMError, LLMHealth, LLMRequest, tracked
from .chunks import ChunkReader

log = logging.getLogger(__name__)

_POLL_S = 0.05  # how often a reply waiting for its next token looks at ``cancel``
_END = object()


def default_threads() -> int:
    """Every core up to 4. The prompt's evaluation is what keeps a viewer waiting and it
    scales with threads (on 2 cores: first token p50 0.93 s with 1 thread, 0.45 s with 2);
    the model runs only between the voice's sentences, and the render loop kept every tick
    (livehost bench live: 0 late ticks with 2 threads on 2 cores)."""
    return max(1, min(4, os.cpu_count() or 1))


class EmbeddedBackend:
    def __init__(self, model: Path, threads: int | None = None, context: int = 4096) -> None:
        try:
            import xllamacpp
        except ImportError:
            raise LivehostError("the embedded LLM needs llama.cpp: pip install xllamacpp") from None
        self.model = Path(model)
        self.threads = threads or default_threads()
        self.name = f"embedded {self.model.stem} ({self.threads} thread{'s' if self.threads > 1 else ''})"
        self.health = LLMHealth(extra={"malformed_chunks": 0})
        self._socket_dir = tempfile.mkdtemp(prefix="livehost-llm-")
        self._closing = threading.Event()
        self._requests: set[threading.Thread] = set()
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model)
        params.n_ctx = context
        params.n_parallel = 1  # one reply at a time: its slot keeps the system prompt cached
        params.cache_ram_mib = 0  # no extra host-memory prompt cache: memory stays flat over hours
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = self.threads
        # llama.cpp's "auto" turns flash attention on for the CPU, where it is the slower path for a
        # short turn after a long cached prompt (64 tokens after 800, 2 cores: 382 tok/s with it,
        # 468 without; livehost bench brain's first token p50 230-235 ms with, 159-173 without).
        params.flash_attn_type = xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_DISABLED
        # Below the render loop: on a busy machine the face and voice keep their ticks and the
        # model takes what is left (on an idle one it runs as fast as ever).
        low = xllamacpp.ggml_sched_priority.GGML_SCHED_PRIO_LOW
        params.cpuparams.priority = params.cpuparams_batch.priority = low
        params.hostnames = [os.path.join(self._socket_dir, "llm.sock")]
        params.verbosity = 0  # quiet: errors come back with each request
        started = time.perf_counter()
        try:
            self._server = xllamacpp.Server(params)
        except (RuntimeError, ValueError):
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            raise LivehostError(
                f"llm.model: llama.cpp could not load {self.model} (is it a GGUF model that fits in memory?)"
            ) from None
        self._wait_until_serving(started)
        log.info("LLM %s loaded in %.2f s", self.name, time.perf_counter() - started)

    def _wait_until_serving(self, started: float, timeout_s: float = 10.0) -> None:
        """Until the server's HTTP loop answers on its socket. Destroying the server before
        that loop has started leaves its thread running and the destructor waiting for it
        forever (seen in about one close in three right after loading)."""
        path = os.path.join(self._socket_dir, "llm.sock")
        while time.perf_counter() - started < timeout_s:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.settimeout(1.0)
                    probe.connect(path)
                    probe.sendall(b"GET /health HTTP/1.1\r\nHost: llm\r\nConnection: close\r\n\r\n")
                    if probe.recv(16).startswith(b"HTTP/"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        log.warning("LLM %s: its server did not answer on %s within %.0f s", self.name, path, timeout_s)

    def close(self) -> None:
        # A request still inside llama.cpp when the server is destroyed aborts the process
        # (at exit, too): end them at their next token and wait for them first.
        self._closing.set()
        for thread in list(self._requests):
            thread.join(timeout=10)
        self._server = None  # the last reference: its destructor stops llama.cpp's loop and frees the model
        shutil.rmtree(self._socket_dir, ignore_errors=True)

    def stream(self, request: LLMRequest, cancel: threading.Event) -> Iterator[str]:
        if self._server is None:
            raise LLMError(self.name, "the backend is closed")
        return tracked(self.health, self._generate(request, cancel))

    def _generate(self, request: LLMRequest, cancel: threading.Event) -> Generator[str, None, bool]:
        body = {
            "messages": [turn.as_dict() for turn in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(request.stop),
            "stream": True,
            "cache_prompt": True,
        }
        chunks: queue.SimpleQueue = queue.SimpleQueue()
        leave = threading.Event()  # the consumer is gone: drop the task at the next token

        def on_chunk(chunk: object) -> bool:
            if cancel.is_set() or leave.is_set() or self._closing.is_set():
                return True
            chunks.put(chunk)
            return False

        def run() -> None:
            try:
                self._server.handle_chat_completions(body, on_chunk)
            except Exception as exc:  # noqa: BLE001 (handed to the consumer's thread)
                chunks.put(exc)
            finally:
                chunks.put(_END)
                self._requests.discard(threading.current_thread())

        thread = threading.Thread(target=run, name="llm-embedded", daemon=True)
        self._requests.add(thread)
        thread.start()
        reader = ChunkReader(self.name, self.health)
        try:
            while True:
                try:
                    chunk = chunks.get(timeout=_POLL_S)
                except queue.Empty:
                    if cancel.is_set():
                        return False
                    continue
                if cancel.is_set():
                    return False
                if chunk is _END:
                    break
                if isinstance(chunk, Exception):
                    raise LLMError(self.name, str(chunk).splitlines()[0] or type(chunk).__name__)
                piece = reader.read(chunk)
                if piece:
                    yield piece
            reader.finish()
            return True
        finally:
            leave.set()
