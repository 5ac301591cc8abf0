"""16-bit WAV in and out: incremental decoding of PCM bodies (raw or WAV) as their bytes
arrive, and encoding for files and uploads."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np

from livehost.errors import LivehostError
from livehost.media.audio import to_float32, to_int16


def encode_wav(pcm: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(to_int16(pcm).tobytes())
    return buffer.getvalue()


class PCMStream:
    """Raw signed 16-bit little-endian mono (OpenAI's ``response_format: pcm``)."""

    def __init__(self, sample_rate: int, channels: int = 1) -> None:
        self.sample_rate, self.channels = sample_rate, channels
        self._rest = b""

    def feed(self, data: bytes) -> np.ndarray:
        data = self._rest + data
        frame = 2 * self.channels
        usable = len(data) - len(data) % frame
        self._rest = data[usable:]
        return to_float32(np.frombuffer(data[:usable], dtype="<i2").reshape(-1, self.channels))


class WavStream:
    """A RIFF/WAVE body, header first; streamed WAVs may carry a bogus data size, so the
    data chunk is read to the end of the body."""

    def __init__(self) -> None:
        self._head = b""
        self._pcm: PCMStream | None = None

    @property
    def sample_rate(self) -> int | None:
        return None if self._pcm is None else self._pcm.sample_rate

    def feed(self, data: bytes) -> np.ndarray:
        if self._pcm is not None:
            return self._pcm.feed(data)
        self._head += data
        parsed = _parse_header(self._head)
        if parsed is None:
            return np.zeros(0, np.float32)
        rate, channels, data_at = parsed
        self._pcm = PCMStream(rate, channels)
        body, self._head = self._head[data_at:], b""
        return self._pcm.feed(body)


def _parse_header(head: bytes) -> tuple[int, int, int] | None:
    """(rate, channels, offset of the samples), or None until enough bytes arrived."""
    if len(head) < 12:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise LivehostError("the voice server sent something that is not a WAV file")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        chunk_id, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if chunk_id == b"data":
            if fmt is None:
                raise LivehostError("the voice server's WAV has no fmt chunk before its data")
            return fmt[1], fmt[0], pos + 8
        if pos + 8 + size > len(head):
            return None
        if chunk_id == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[pos + 8 : pos + 24])
            if tag not in (1, 0xFFFE) or bits != 16:
                raise LivehostError(f"the voice server's WAV is not 16-bit PCM (format {tag}, {bits} bits)")
            fmt = (channels, rate)
        pos += 8 + size + (size & 1)
    return None
