"""The WebRTC output: every viewer (the viewer page, OBS Browser Source, a WHEP client) gets
its own peer connection with one audio and one video track, fed from the channel's ticks.

Lip sync over WebRTC follows the time media is *sent*, not its timestamps, so both tracks are
released on the one clock — each piece at its place on the channel's clock plus a fixed lead
(``SendSchedule``) — through shallow queues (at most ~100 ms); a viewer that falls behind
loses its oldest frames (counted) instead of drifting. A tick's picture and voice are encoded
once per codec for all viewers (``webrtc_encode``). The render thread only converts the tick
(a cast and slices) and schedules it on the server's event loop, where the peer connections
live; it never waits for that loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import aioice.ice
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.clock import current_datetime
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription
from pydantic import BaseModel, ConfigDict, Field, model_validator

from livehost.errors import LivehostError
from livehost.media.frames import AVTick

from .base import SinkStats, StreamSpec
from .webrtc_encode import AudioEncoder, VideoEncoder
from .webrtc_media import VIDEO_CLOCK, AudioChunk, SendSchedule, TickConverter, TickMedia

log = logging.getLogger(__name__)

VIDEO_DEPTH = 2  # frames: 80 ms at 25 fps
AUDIO_DEPTH = 5  # 20 ms chunks: 100 ms
MAX_PENDING = 3  # ticks scheduled on the event loop but not yet handed to the viewers
DEFAULT_KBPS = 800  # the shared video encode: a talking head at 512x512 looks clean
ICE_ENV = "LIVEHOST_WEBRTC_ICE"
TURN_USER_ENV, TURN_CREDENTIAL_ENV = "LIVEHOST_TURN_USERNAME", "LIVEHOST_TURN_CREDENTIAL"


class WebRTCConfig(BaseModel):
    """``ice_servers``: STUN/TURN URLs for real networks (TURN credentials come from the
    environment, never from a spec). ``host_addresses``: the local addresses offered as ICE
    candidates; loopback only by default, ``None`` offers every interface. ``video_bitrate``:
    bits per second of the one video encode every viewer shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ice_servers: tuple[str, ...] = ()
    host_addresses: tuple[str, ...] | None = ("127.0.0.1",)
    max_viewers: int = Field(8, ge=1)
    connect_timeout_s: float = Field(15.0, gt=0)
    stale_s: float = Field(8.0, gt=0)  # no receiver report this long: the viewer is gone
    video_bitrate: int = Field(DEFAULT_KBPS * 1000, ge=100_000, le=20_000_000)
    send_lead_s: float = Field(0.03, ge=0, le=0.5)  # every piece leaves this long after its time
    # ...and the voice this much sooner: Chromium held audio ~37 ms longer than video in its
    # jitter buffers and leaves a difference under 30 ms to its lip sync (measured at the
    # receiver over 10 min: audio 40 ms late without it, 25 ms late with it)
    audio_lead_s: float = Field(0.02, ge=0, le=0.5)

    @model_validator(mode="after")
    def _audio_within_the_lead(self) -> WebRTCConfig:
        if self.audio_lead_s > self.send_lead_s:
            raise ValueError(f"audio_lead_s ({self.audio_lead_s}) cannot exceed send_lead_s ({self.send_lead_s})")
        return self

    def rtc_configuration(self) -> RTCConfiguration:
        user, credential = os.environ.get(TURN_USER_ENV), os.environ.get(TURN_CREDENTIAL_ENV)
        servers = [RTCIceServer(urls=url, username=user, credential=credential)
                   if url.startswith("turn") else RTCIceServer(urls=url) for url in self.ice_servers]
        return RTCConfiguration(iceServers=servers)


