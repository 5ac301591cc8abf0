"""A real receiver for the WebRTC output: ``livehost run --pattern sync --sink webrtc`` in a
subprocess and Debian's Chromium (headless, through Playwright) on its viewer page, measuring
frames, flashes and beeps from inside the page."""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from loopback import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
TOKEN = "webrtc-test-token"
CHROMIUM = "/usr/bin/chromium"
PROBE = (Path(__file__).parent / "webrtc_probe.js").read_text()
# Chromium's own fake audio output (a real-time clock, no sound server): with PulseAudio as
# its output the audio clock ran slow and offsets scattered.
CHROMIUM_ARGS = ["--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
                 "--no-sandbox", "--disable-audio-output", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-gpu"]


def have_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return shutil.which(CHROMIUM) is not None






@dataclass
class Host:
    url: str
    process: subprocess.Popen
    log: Path

    def status(self) -> dict:
        response = httpx.get(f"{self.url}/api/webrtc", headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=5)
        response.raise_for_status()
        return response.json()

    def media_epoch(self) -> float:
        """The wall-clock time (time.time()) of media time 0, from the host's own status."""
        before = time.time()
        response = httpx.get(f"{self.url}/api/status", headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=5)
        after = time.time()
        return (before + after) / 2 - response.json()["media_time"]

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


@contextmanager
def livehost_webrtc(tmp: Path, duration: float, port: int | None = None, fps: int = 25) -> Iterator[Host]:
    """The real host with the sync pattern on a WebRTC sink; always ended on the way out."""
    port = port or free_port()
    log = tmp / f"host-{port}-{time.monotonic_ns()}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "livehost", "run", "--pattern", "sync", "--sink", "webrtc",
             "--api", f"127.0.0.1:{port}", "--no-console", "--duration", str(duration), "--fps", str(fps)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "LIVEHOST_API_TOKEN": TOKEN})
    host = Host(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for(lambda: host.healthy() or process.poll() is not None, 60, "the host's /health")
        if process.poll() is not None:
            raise AssertionError(f"livehost run exited {process.returncode}:\n{log.read_text()[-3000:]}")
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


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_viewer(browser, url: str, probe: bool = True):
    """A new page on the viewer; with ``probe``, measuring once its first frame shows."""
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function("window.livehost && window.livehost.frames > 0", timeout=20_000)
    if probe:
        page.evaluate(PROBE)
        page.wait_for_function("window.probe && window.probe.audioState === 'running'", timeout=10_000)
    return page


@dataclass(frozen=True)
class Measured:
    fps: float
    offsets_ms: list[float]  # beep minus flash, per flash: > 0 = audio late
    flashes: list[float]  # performance.now() ms
    epoch_ms: float  # the page's performance.timeOrigin (Unix ms)
    jitter_buffer_ms: dict[str, float]  # the receiver's mean jitter-buffer delay per kind

    @property
    def median_offset_ms(self) -> float:
        return statistics.median(self.offsets_ms)


def measure(page, seconds: float, flashes: int = 0, longest: float = 0.0) -> Measured:
    """At least ``seconds`` of the page's own figures; then on until ``flashes`` flashes were
    paired with their beeps (or ``longest`` seconds in all)."""
    page.evaluate("probe.frames.length = 0; probe.flashes.length = 0; probe.beeps.length = 0")
    started = time.monotonic()
    time.sleep(seconds)
    while True:
        data = page.evaluate("""async () => {
            const stats = await livehost.pc.getStats();
            const jb = {};
            stats.forEach(s => { if (s.type === 'inbound-rtp' && s.jitterBufferEmittedCount)
                jb[s.kind] = 1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount; });
            return {frames: probe.frames, flashes: probe.flashes, beeps: probe.beeps,
                    origin: performance.timeOrigin, jb};
        }""")
        offsets = pair_offsets(data["flashes"], data["beeps"])
        if len(offsets) >= flashes or time.monotonic() - started >= longest:
            break
        time.sleep(0.5)
    frames = data["frames"]
    span = (frames[-1] - frames[0]) / 1000 if len(frames) > 1 else 0.0
    fps = (len(frames) - 1) / span if span > 0 else 0.0
    return Measured(fps, offsets, data["flashes"], data["origin"], data["jb"])


def pair_offsets(flashes: list[float], beeps: list[float], window_ms: float = 800.0) -> list[float]:
    """Each flash with the nearest beep within ``window_ms`` (the pattern's period is 2 s)."""
    offsets = []
    for flash in flashes:
        near = [beep - flash for beep in beeps if abs(beep - flash) < window_ms]
        if near:
            offsets.append(min(near, key=abs))
    return offsets
