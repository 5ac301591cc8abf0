"""The real ``livehost run`` in a subprocess, for end-to-end tests: a free port, the API over
HTTP, the live event stream collected, the recording and the trace read back — and the process
always ended, however a test fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import av
import httpx
import numpy as np
from loopback import free_port, wait_for
from media_probe import read_trace

REPO = Path(__file__).resolve().parents[2]
TOKEN = "e2e-test-token"






class EventStream:
    """``GET /api/events`` read on its own thread until the server ends the stream."""

    def __init__(self, url: str, token: str = TOKEN) -> None:
        self.events: list[dict] = []
        self.comments: list[str] = []
        self._changed = threading.Condition()
        self._client = httpx.Client(headers={"Authorization": f"Bearer {token}"},
                                    timeout=httpx.Timeout(10.0, read=None))
        self._response = self._client.send(self._client.build_request("GET", f"{url}/api/events"),
                                           stream=True)
        self._response.raise_for_status()
        self._thread = threading.Thread(target=self._read, name="sse", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._response.iter_lines():
                with self._changed:
                    if line.startswith("data: "):
                        self.events.append(json.loads(line[6:]))
                    elif line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    self._changed.notify_all()
        except (httpx.HTTPError, httpx.StreamError):
            pass  # the host went away, or the test closed the stream: what was read stays

    def wait(self, predicate: Callable[[dict], bool], timeout: float, what: str) -> dict:
        """The first event (already read or still to come) that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} event within {timeout:.0f} s")
                self._changed.wait(left)

    def answer(self, to: str, timeout: float = 30.0) -> dict:
        return self.wait(lambda e: e["event"] == "answer" and e["to"] == to, timeout, f"answer to {to}")

    def close(self) -> None:
        self._response.close()
        self._client.close()
        self._thread.join(timeout=5)


class HostProcess:
    """``livehost run`` recording to ``workdir/live.mp4`` and tracing to ``workdir/live.jsonl``,
    its API on a free port of 127.0.0.1."""

    def __init__(self, workdir: Path, *args: str, token: str = TOKEN) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.video, self.trace_path = workdir / "live.mp4", workdir / "live.jsonl"
        self.log_path = workdir / "host.log"
        self.command = [sys.executable, "-m", "livehost", "run", "--no-console",
                        "--api", f"127.0.0.1:{self.port}", "--sink", f"record:{self.video}",
                        "--trace", str(self.trace_path), *args]
        self.env = {**os.environ, "LIVEHOST_API_TOKEN": token}
        self.client = httpx.Client(base_url=self.url, timeout=10.0,
                                   headers={"Authorization": f"Bearer {token}"})
        self.process: subprocess.Popen | None = None
        self.returncode: int | None = None

    # -- the process ----------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Returns once the host is ticking (the API answers before the models are loaded)."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        wait_for(self._ticking, timeout, f"the host to start ticking (log: {self.log_path})", 0.2)

    def _ticking(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the host exited with {self.process.returncode}:\n{self.log()}")
        try:
            return self.status()["ticks"] > 0
        except httpx.HTTPError:
            return False

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        self.returncode = self.process.wait(timeout)
        return self.returncode

    def close(self) -> None:
        """Kills whatever of the host (and its children) still runs."""
        self.client.close()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the API --------------------------------------------------------------------------
    def status(self) -> dict:
        response = self.client.get("/api/status")
        response.raise_for_status()
        return response.json()

    def chat(self, user: str, text: str = "", **fields) -> str:
        response = self.client.post("/api/chat", json={"user": user, "text": text, **fields})
        assert response.status_code == 202, response.text
        return response.json()["id"]

    def say(self, text: str) -> str:
        response = self.client.post("/api/say", json={"text": text})
        assert response.status_code == 202, response.text
        return response.json()["id"]

    def interrupt(self) -> None:
        response = self.client.post("/api/interrupt")
        assert response.status_code == 202, response.text

    def events(self) -> EventStream:
        return EventStream(self.url)

    def trace(self) -> Trace:
        return Trace(*read_trace(self.trace_path))


@dataclass
class Trace:
    ticks: list[dict]
    events: list[dict]

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    def answers(self) -> dict[str, dict]:
        return {e["to"]: e for e in self.of("answer")}

    def sentences(self, to: str) -> list[dict]:
        return [e for e in self.of("sentence") if e.get("to") == to]


@dataclass
class Recording:
    """What a recording decodes to: every video frame's pts (the pictures themselves are
    decoded, then dropped) and the mono audio."""

    video_pts: list[int]
    time_base: float
    fps: float
    audio: np.ndarray
    sample_rate: int

    @property
    def video_seconds(self) -> float:
        return len(self.video_pts) / self.fps

    @property
    def audio_seconds(self) -> float:
        return len(self.audio) / self.sample_rate

    def audio_between(self, t0: float, t1: float) -> np.ndarray:
        return self.audio[max(0, round(t0 * self.sample_rate)):round(t1 * self.sample_rate)]


def decode_recording(path: Path) -> Recording:
    """Decodes every frame to the end (a damaged file raises)."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        pts, pcm = [], []
        for frame in container.decode(video, audio):
            if isinstance(frame, av.VideoFrame):
                pts.append(frame.pts)
            else:
                pcm.append(frame.to_ndarray()[0])  # the first (only) channel
        return Recording(pts, float(video.time_base), float(video.average_rate),
                         np.concatenate(pcm), audio.sample_rate)
