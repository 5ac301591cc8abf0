"""Ticks as WebRTC media: a video frame on the 90 kHz clock and 20 ms s16 audio frames.

The channel's sample counter is the one clock: a tick's video pts comes from its index, each
audio chunk's pts from the number of samples before it. Ticks need not hold a whole number of
20 ms chunks (48 kHz at 30 fps is 1600 samples), so the chunker carries the remainder over to
the next tick: every sample is sent once, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from livehost.media.frames import AVTick

VIDEO_CLOCK = 90_000
CHUNK_S = Fraction(1, 50)  # Opus frames of 20 ms


@dataclass(frozen=True, slots=True)
class AudioChunk:
    pts: int  # samples before this chunk on the channel's clock
    pcm: np.ndarray  # int16 mono, exactly one chunk


@dataclass(frozen=True, slots=True)
class TickMedia:
    """What one tick sends: its image with its pts, and the audio chunks it completed."""

    index: int
    video_pts: int
    image: np.ndarray
    chunks: tuple[AudioChunk, ...]


def video_pts(index: int, fps: Fraction) -> int:
    return round(index * VIDEO_CLOCK / fps)


def to_s16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype(np.int16)


class AudioChunker:
    """Cuts the channel's audio into whole chunks, carrying the rest over to the next tick."""

    def __init__(self, sample_rate: int) -> None:
        self.chunk = int(sample_rate * CHUNK_S)
        if self.chunk * 50 != sample_rate:
            raise ValueError(f"sample rate {sample_rate}: must be a multiple of 50 Hz")
        self._rest = np.zeros(0, np.int16)
        self._sent = 0  # samples already cut into chunks

    def push(self, audio: np.ndarray) -> tuple[AudioChunk, ...]:
        pcm = np.concatenate([self._rest, to_s16(audio)])
        whole = len(pcm) // self.chunk * self.chunk
        chunks = tuple(AudioChunk(self._sent + i, pcm[i : i + self.chunk])
                       for i in range(0, whole, self.chunk))
        self._sent += whole
        self._rest = pcm[whole:]
        return chunks


class TickConverter:
    """Runs on the render thread for every tick (cheap: a cast and slices), so the chunker
    never misses a tick even when the viewers' side drops some."""

    def __init__(self, fps: Fraction, sample_rate: int) -> None:
        self.fps = fps
        self.chunker = AudioChunker(sample_rate)

    def convert(self, tick: AVTick) -> TickMedia:
        return TickMedia(tick.index, video_pts(tick.index, self.fps), tick.image,
                         self.chunker.push(tick.audio))


def audio_frame(chunk: AudioChunk, sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(chunk.pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = sample_rate, chunk.pts, Fraction(1, sample_rate)
    return frame


class SendSchedule:
    """When media leaves: its place on the channel's clock plus a fixed lead (room for the
    video encode), so both tracks leave evenly spaced and side by side, whatever the jitter of
    the ticks' arrival — a receiver buffers (delays) every packet by the jitter it sees.

    ``arrived`` is told when each tick (the start of its media) arrives. The clock's origin is
    the earliest arrival seen (the least-delayed tick); when a tick arrives more than
    ``slack_s`` behind it (a stalled render loop), the origin moves there instead of sending
    everything late-but-at-once from then on."""

    def __init__(self, lead_s: float, slack_s: float = 0.25) -> None:
        self.lead_s, self.slack_s = lead_s, slack_s
        self._origin: float | None = None
        self.restarts = 0

    def arrived(self, media_s: float, now: float) -> None:
        arrival = now - media_s
        if self._origin is None or arrival < self._origin:
            self._origin = arrival
        elif arrival - self._origin > self.slack_s:
            self._origin = arrival
            self.restarts += 1

    def due(self, media_s: float) -> float:
        assert self._origin is not None, "arrived() first"
        return self._origin + media_s + self.lead_s
