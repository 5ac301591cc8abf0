"""A local server speaking the OpenAI ``/v1/chat/completions`` streaming API, scripted to
misbehave: each request takes the next ``Plan`` from ``plans`` (the last one repeats)."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Plan:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    pieces: tuple[str, ...] = ("Hello", " there", "!")
    garbage: tuple[str, ...] = ()  # raw data lines sent between the pieces
    stall: bool = False  # hold the first byte until the test releases it
    drop_after: int | None = None  # close the connection after this many pieces
    endless: bool = False  # keep sending pieces until the client goes away
    role: bool = True  # open with the usual role-only chunk
    done: bool = True  # end with a finish_reason chunk and [DONE]
    error_chunk: str | None = None  # an in-stream {"error": ...} event after the first piece
    whole: bool = False  # answer with one JSON completion, as servers that cannot stream do


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    payload = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(payload)}\n\n".encode()


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.plans: list[Plan] = [Plan()]
        self.requests: list[dict] = []
        self.headers_seen: list[dict[str, str]] = []
        self.release = threading.Event()  # ends a stalled plan
        self.gone = threading.Event()  # set when a client left in the middle of a stream
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def next_plan(self) -> Plan:
        return self.plans.pop(0) if len(self.plans) > 1 else self.plans[0]

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients closing keep-alives is normal
            super().handle_error(request, client_address)

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChatServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.requests.append(body)
        self.server.headers_seen.append(dict(self.headers))
        plan = self.server.next_plan()
        if plan.status != 200 or plan.whole:
            if plan.whole:
                answer = {"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop",
                          "message": {"role": "assistant", "content": "".join(plan.pieces)}}]}
            else:
                answer = {"error": {"message": f"scripted status {plan.status}", "type": "server_error"}}
            data = json.dumps(answer).encode()
            self.send_response(plan.status)
            for key, value in plan.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if plan.stall:
            self.server.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._stream(plan)
        except OSError:  # the client left (cancelled, or gave up on an error chunk)
            self.server.gone.set()
            self.close_connection = True

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, plan: Plan) -> None:
        self._send(b": keep-alive comment\n\n")
        if plan.role:
                self._send(b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n')
        if plan.endless:
            self._endless()
            return
        for i, piece in enumerate(plan.pieces):
            if plan.drop_after is not None and i == plan.drop_after:
                self.connection.shutdown(2)  # an abrupt end, mid-body
                self.close_connection = True
                return
            self._send(chunk(piece))
            for line in plan.garbage:
                self._send(f"data: {line}\n\n".encode())
            if plan.error_chunk is not None:
                self._send(f"data: {json.dumps({'error': {'message': plan.error_chunk}})}\n\n".encode())
        for line in () if plan.pieces else plan.garbage:
            self._send(f"data: {line}\n\n".encode())
        if plan.done:
            self._send(chunk(finish="stop"))
            self._send(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _endless(self) -> None:
        while True:
            self._send(chunk(" la"))
