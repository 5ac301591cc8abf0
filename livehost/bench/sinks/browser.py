"""A real receiver for the WebRTC output: Debian's Chromium (headless, through Playwright) on
the viewer page, measuring frames, flashes and beeps from inside the page (probe.js), all on
the page's one clock."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files

from .sync import pair_offsets

CHROMIUM = "/usr/bin/chromium"
PROBE = files(__package__).joinpath("probe.js").read_text(encoding="utf-8")
PAIR_WINDOW_MS = 800.0
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
    offsets_ms: list[float]  # beep minus flash, per paired flash: > 0 = audio late
    paired_flashes: list[float]  # performance.now() ms of the flashes in offsets_ms
    flashes: list[float]  # performance.now() ms of every flash shown
    epoch_ms: float  # the page's performance.timeOrigin (Unix ms)
    jitter_buffer_ms: dict[str, float]  # the receiver's mean jitter-buffer delay per kind
    # the same beeps as the audio track hands them on for playing (before Web Audio's buffer),
    # and the delay the audio output then reports (media-playout stats; None without them)
    track_pairs: tuple[tuple[float, float], ...] = ()
    output_delay_ms: float | None = None

    @property
    def median_offset_ms(self) -> float:
        return statistics.median(self.offsets_ms)

    def pairs_s(self, at_track: bool = False) -> list[tuple[float, float]]:
        """(flash time, offset) in seconds, for ``offset_figures``; ``at_track``: the beeps as
        the audio track delivered them."""
        pairs = self.track_pairs if at_track else zip(self.paired_flashes, self.offsets_ms)
        return [(f / 1000, o / 1000) for f, o in pairs]

    def glass_to_glass_ms(self, media_epoch: float, period_s: float = 2.0) -> list[float]:
        """For each flash shown, how long after its media time it was on screen (the flash
        of media time k * period, shown at this wall-clock time), sorted."""
        return sorted(1000 * (((self.epoch_ms + f) / 1000 - media_epoch) % period_s) for f in self.flashes)


def reset(page) -> None:
    """Start measuring afresh (what the page saw before is dropped)."""
    page.evaluate("for (const k of ['frames', 'flashes', 'beeps', 'trackBeeps']) probe[k].length = 0")


def collect(page) -> Measured:
    """What the page measured since ``reset``."""
    data = page.evaluate("""async () => {
        const stats = await livehost.pc.getStats();
        const jb = {};
        let output = null;
        stats.forEach(s => { if (s.type === 'inbound-rtp' && s.jitterBufferEmittedCount)
            jb[s.kind] = 1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount;
            if (s.type === 'media-playout' && s.totalSamplesCount)
                output = 1000 * s.totalPlayoutDelay / s.totalSamplesCount; });
        return {frames: probe.frames, flashes: probe.flashes, beeps: probe.beeps,
                trackBeeps: probe.trackBeeps, origin: performance.timeOrigin, jb, output};
    }""")
    pairs = pair_offsets(data["flashes"], data["beeps"], PAIR_WINDOW_MS)
    frames = data["frames"]
    span = (frames[-1] - frames[0]) / 1000 if len(frames) > 1 else 0.0
    fps = (len(frames) - 1) / span if span > 0 else 0.0
    at_track = tuple(pair_offsets(data["flashes"], data["trackBeeps"], PAIR_WINDOW_MS))
    return Measured(fps, [o for _, o in pairs], [f for f, _ in pairs], data["flashes"], data["origin"],
                    data["jb"], at_track, data["output"])


def measure(page, seconds: float, flashes: int = 0, longest: float = 0.0) -> Measured:
    """At least ``seconds`` of the page's own figures; then on until ``flashes`` flashes were
    paired with their beeps (or ``longest`` seconds in all)."""
    reset(page)
    started = time.monotonic()
    time.sleep(seconds)
    while True:
        measured = collect(page)
        if len(measured.offsets_ms) >= flashes or time.monotonic() - started >= longest:
            return measured
        time.sleep(0.5)


def frame_count(page) -> tuple[int, float, int]:
    """(frames the viewer page has shown, its performance.now() in ms, video frames its
    WebRTC stack decoded): two of them give its frame rates, shown and decoded, without the
    probe. Shown below decoded: the browser, not the stream, fell behind."""
    return tuple(page.evaluate("""async () => {
        let decoded = 0;
        (await livehost.pc.getStats()).forEach(r => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') decoded = r.framesDecoded; });
        return [livehost.frames, performance.now(), decoded];
    }"""))


def frame_rate(before: tuple[int, float, int], after: tuple[int, float, int], decoded: bool = False) -> float:
    count = 2 if decoded else 0
    return 1000 * (after[count] - before[count]) / (after[1] - before[1]) if after[1] > before[1] else 0.0
