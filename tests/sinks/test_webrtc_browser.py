"""The WebRTC output in a real browser: ``livehost run --pattern sync --sink webrtc`` watched
by headless Chromium on the viewer page. Frames per second, the A/V offset of the sync pattern
(flash shown vs beep heard, both on the page's clock), several viewers, a viewer leaving, and
the page riding out a host restart."""

from __future__ import annotations

import time

import pytest
from loopback import wait_for

from livehost.bench.sinks.browser import chromium, have_browser, measure, open_viewer
from livehost.bench.sinks.host import running_host

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_browser(), reason="needs /usr/bin/chromium and playwright")]

SETTLE_S = 8.0  # Chromium's lip sync closes the gap it starts with (~100 ms) gradually
MEASURE_S = 12.0  # six flashes of the 2 s pattern (on, when one was not shown)
TOKEN = "webrtc-test-token"


def livehost_webrtc(folder, duration: float, port: int | None = None):
    return running_host(folder, ["webrtc"], duration=duration, port=port, token=TOKEN)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with livehost_webrtc(tmp_path_factory.mktemp("webrtc"), duration=120) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def viewer(host, browser):
    page = open_viewer(browser, f"{host.url}/")
    yield page
    page.close()


def test_plays_25_fps_with_audio_and_video_in_sync(host, viewer, record_property):
    time.sleep(SETTLE_S)
    measured = measure(viewer, MEASURE_S, flashes=6, longest=20)
    glass = measured.glass_to_glass_ms(host.media_epoch())
    figures = {"fps": round(measured.fps, 2), "offsets_ms": [round(o, 1) for o in measured.offsets_ms],
               "median_offset_ms": round(measured.median_offset_ms, 1),
               "glass_to_glass_ms": round(glass[len(glass) // 2], 1),
               "jitter_buffer_ms": {k: round(v, 1) for k, v in measured.jitter_buffer_ms.items()}}
    print(f"webrtc in Chromium: {figures}")
    record_property("webrtc", figures)
    assert measured.fps >= 20
    assert len(measured.offsets_ms) >= 5, f"flashes {measured.flashes}, offsets {measured.offsets_ms}"
    assert abs(measured.median_offset_ms) <= 80


def test_two_viewers_at_once_and_one_leaving(host, browser, viewer):
    second = open_viewer(browser, f"{host.url}/", probe=False)  # its own context: a second profile
    assert host.webrtc()["viewers"] == 2
    for page in (viewer, second):  # one more second of frames on each, both at once
        page.wait_for_function(f"livehost.frames > {page.evaluate('livehost.frames') + 25}", timeout=5_000)
    second.close()
    wait_for(lambda: host.webrtc()["viewers"] == 1, 8, "the closed viewer to be cleaned up")
    assert host.webrtc()["departed"] >= 1


def test_the_page_reconnects_when_the_host_restarts(host, viewer, tmp_path):
    port = int(host.url.rsplit(":", 1)[1])
    host.process.terminate()
    host.process.wait(15)
    viewer.wait_for_function("document.getElementById('state').textContent === 'reconnecting…'"
                             " && !document.getElementById('state').hidden", timeout=8_000)
    with livehost_webrtc(tmp_path, duration=30, port=port) as restarted:
        frames = viewer.evaluate("livehost.frames")
        viewer.wait_for_function(f"livehost.frames > {frames + 25}", timeout=30_000)
        assert viewer.evaluate("document.getElementById('state').hidden")
        assert restarted.webrtc()["viewers"] == 1
