"""The WebRTC sink behind the real API server, with aiortc as the viewer (no browser): WHEP and
/offer signalling, media arriving on both tracks, viewers ending, the render side never
waiting on the event loop."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from fractions import Fraction

import httpx
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from livehost.errors import LivehostError
from livehost.media.clock import MediaClock
from livehost.media.events import EventBus
from livehost.media.frames import AVTick, FaceState
from livehost.server import ServerThread, create_app
from livehost.server.webrtc import viewer_allowed
from livehost.sinks.base import StreamSpec
from livehost.sinks.specs import parse_sink
from livehost.sinks.webrtc import (
    DEFAULT_KBPS,
    MAX_PENDING,
    WebRTCConfig,
    WebRTCSink,
    parse_webrtc_spec,
)

TOKEN = "signalling-token"
SPEC = StreamSpec(64, 48, Fraction(25), 48_000)


class IdleHost:
    def post_chat(self, msg):
        return "1"

    def say(self, text):
        return "1"

    def interrupt(self, reason):
        return None

    def status(self):
        return {}


class Feeder:
    """Ticks at 25 fps on its own thread, as the render loop would offer them."""

    def __init__(self, sink: WebRTCSink) -> None:
        self.sink, self._stop = sink, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        clock = MediaClock(48_000, 25)
        image = np.full((SPEC.height, SPEC.width, 3), 128, np.uint8)
        start = time.monotonic()
        n = 0
        while not self._stop.is_set():
            audio = np.full(clock.samples_for_tick(n), 0.1, np.float32)
            self.sink.offer(AVTick(n, clock.time_of_tick(n), image, audio, 48_000, False, FaceState()))
            n += 1
            self._stop.wait(max(0.0, start + n / 25 - time.monotonic()))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@pytest.fixture
def served():
    sink = WebRTCSink(WebRTCConfig(connect_timeout_s=2.0, stale_s=3.0))
    sink.open(SPEC)
    server = ServerThread(create_app(IdleHost(), TOKEN, EventBus(), webrtc=sink), port=0)
    server.start()
    try:
        with Feeder(sink):
            yield sink, server.url
    finally:
        sink.close()
        server.stop()


async def viewer_offer(codec: str | None = None) -> tuple[RTCPeerConnection, dict]:
    """A receiving peer; ``codec`` (e.g. "video/H264") is the only video codec it offers."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tracks: dict = {}
    pc.on("track", lambda track: tracks.__setitem__(track.kind, track))
    video = pc.addTransceiver("video", direction="recvonly")
    if codec is not None:
        video.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs
                                   if c.mimeType in (codec, "video/rtx")])
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, tracks


async def join(url: str, codec: str | None = None) -> tuple[RTCPeerConnection, dict]:
    """A viewer through ``POST /offer``, its answer applied."""
    pc, tracks = await viewer_offer(codec)
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{url}/offer", json={"sdp": pc.localDescription.sdp, "type": "offer"})
    await pc.setRemoteDescription(RTCSessionDescription(r.json()["sdp"], "answer"))
    return pc, tracks


async def receive(tracks: dict, kind: str, count: int) -> list:
    return [await asyncio.wait_for(tracks[kind].recv(), 10) for _ in range(count)]


def test_whep_viewer_gets_both_tracks_paced_from_the_ticks(served):
    sink, url = served

    async def scenario():
        pc, tracks = await viewer_offer()
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{url}/whep", content=pc.localDescription.sdp,
                                  headers={"Content-Type": "application/sdp"})
            assert r.status_code == 201, r.text
            assert r.headers["content-type"].startswith("application/sdp")
            location = r.headers["location"]
            assert location.startswith("/whep/")
            await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
            video = await receive(tracks, "video", 15)
            audio = await receive(tracks, "audio", 30)
            assert (video[-1].width, video[-1].height) == (SPEC.width, SPEC.height)
            steps = {(b.pts - a.pts) % 2**32 for a, b in itertools.pairwise(video[5:])}
            assert steps <= {3600, 7200}  # 90 kHz at 25 fps (a dropped frame doubles it)
            assert {(b.pts - a.pts) % 2**32 for a, b in itertools.pairwise(audio[5:])} == {960}
            assert sink.status()["viewers"] == 1
            assert (await client.patch(f"{url}{location}")).status_code == 405
            assert (await client.delete(f"{url}{location}")).status_code == 200
            assert (await client.delete(f"{url}{location}")).status_code == 404
        await pc.close()
        status = sink.status()
        assert (status["viewers"], status["departed"]) == (0, 1)
        assert status["video_sent"] >= 15 and status["audio_sent"] >= 30

    asyncio.run(scenario())


