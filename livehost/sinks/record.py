"""Record to a file: H.264 (yuv420p) + AAC in MP4 through PyAV, timestamps from the media
clock. The file appears under its name only once it is complete."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from livehost.media.audio import to_int16
from livehost.media.frames import AVTick

from .atomic import AtomicOutput
from .base import Overflow, StreamSpec, ThreadedSink


class RecordSink(ThreadedSink):
    name = "record"

    def __init__(
        self,
        path: Path,
        overflow: Overflow = "block",
        crf: int = 20,
        preset: str = "veryfast",
        audio_bitrate: int = 128_000,
        threads: int = 0,
    ) -> None:
        super().__init__(max_queue=50, overflow=overflow)
        self.output = AtomicOutput(path)
        self.crf, self.preset, self.audio_bitrate, self.threads = crf, preset, audio_bitrate, threads

    def start(self, spec: StreamSpec) -> None:
        if spec.width % 2 or spec.height % 2:
            raise ValueError(f"H.264 yuv420p needs even sizes, got {spec.width}x{spec.height}")
        self._container = av.open(str(self.output.partial), mode="w", format="mp4")
        video = self._container.add_stream("libx264", rate=spec.fps)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.time_base = Fraction(1) / spec.fps
        video.options = {"crf": str(self.crf), "preset": self.preset}
        video.codec_context.gop_size = max(1, round(2 * spec.fps))
        video.thread_count = self.threads
        audio = self._container.add_stream("aac", rate=spec.sample_rate)
        audio.layout = "mono"
        audio.bit_rate = self.audio_bitrate
        self._video, self._audio = video, audio
        self._fifo = av.AudioFifo()
        self._samples_in = 0

    def write(self, tick: AVTick) -> None:
        frame = av.VideoFrame.from_ndarray(tick.image, format="rgb24")
        frame.pts = tick.index
        self._container.mux(self._video.encode(frame))
        pcm = to_int16(tick.audio).reshape(1, -1)
        audio = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        audio.sample_rate = tick.sample_rate
        # pts + time_base let the fifo stamp what it emits, so the encoder's priming samples
        # get negative timestamps and the muxer's edit list hides them: without this the
        # sound lands 1024 samples (21 ms) after its picture.
        audio.pts, audio.time_base = self._samples_in, Fraction(1, tick.sample_rate)
        self._samples_in += pcm.shape[1]
        self._fifo.write(audio)
        self._drain_audio(final=False)

    def _drain_audio(self, final: bool) -> None:
        size = self._audio.codec_context.frame_size or 1024
        while self._fifo.samples >= size or (final and self._fifo.samples):
            frame = self._fifo.read(min(size, self._fifo.samples))
            self._container.mux(self._audio.encode(frame))

    def finish(self, ok: bool) -> None:
        container = getattr(self, "_container", None)
        try:
            if container is not None and ok:
                self._drain_audio(final=True)
                container.mux(self._audio.encode(None))
                container.mux(self._video.encode(None))
        finally:
            if container is not None:
                container.close()
        self.output.settle(ok and container is not None)
