"""One encode per codec, shared by every viewer watching in that codec.

aiortc encodes each viewer's frames on its own, so four viewers cost four encodes of the same
picture and four of the same voice. Here a tick's frame is encoded once, on the encoder's own
thread, and the packet goes to every viewer negotiated to that codec; aiortc's sender only
packetises it (``pack``). The voice is encoded once per 20 ms chunk, on the event loop (a
fraction of a millisecond: cheaper than a hop to another thread). The
price is one bitrate for all of them (no per-viewer congestion control), which is what a
broadcast to a browser, OBS or a LAN wants. A keyframe is made when a viewer joins or asks for
one (a PLI after a loss), so nobody waits for the next scheduled one.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction

import av
import numpy as np
from aiortc.codecs.opus import OpusEncoder

from livehost.errors import LivehostError

from .webrtc_media import VIDEO_CLOCK, AudioChunk, audio_frame

# What aiortc negotiates for video, and how each is made for live viewing: no lookahead, no
# B-frames, constant bitrate, the picture out as soon as it is in.
_CODECS = {
    "video/vp8": ("libvpx", {"deadline": "realtime", "cpu-used": "-6", "lag-in-frames": "0",
                             "static-thresh": "1", "undershoot-pct": "100", "overshoot-pct": "15",
                             "noise-sensitivity": "4", "partitions": "0"}),
    "video/h264": ("libx264", {"preset": "veryfast", "tune": "zerolatency", "level": "31"}),
}
MAX_IN_FLIGHT = 2  # frames handed to the encoder thread and not yet out: more is falling behind
KEYFRAME_EVERY_S = 10  # a keyframe now and then even when no viewer asks


class VideoEncoder:
    """Frames in (``submit``, from the event loop), packets out (the returned future). One
    thread per encoder keeps frames in order and off the event loop."""

    def __init__(self, mime: str, fps: Fraction, bitrate: int) -> None:
        mime = mime.lower()
        if mime not in _CODECS:
            raise LivehostError(f"webrtc: no shared encoder for {mime} (have {', '.join(sorted(_CODECS))})")
        self.mime, self.fps, self.bitrate = mime, fps, bitrate
        self.encoded = self.skipped = self.keyframes = 0
        self._codec: av.CodecContext | None = None
        self._keyframe = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"webrtc-{mime.split('/')[1]}")

    def request_keyframe(self) -> None:
        self._keyframe.set()

    def submit(self, image: np.ndarray, pts: int) -> Future | None:
        """None when the encoder is already ``MAX_IN_FLIGHT`` frames behind: this one is skipped."""
        with self._lock:
            if self._in_flight >= MAX_IN_FLIGHT:
                self.skipped += 1
                return None
            self._in_flight += 1
        return self._thread.submit(self._encode, image, pts)

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)

    def _encode(self, image: np.ndarray, pts: int) -> list[av.Packet]:
        try:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = pts, Fraction(1, VIDEO_CLOCK)
            codec = self._codec_for(frame)
            if self._keyframe.is_set():
                self._keyframe.clear()
                frame.pict_type = av.video.frame.PictureType.I
            packets = list(codec.encode(frame))
            self.encoded += 1
            self.keyframes += sum(p.is_keyframe for p in packets)
            return packets
        finally:
            with self._lock:
                self._in_flight -= 1

    def _codec_for(self, frame: av.VideoFrame) -> av.CodecContext:
        codec = self._codec
        if codec is not None and (codec.width, codec.height) == (frame.width, frame.height):
            return codec
        name, options = _CODECS[self.mime]
        codec = av.CodecContext.create(name, "w")
        codec.width, codec.height, codec.pix_fmt = frame.width, frame.height, "yuv420p"
        codec.time_base, codec.framerate = Fraction(1, VIDEO_CLOCK), self.fps
        codec.bit_rate = self.bitrate
        codec.gop_size = round(self.fps * KEYFRAME_EVERY_S)
        codec.max_b_frames = 0
        codec.thread_count = 1 if frame.width * frame.height <= 1280 * 720 else 2  # a core is the render loop's
        codec.options = {**options, "minrate": str(self.bitrate), "maxrate": str(self.bitrate),
                         "bufsize": str(self.bitrate)}
        if name == "libx264":
            codec.profile = "Baseline"
        self._codec = codec
        return codec


class AudioEncoder:
    """Opus as aiortc makes it (its own encoder), once per chunk for every viewer."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._opus = OpusEncoder()

    def encode(self, chunk: AudioChunk) -> list[av.Packet]:
        """The chunk as Opus packets (one, but none while the encoder fills its first frame),
        stamped with the chunk's own place on the channel's clock."""
        payloads, _ = self._opus.encode(audio_frame(chunk, self.sample_rate))
        packets = []
        for i, payload in enumerate(payloads):
            packet = av.Packet(payload)
            packet.pts, packet.time_base = chunk.pts + i * len(chunk.pcm), Fraction(1, self.sample_rate)
            packets.append(packet)
        return packets