def test_offer_route_answers_json_and_refuses_bad_offers(served):
    sink, url = served

    async def scenario():
        pc, tracks = await viewer_offer()
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{url}/offer", json={"sdp": pc.localDescription.sdp, "type": "offer"})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["type"] == "answer" and "a=candidate" in body["sdp"] and "127.0.0.1" in body["sdp"]
            await pc.setRemoteDescription(RTCSessionDescription(body["sdp"], body["type"]))
            await receive(tracks, "video", 3)
            bad = await client.post(f"{url}/offer", json={"sdp": "v=0\r\n", "type": "offer"})
            assert bad.status_code == 400 and "sdp" in bad.json()["error"]
            assert (await client.post(f"{url}/offer", json={"type": "offer"})).status_code == 400
            wrong = await client.post(f"{url}/whep", content="x", headers={"Content-Type": "text/plain"})
            assert wrong.status_code == 415
            assert (await client.get(f"{url}/api/webrtc")).status_code == 401
            authed = await client.get(f"{url}/api/webrtc", headers={"Authorization": f"Bearer {TOKEN}"})
            assert authed.json()["viewers"] == 1
        await pc.close()  # the viewer hangs up: its DTLS goodbye ends it on the server
        deadline = time.monotonic() + 5
        while sink.status()["viewers"] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert sink.status()["viewers"] == 0

    asyncio.run(scenario())


def test_a_viewer_that_never_connects_is_dropped(served):
    sink, url = served

    async def scenario():
        pc, _ = await viewer_offer()
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{url}/offer", json={"sdp": pc.localDescription.sdp, "type": "offer"})
            assert r.status_code == 200
        assert sink.status()["viewers"] == 1  # the answer is never applied: no ICE, no DTLS
        deadline = time.monotonic() + 6
        while sink.status()["viewers"] and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert sink.status()["viewers"] == 0
        await pc.close()

    asyncio.run(scenario())


