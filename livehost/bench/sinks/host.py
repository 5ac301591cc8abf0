"""``livehost run --pattern sync`` in a subprocess, on outputs given as ``--sink`` specs: its
API over HTTP, its CPU time (its own and its encoders'), and always ended on the way out.

The host runs without a language model (an unreachable one, so start-up takes seconds, not
a model load): nothing asks it anything.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from livehost.bench.loopback import free_port, wait_for

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Sample:
    """The host's CPU seconds and its media clock at one moment."""

    cpu_s: float
    media_s: float
    ticks: int
    late_ticks: int
    machine_busy_s: float  # every core's, the receivers on this machine included


def usage(before: Sample, after: Sample) -> dict:
    media = after.media_s - before.media_s
    cpu = after.cpu_s - before.cpu_s
    busy = after.machine_busy_s - before.machine_busy_s
    return {"cpu_s_per_media_s": round(cpu / media, 3) if media > 0 else None, "media_s": round(media, 1),
            "late_ticks": after.late_ticks - before.late_ticks, "ticks": after.ticks - before.ticks,
            "machine_busy_cores": round(busy / media, 2) if media > 0 else None}


@dataclass
class Host:
    url: str
    process: subprocess.Popen
    log: Path
    token: str

    def _get(self, path: str) -> dict:
        response = httpx.get(f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=5)
        response.raise_for_status()
        return response.json()

    def status(self) -> dict:
        return self._get("/api/status")

    def webrtc(self) -> dict:
        """The WebRTC output's counters: viewers, departed, ..."""
        return self._get("/api/webrtc")

    def media_epoch(self) -> float:
        """The wall-clock time (time.time()) of media time 0, from the host's own status."""
        before = time.time()
        media_time = self.status()["media_time"]
        after = time.time()
        return (before + after) / 2 - media_time

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def settled(self) -> bool:
        """Ready, with its speech cache warm (warming it is start-up work, not the outputs')."""
        status = self.status()
        return status["ready"] and not status["voice"]["warming"]

    def sample(self) -> Sample:
        cpu = tree_cpu_s(self.process.pid)
        status = self.status()
        return Sample(cpu, status["media_time"], status["ticks"], status["late_ticks"], machine_busy_s())


def machine_busy_s() -> float:
    """CPU seconds every core of this machine has spent on anything but idling."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK  # less idle and iowait


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` and every process below it, those already ended included."""
    total = 0.0
    for proc in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{proc}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:  # ended meanwhile: its parent's cutime has it
            continue
        total += sum(int(v) for v in fields[11:15]) / _TICK  # utime stime cutime cstime
    return total


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    children = [int(c) for c in f.read().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


@contextmanager
def running_host(folder: Path, sinks: Sequence[str], size: str | None = None, fps: int = 25,
                 duration: float = 3600.0, port: int | None = None, token: str | None = None,
                 pattern: bool = True) -> Iterator[Host]:
    """The real host on ``sinks``, showing the sync pattern (or, without ``pattern``, the
    persona's face); ended (SIGINT, then killed) on the way out."""
    port = port or free_port()
    token = token or secrets.token_hex(16)
    log = folder / f"host-{port}-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "livehost", "run", *(["--pattern", "sync"] if pattern else []),
               "--no-console", "--api", f"127.0.0.1:{port}", "--duration", str(duration), "--fps", str(fps),
               "--llm", f"openai:http://127.0.0.1:{free_port()}/v1"]
    for spec in sinks:
        command += ["--sink", spec]
    if size:
        command += ["--size", size]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env={**os.environ, "LIVEHOST_API_TOKEN": token})
    host = Host(f"http://127.0.0.1:{port}", process, log, token)
    try:
        wait_for(lambda: host.healthy() or process.poll() is not None, 60, "the host's /health")
        if process.poll() is not None:
            raise RuntimeError(f"livehost run exited {process.returncode}:\n{log.read_text()[-3000:]}")
        yield host
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