def parse_webrtc_spec(spec: str) -> WebRTCConfig:
    """``webrtc`` or ``webrtc?ice=stun:HOST:PORT,turn:HOST:PORT&hosts=all|ADDR,ADDR&kbps=N``;
    ``LIVEHOST_WEBRTC_ICE`` gives the ICE servers when the spec does not."""
    _, _, query = spec.partition("?")
    params = parse_qs(query, keep_blank_values=True)
    unknown = set(params) - {"ice", "hosts", "kbps"}
    if unknown:
        raise LivehostError(f"sink {spec!r}: unknown option {min(unknown)!r} (use ice=, hosts=, kbps=)")
    ice = params.get("ice", [os.environ.get(ICE_ENV, "")])[-1]
    servers = tuple(url.strip() for url in ice.split(",") if url.strip())
    for url in servers:
        if not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
            raise LivehostError(f"sink {spec!r}: ICE server {url!r} must be a stun: or turn: URL")
    hosts = params.get("hosts", ["127.0.0.1"])[-1]
    addresses = None if hosts == "all" else tuple(h.strip() for h in hosts.split(",") if h.strip())
    kbps = params.get("kbps", [str(DEFAULT_KBPS)])[-1]
    if not kbps.isdigit() or not 100 <= int(kbps) <= 20_000:
        raise LivehostError(f"sink {spec!r}: kbps={kbps!r} must be a whole number from 100 to 20000")
    return WebRTCConfig(ice_servers=servers, host_addresses=addresses, video_bitrate=int(kbps) * 1000)


def _offer_only(addresses: Sequence[str] | None) -> None:
    """aioice skips loopback when it lists host addresses; on loopback that is all there is.
    The lookup is aioice's module-level function, so this holds for the whole process."""
    if addresses is not None:
        chosen = list(addresses)
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(chosen)


class ViewerLimit(LivehostError):
    """Every viewer slot is taken."""


class FeedTrack(MediaStreamTrack):
    """A track fed from outside: ``push`` keeps only the newest ``depth`` frames (or encoded
    packets, which the sender sends as they are)."""

    def __init__(self, kind: str, depth: int) -> None:
        super().__init__()
        self.kind = kind
        self.sent = self.dropped = 0
        self._queue: asyncio.Queue = asyncio.Queue(depth)

    def push(self, frame) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(frame)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        self.sent += 1
        return frame


@dataclass(slots=True)
class Viewer:
    id: str
    pc: RTCPeerConnection
    video: FeedTrack = field(default_factory=lambda: FeedTrack("video", VIDEO_DEPTH))
    audio: FeedTrack = field(default_factory=lambda: FeedTrack("audio", AUDIO_DEPTH))
    created: float = field(default_factory=time.monotonic)
    connected: float | None = None
    codec: str = ""  # the video codec its answer chose, e.g. "video/VP8"

    def counters(self) -> dict:
        return {"id": self.id, "state": self.pc.connectionState,
                "video_sent": self.video.sent, "video_dropped": self.video.dropped,
                "audio_sent": self.audio.sent, "audio_dropped": self.audio.dropped}


_TOTALS = ("video_sent", "video_dropped", "audio_sent", "audio_dropped")


