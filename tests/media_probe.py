"""Reading rendered files back with PyAV, for assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np


@dataclass
class Decoded:
    frames: list[np.ndarray]
    video_fps: float
    audio: np.ndarray
    sample_rate: int
    video_codec: str
    audio_codec: str
    pix_fmt: str

    @property
    def video_seconds(self) -> float:
        return len(self.frames) / self.video_fps

    @property
    def audio_seconds(self) -> float:
        return len(self.audio) / self.sample_rate


def decode(path: Path) -> Decoded:
    with av.open(str(path)) as container:
        vstream, astream = container.streams.video[0], container.streams.audio[0]
        pix_fmt = vstream.codec_context.pix_fmt
        fps = float(vstream.average_rate)
        frames, audio = [], []
        for frame in container.decode(vstream, astream):
            if isinstance(frame, av.VideoFrame):
                frames.append(frame.to_ndarray(format="rgb24"))
            else:
                audio.append(frame.to_ndarray().reshape(-1))
        return Decoded(frames, fps, np.concatenate(audio), astream.sample_rate,
                       vstream.codec_context.name, astream.codec_context.name, pix_fmt)


def read_trace(path: Path) -> tuple[list[dict], list[dict]]:
    ticks, events = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        (events if "event" in record else ticks).append(record)
    return ticks, events
