"""A local server speaking the OpenAI ``/v1/audio/speech`` API, synthesizing with piper, plus
a voice-upload endpoint (``/v1/audio/voices``) like the cloning servers have. Behaviour knobs
let tests make it fail, stall, or break off."""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from livehost.media.audio import resample, to_int16
from livehost.persona import VoiceSpec
from livehost.voice.wav_stream import encode_wav


class SpeechServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        from livehost.voice.engines import create_engine

        self.engine = create_engine(VoiceSpec(engine="piper", voice="joe"))
        self.lock = threading.Lock()
        self.voices = {"alloy"}
        self.api_key: str | None = None
        self.fail_next = 0  # answer this many requests with HTTP 500
        self.stall_s = 0.0  # wait before the first byte
        self.pause_s = 0.0  # wait between the body's pieces
        self.break_after_first = False  # drop the connection after the first piece
        self.requests: list[dict] = []
        self.uploads: list[dict] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def speak(self, text: str, rate: int) -> np.ndarray:
        with self.lock:
            chunks = list(self.engine.synthesize(text))
        return resample(np.concatenate([c.pcm for c in chunks]), chunks[0].sample_rate, rate)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SpeechServer

    def log_message(self, *args) -> None:
        pass

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        if self.server.api_key and self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
            self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
            return False
        return True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self._authorized():
            return
        if self.path == "/v1/audio/speech":
            self._speech(json.loads(body))
        elif self.path == "/v1/audio/voices":
            self._upload(body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def _upload(self, body: bytes) -> None:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        audio = parts["file"].get_payload(decode=True)
        fields = {k: v.get_content().strip() for k, v in parts.items() if k != "file"}
        if audio[:4] != b"RIFF":
            self._json(400, {"error": {"message": "file must be a WAV"}})
            return
        voice = f"voice-{len(self.server.uploads) + 1}"
        self.server.uploads.append({"audio": audio, **fields})
        self.server.voices.add(voice)
        self._json(200, {"id": voice, "name": fields.get("name")})

    def _speech(self, request: dict) -> None:
        import time

        self.server.requests.append(request)
        if self.server.fail_next > 0:
            self.server.fail_next -= 1
            self._json(500, {"error": {"message": "model worker crashed"}})
            return
        if request.get("voice") not in self.server.voices:
            self._json(400, {"error": {"message": f"voice {request.get('voice')!r} not found"}})
            return
        time.sleep(self.server.stall_s)
        fmt = request.get("response_format", "mp3")
        if fmt not in ("pcm", "wav"):
            self._json(400, {"error": {"message": f"format {fmt} not supported here"}})
            return
        pcm = self.server.speak(request["input"], 24000)
        data = to_int16(pcm).tobytes() if fmt == "pcm" else encode_wav(pcm, 24000)
        self.send_response(200)
        self.send_header("Content-Type", "audio/pcm" if fmt == "pcm" else "audio/wav")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = [data[i : i + 9001] for i in range(0, len(data), 9001)]  # odd sizes on purpose
        for i, piece in enumerate(pieces):
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
            if self.server.break_after_first:
                self.close_connection = True
                return
            if i == 0:
                time.sleep(self.server.pause_s)
        self.wfile.write(b"0\r\n\r\n")