class WebRTCSink:
    """A Sink. ``attach(loop)`` (the API server does it at start-up) gives it the event loop
    its peer connections run on; ``connect``/``disconnect`` are called on that loop."""

    name = "webrtc"

    def __init__(self, config: WebRTCConfig | None = None) -> None:
        self.config = config or WebRTCConfig()
        self.stats = SinkStats()
        self._spec: StreamSpec | None = None
        self._converter: TickConverter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._viewers: dict[str, Viewer] = {}
        self._pending = 0
        self._pending_lock = threading.Lock()  # the render thread and the loop both count
        self._departed = dict.fromkeys(_TOTALS, 0)
        self._closed_viewers = 0
        self._encoders: dict[str, VideoEncoder] = {}
        self._voice: AudioEncoder | None = None
        self._schedule = SendSchedule(self.config.send_lead_s)
        self._watchdog: asyncio.Task | None = None
        _offer_only(self.config.host_addresses)

    # -- the Sink side (the render thread) -------------------------------------------------
    def open(self, spec: StreamSpec) -> None:
        self._spec = spec
        self._converter = TickConverter(spec.fps, spec.sample_rate)
        self._voice = AudioEncoder(spec.sample_rate)

    def offer(self, tick: AVTick) -> None:
        assert self._converter is not None, "open() first"
        media = self._converter.convert(tick)  # always: the audio chunking must see every tick
        self.stats.written += 1
        loop = self._loop
        if loop is None or not self._viewers:
            return
        with self._pending_lock:
            if self._pending >= MAX_PENDING:  # the loop is behind: this tick is not sent
                self.stats.dropped += 1
                return
            self._pending += 1
        try:
            loop.call_soon_threadsafe(self._dispatch, media)
        except RuntimeError:  # the loop has closed
            with self._pending_lock:
                self._pending -= 1
            self.stats.dropped += 1

    def close(self, discard: bool = False) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self.close_viewers(), loop).result(timeout=5)
            except Exception as exc:  # noqa: BLE001 (a loop stopping under us: the peers die with it)
                log.warning("webrtc: viewers not closed cleanly: %s", exc)
        for encoder in list(self._encoders.values()):
            encoder.close()

    # -- the event loop's side -------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._watchdog = loop.create_task(self._watch())

    def _dispatch(self, media: TickMedia) -> None:
        with self._pending_lock:
            self._pending -= 1
        if not self._viewers:
            return
        viewers = [v for v in self._viewers.values() if v.connected is not None]  # others pull nothing yet
        self._schedule.arrived(media.video_pts / VIDEO_CLOCK, self._loop.time())
        due = self._schedule.due(media.video_pts / VIDEO_CLOCK)
        for codec in {v.codec for v in viewers}:
            self._encode(codec, media, due, [v for v in viewers if v.codec == codec])
        # A tick's chunks leave 20 ms apart, as they play: a burst per tick would read as
        # jitter to the receiver, which then buffers (delays) all of the audio to absorb it.
        assert self._spec is not None
        for chunk in media.chunks:
            self._loop.call_at(self._schedule.due(chunk.pts / self._spec.sample_rate) - self.config.audio_lead_s,
                               self._push_audio, viewers, chunk)

    def _encoder(self, codec: str) -> VideoEncoder:
        if codec not in self._encoders:
            assert self._spec is not None
            self._encoders[codec] = VideoEncoder(codec, self._spec.fps, self.config.video_bitrate)
        return self._encoders[codec]

    def _encode(self, codec: str, media: TickMedia, due: float, viewers: list[Viewer]) -> None:
        """The frame goes to the codec's encoder thread; its packets to these viewers, on the
        loop at ``due`` (at once if the encode took longer)."""
        done = self._encoder(codec).submit(media.image, media.video_pts)
        if done is None:  # the encoder is behind: this frame is not sent to anyone
            for viewer in viewers:
                viewer.video.dropped += 1
            return
        loop = self._loop
        assert loop is not None

        def deliver(packets: list) -> None:
            for packet in packets:
                for viewer in viewers:
                    viewer.video.push(packet)

        def landed(future) -> None:
            if future.cancelled():
                return
            if future.exception() is not None:
                log.warning("webrtc: %s encode failed: %s", codec, future.exception())
                return
            try:
                loop.call_soon_threadsafe(loop.call_at, due, deliver, future.result())
            except RuntimeError:  # the loop has closed
                pass

        done.add_done_callback(landed)

    def _keyframe_for(self, viewer: Viewer) -> None:
        if viewer.codec:
            self._encoder(viewer.codec).request_keyframe()

    def _push_audio(self, viewers: list[Viewer], chunk: AudioChunk) -> None:
        assert self._voice is not None
        for packet in self._voice.encode(chunk):
            for viewer in viewers:
                viewer.audio.push(packet)

    async def connect(self, sdp: str, kind: str = "offer") -> tuple[str, RTCSessionDescription]:
        """A new viewer from its offer; returns its id and the answer (all candidates in it)."""
        if kind != "offer":
            raise LivehostError(f"type: must be 'offer', not {kind!r}")
        if "m=video" not in sdp or "m=audio" not in sdp:
            raise LivehostError("sdp: the offer must receive both audio and video")
        if len(self._viewers) >= self.config.max_viewers:
            raise ViewerLimit(f"{self.config.max_viewers} viewers already watching")
        pc = RTCPeerConnection(self.config.rtc_configuration())
        viewer = Viewer(secrets.token_urlsafe(9), pc)

        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState == "connected" and viewer.connected is None:
                viewer.connected = time.monotonic()
                self._keyframe_for(viewer)  # its first picture must be a whole one
            elif pc.connectionState in ("failed", "closed"):
                await self.disconnect(viewer.id, pc.connectionState)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            pc.addTrack(viewer.audio)
            video = pc.addTrack(viewer.video)
            await pc.setLocalDescription(await pc.createAnswer())
            viewer.codec = _video_codec(pc.localDescription.sdp)
            self._encoder(viewer.codec)  # refuses a codec there is no shared encoder for
        except Exception as exc:  # noqa: BLE001 (aiortc's SDP parsing fails in many ways)
            await pc.close()
            raise LivehostError(f"sdp: not an offer this server can answer ({exc})") from None
        # The sender sends packets as they come, so a viewer's request for a keyframe (a PLI or
        # FIR after a loss) must reach the shared encoder instead.
        video._send_keyframe = lambda: self._keyframe_for(viewer)
        self._viewers[viewer.id] = viewer
        log.info("webrtc: viewer %s joined (%d watching)", viewer.id, len(self._viewers))
        return viewer.id, pc.localDescription

    async def disconnect(self, viewer_id: str, reason: str = "closed") -> bool:
        viewer = self._viewers.pop(viewer_id, None)
        if viewer is None:
            return False
        for key, value in viewer.counters().items():
            if key in self._departed:
                self._departed[key] += value
        self._closed_viewers += 1
        viewer.video.stop()
        viewer.audio.stop()
        await viewer.pc.close()
        log.info("webrtc: viewer %s left (%s; %d watching)", viewer_id, reason, len(self._viewers))
        return True

    async def close_viewers(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for viewer_id in list(self._viewers):
            await self.disconnect(viewer_id, "shutdown")

    def status(self) -> dict:
        viewers = [v.counters() for v in list(self._viewers.values())]  # from the API's threads
        totals = {key: self._departed[key] + sum(v[key] for v in viewers) for key in _TOTALS}
        encoders = {codec: {"encoded": e.encoded, "skipped": e.skipped, "keyframes": e.keyframes}
                    for codec, e in list(self._encoders.items())}
        return {"viewers": len(viewers), "ticks": self.stats.written, "send_restarts": self._schedule.restarts,
                "ticks_dropped": self.stats.dropped, "departed": self._closed_viewers,
                **totals, "encoders": encoders, "peers": viewers}

    async def _watch(self, every_s: float = 1.0) -> None:
        """Ends viewers that never connected, and those whose browser stopped sending
        receiver reports (a tab killed without a goodbye)."""
        while True:
            await asyncio.sleep(every_s)
            now = time.monotonic()
            for viewer in list(self._viewers.values()):
                if viewer.connected is None:
                    if now - viewer.created > self.config.connect_timeout_s:
                        await self.disconnect(viewer.id, "never connected")
                elif now - viewer.connected > self.config.stale_s:
                    age = await _report_age(viewer.pc)
                    if age is None or age > self.config.stale_s:
                        await self.disconnect(viewer.id, "no receiver reports")


def _video_codec(answer: str) -> str:
    """The video codec an answer settled on: its first one."""
    for media in SessionDescription.parse(answer).media:
        if media.kind == "video" and media.rtp.codecs:
            return media.rtp.codecs[0].mimeType
    raise LivehostError("the answer sends no video codec")


async def _report_age(pc: RTCPeerConnection) -> float | None:
    """Seconds since the viewer's last RTCP receiver report; None when it sent none."""
    stats = await pc.getStats()
    times = [s.timestamp for s in stats.values() if s.type == "remote-inbound-rtp"]
    if not times:
        return None
    return (current_datetime() - max(times)).total_seconds()
