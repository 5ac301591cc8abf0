"""Reference clips for cloning: decode any common format, check it, trim it to its speech.

Problems the user can fix are errors (unreadable, silent, no speech, too little speech);
problems that only lower the quality are warnings (clipped, too long: the rest is dropped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.media.audio import dbfs, resample

from .wav_stream import encode_wav

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # what the speaker encoder, the VAD and Whisper all take
MIN_SPEECH_S = 3.0
MAX_SPEECH_S = 30.0  # more adds little to a speaker embedding and slows cloning down
SILENT_DBFS = -55.0
CLIPPED_SHARE = 0.001  # of samples at full scale
_EDGE_PAD_S = 0.1


@dataclass(frozen=True, slots=True)
class ReferenceClip:
    path: Path
    pcm: np.ndarray  # mono float32 at SAMPLE_RATE, trimmed to speech
    source_seconds: float
    warnings: tuple[str, ...] = field(default=())

    sample_rate = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    def wav_bytes(self) -> bytes:
        """The trimmed clip as a 16-bit mono WAV, for servers that take a file."""
        return encode_wav(self.pcm, SAMPLE_RATE)


def decode(path: Path) -> tuple[np.ndarray, int]:
    """Any file PyAV (FFmpeg) reads → mono float32 at its own rate."""
    import av

    if not path.is_file():
        raise LivehostError(f"reference clip {path} does not exist")
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise LivehostError(f"reference clip {path}: no audio stream in it")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate)
            parts = [
                out.to_ndarray().reshape(-1)
                for frame in container.decode(stream)
                for out in resampler.resample(frame)
            ]
            parts += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
            rate = stream.rate
    except av.error.FFmpegError as exc:
        raise LivehostError(f"reference clip {path}: cannot decode it ({exc})") from None
    pcm = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    return pcm, rate


def speech_spans(pcm: np.ndarray) -> list[tuple[int, int]]:
    """Where Silero VAD hears speech (samples at 16 kHz); music and noise give none."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    return [(s["start"], s["end"]) for s in get_speech_timestamps(pcm, VadOptions(min_silence_duration_ms=300, speech_pad_ms=30))]


def load_reference(path: Path) -> ReferenceClip:
    raw, rate = decode(Path(path))
    source_seconds = len(raw) / rate if rate else 0.0
    pcm = resample(raw, rate, SAMPLE_RATE)
    warnings: list[str] = []
    if len(pcm) == 0 or dbfs(pcm) < SILENT_DBFS:
        raise LivehostError(f"reference clip {path} is silent: record the voice closer to the microphone")
    clipped = float(np.mean(np.abs(pcm) >= 0.995))
    if clipped > CLIPPED_SHARE:
        warnings.append(f"{clipped:.1%} of the samples are clipped: record at a lower level for a closer voice")
    spans = speech_spans(pcm)
    speech_s = sum(e - s for s, e in spans) / SAMPLE_RATE
    if not spans:
        raise LivehostError(f"reference clip {path}: no speech in it (music or noise only?)")
    if speech_s < MIN_SPEECH_S:
        raise LivehostError(
            f"reference clip {path}: only {speech_s:.1f} s of speech; give at least {MIN_SPEECH_S:.0f} s"
        )
    pad = int(_EDGE_PAD_S * SAMPLE_RATE)
    start, end = max(0, spans[0][0] - pad), min(len(pcm), spans[-1][1] + pad)
    if speech_s > MAX_SPEECH_S:
        end = _cut_after(spans, MAX_SPEECH_S, end)
        warnings.append(f"{speech_s:.0f} s of speech: using the first {MAX_SPEECH_S:.0f} s")
    speech_share = speech_s / max((end - start) / SAMPLE_RATE, 1e-9)
    if speech_share < 0.5 and speech_s <= MAX_SPEECH_S:
        warnings.append(f"only {speech_share:.0%} of the clip is speech: music or noise under the voice lowers similarity")
    for message in warnings:
        log.warning("reference clip %s: %s", path, message)
    return ReferenceClip(Path(path), pcm[start:end].copy(), source_seconds, tuple(warnings))


def _cut_after(spans: list[tuple[int, int]], seconds: float, end: int) -> int:
    total = 0
    for s, e in spans:
        if total + (e - s) >= seconds * SAMPLE_RATE:
            return s + int(seconds * SAMPLE_RATE) - total
        total += e - s
    return end
