"""Reference clips for cloning: decode any common format, check it, find its speech, take
the stationary noise out.

Problems the user can fix are errors (unreadable, silent, no speech, too little speech);
problems that only lower the quality are warnings (clipped, noisy, too long: the rest is
dropped). The file the user gave is never changed: ``pcm`` is it trimmed to its speech (for
servers that take a reference and for transcription), ``speech`` its voice alone (pauses and
non-speech cut, noise reduced), which the clone is measured against.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.media.audio import dbfs, resample

from .denoise import denoise
from .wav_stream import encode_wav

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # what the speaker encoder, the VAD and Whisper all take
MIN_SPEECH_S = 3.0
MAX_SPEECH_S = 30.0  # more adds little to a speaker embedding and slows cloning down
SILENT_DBFS = -55.0
CLIPPED_SHARE = 0.001  # of samples at full scale
NOISY_SNR_DB = 15.0  # below it the noise left in the clip pulls the clone away from the voice
_EDGE_PAD_S = 0.1
# Speech spans: shorter gaps join their neighbours, shorter bursts of voice are noise.
_GAP_S, _MIN_SPAN_S = 0.3, 0.2


@dataclass(frozen=True, slots=True)
class ReferenceClip:
    path: Path
    pcm: np.ndarray  # mono float32 at SAMPLE_RATE, trimmed to speech
    source_seconds: float
    warnings: tuple[str, ...] = field(default=())
    speech: np.ndarray | None = None  # the voice alone, noise reduced; None: pcm as it is
    snr_db: float | None = None

    sample_rate = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    @property
    def voice(self) -> np.ndarray:
        """What a clone is measured against."""
        return self.pcm if self.speech is None else self.speech

    @property
    def speech_seconds(self) -> float:
        return len(self.voice) / SAMPLE_RATE

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
    """Where Silero VAD hears speech (samples at 16 kHz); music and noise give none. The
    listener's turn detector does the segmenting: gaps under _GAP_S join, bursts under
    _MIN_SPAN_S of voice are noise."""
    from livehost.listen.turns import TurnConfig, TurnDetector, TurnEnd
    from livehost.listen.vad import FRAME, SileroVad

    vad = SileroVad()
    turns = TurnDetector(TurnConfig(end_silence_s=_GAP_S, unfinished_silence_s=_GAP_S,
                                    min_speech_s=_MIN_SPAN_S, max_turn_s=120))
    frames = [(pcm[i * FRAME:(i + 1) * FRAME], None) for i in range(len(pcm) // FRAME)]
    silence = np.zeros(FRAME, np.float32)
    frames += [(silence, 0.0)] * (int(_GAP_S * SAMPLE_RATE / FRAME) + 2)  # ends the last span
    spans = []
    for frame, p in frames:
        for event in turns.push(frame, vad.probability(frame) if p is None else p):
            if isinstance(event, TurnEnd):
                spans.append((event.start, min(event.end, len(pcm))))
    return spans


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
    padded = [(max(0, s - pad), min(len(pcm), e + pad)) for s, e in spans]
    start, end = padded[0][0], padded[-1][1]
    if speech_s > MAX_SPEECH_S:
        end = _cut_after(spans, MAX_SPEECH_S, end)
        warnings.append(f"{speech_s:.0f} s of speech: using the first {MAX_SPEECH_S:.0f} s")
    speech_share = speech_s / max((end - start) / SAMPLE_RATE, 1e-9)
    if speech_share < 0.5 and speech_s <= MAX_SPEECH_S:
        warnings.append(f"only {speech_share:.0%} of the clip is speech: music or noise under the voice lowers similarity")
    mask = np.zeros(len(pcm), bool)
    for s, e in padded:
        mask[s:e] = True
    cleaned = denoise(pcm, mask)
    if cleaned.snr_db < NOISY_SNR_DB:
        warnings.append(f"the speech is only {cleaned.snr_db:.0f} dB above the noise (under {NOISY_SNR_DB:.0f} dB): "
                        "the clone will be less close; record nearer the microphone in a quieter room")
    speech = np.concatenate([cleaned.pcm[s:min(e, end)] for s, e in padded if s < end])
    for message in warnings:
        log.warning("reference clip %s: %s", path, message)
    return ReferenceClip(Path(path), pcm[start:end].copy(), source_seconds, tuple(warnings), speech, cleaned.snr_db)


def _cut_after(spans: list[tuple[int, int]], seconds: float, end: int) -> int:
    total = 0
    for s, e in spans:
        if total + (e - s) >= seconds * SAMPLE_RATE:
            return s + int(seconds * SAMPLE_RATE) - total
        total += e - s
    return end