def test_viewer_page_is_served_with_its_config(served):
    _, url = served
    page = httpx.get(f"{url}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "LIVEHOST_CONFIG" not in page.text and 'const CONFIG = {"iceServers": []}' in page.text


def test_the_render_side_never_waits_for_a_stuck_loop():
    sink = WebRTCSink()
    sink.open(SPEC)
    stuck = asyncio.new_event_loop()  # never run: nothing scheduled on it ever executes
    try:
        sink.attach(stuck)
        sink._viewers["someone"] = object()  # a viewer is watching, so ticks are handed over
        clock = MediaClock(48_000, 25)
        image = np.zeros((SPEC.height, SPEC.width, 3), np.uint8)
        started = time.monotonic()
        for n in range(50):
            sink.offer(AVTick(n, clock.time_of_tick(n), image, np.zeros(1920, np.float32), 48_000, False, FaceState()))
        assert time.monotonic() - started < 1.0
        assert (sink.stats.written, sink.stats.dropped) == (50, 50 - MAX_PENDING)
    finally:
        sink._viewers.clear()
        for task in asyncio.all_tasks(stuck):
            task.cancel()
        stuck.run_until_complete(asyncio.sleep(0))  # lets the cancelled watchdog end
        stuck.close()


def test_specs_and_ice_settings(monkeypatch):
    assert isinstance(parse_sink("webrtc"), WebRTCSink)
    monkeypatch.setenv("LIVEHOST_WEBRTC_ICE", "stun:stun.example.org:3478")
    assert parse_webrtc_spec("webrtc").ice_servers == ("stun:stun.example.org:3478",)
    config = parse_webrtc_spec("webrtc?ice=stun:a:1,turn:b:2&hosts=all")
    assert (config.ice_servers, config.host_addresses) == (("stun:a:1", "turn:b:2"), None)
    monkeypatch.setenv("LIVEHOST_TURN_USERNAME", "u")
    monkeypatch.setenv("LIVEHOST_TURN_CREDENTIAL", "p")
    servers = config.rtc_configuration().iceServers
    assert [(s.urls, s.username, s.credential) for s in servers] == [("stun:a:1", None, None), ("turn:b:2", "u", "p")]
    with pytest.raises(LivehostError, match="stun: or turn:"):
        parse_webrtc_spec("webrtc?ice=http://x")
    with pytest.raises(LivehostError, match="unknown option 'bogus'"):
        parse_webrtc_spec("webrtc?bogus=1")
    assert parse_webrtc_spec("webrtc").video_bitrate == DEFAULT_KBPS * 1000
    assert parse_webrtc_spec("webrtc?kbps=600").video_bitrate == 600_000
    for bad in ("fast", "50", "1e3"):
        with pytest.raises(LivehostError, match=f"kbps='{bad}'"):
            parse_webrtc_spec(f"webrtc?kbps={bad}")
    assert WebRTCConfig().audio_lead_s <= WebRTCConfig().send_lead_s  # the voice never leaves before its time
    with pytest.raises(ValueError, match="audio_lead_s"):
        WebRTCConfig(send_lead_s=0.01, audio_lead_s=0.02)


def test_viewers_share_one_encode_per_codec(served):
    """Three viewers, two of them on VP8 and one that only takes H264: every one decodes every
    track, and each picture is encoded once per codec, not once per viewer."""
    sink, url = served

    async def scenario():
        viewers = [await join(url), await join(url), await join(url, "video/H264")]
        received = await asyncio.gather(*(receive(tracks, kind, 20) for _, tracks in viewers
                                          for kind in ("video", "audio")))
        assert all(len(frames) == 20 for frames in received)
        assert {f.width for frames in received[::2] for f in frames} == {SPEC.width}
        status = sink.status()
        assert status["viewers"] == 3
        encoders = status["encoders"]
        assert set(encoders) == {"video/VP8", "video/H264"}
        assert encoders["video/VP8"]["encoded"] <= status["ticks"]
        sent_vp8 = sum(p["video_sent"] for p in status["peers"][:2])
        assert sent_vp8 > 1.5 * encoders["video/VP8"]["encoded"] - 10  # one encode, both sent it
        for pc, _ in viewers:
            await pc.close()

    asyncio.run(scenario())


def test_a_viewers_keyframe_request_reaches_the_shared_encoder(served):
    sink, url = served

    async def scenario():
        pc, tracks = await join(url)
        await receive(tracks, "video", 5)
        before = sink.status()["encoders"]["video/VP8"]["keyframes"]
        (served_pc,) = [v.pc for v in sink._viewers.values()]
        sender_ssrc = next(s._ssrc for s in served_pc.getSenders() if s.kind == "video")
        receiver = next(t.receiver for t in pc.getTransceivers() if t.kind == "video")
        await receiver._send_rtcp_pli(sender_ssrc)  # what a browser sends after a loss
        await asyncio.sleep(0.5)
        await pc.close()
        return before

    before = asyncio.run(scenario())
    assert sink.status()["encoders"]["video/VP8"]["keyframes"] > before


def test_a_viewer_that_dies_without_a_goodbye_is_dropped(served):
    """A frozen viewer (its event loop stopped, as a killed tab's would) sends no more
    receiver reports; the watchdog ends it within seconds."""
    sink, url = served
    frozen = asyncio.new_event_loop()

    async def joined():
        pc, tracks = await join(url)
        await receive(tracks, "video", 5)
        return pc

    try:
        pc = frozen.run_until_complete(joined())
        assert sink.status()["viewers"] == 1
        deadline = time.monotonic() + 10
        while sink.status()["viewers"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sink.status()["viewers"] == 0
        frozen.run_until_complete(pc.close())
    finally:
        frozen.close()


@pytest.mark.parametrize(("remote", "query", "header", "allowed"), [
    ("127.0.0.1", "", "", True),
    ("::1", "", "", True),
    ("192.168.1.20", "", "", False),
    ("192.168.1.20", TOKEN, "", True),
    ("192.168.1.20", "", f"Bearer {TOKEN}", True),
    ("192.168.1.20", "guess", "", False),
    ("192.168.1.20", TOKEN, "Bearer guess", False),
    (None, "", "", False),
])
def test_viewers_from_other_machines_need_the_token(remote, query, header, allowed):
    assert viewer_allowed(remote, query, header, TOKEN.encode()) is allowed
