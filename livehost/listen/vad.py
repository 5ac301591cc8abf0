"""Voice activity: Silero VAD (v6, the ONNX model faster-whisper ships), streamed one 32 ms
frame at a time with its recurrent state carried between frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 512  # samples per decision: 32 ms at 16 kHz
_CONTEXT = 64  # the model sees the previous frame's last samples too


def packaged_vad_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class SileroVad:
    """``probability(frame)`` for consecutive 512-sample float32 frames at 16 kHz; one
    instance per audio stream (it is stateful), called from one thread."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = opts.intra_op_num_threads = 1  # ~0.1 ms a frame: one core is plenty
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(str(path or packaged_vad_path()),
                                                     providers=["CPUExecutionProvider"], sess_options=opts)
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT, np.float32)

    def probability(self, frame: np.ndarray) -> float:
        if frame.shape != (FRAME,):
            raise ValueError(f"a VAD frame is {FRAME} samples at 16 kHz, got shape {frame.shape}")
        x = np.concatenate([self._context, frame.astype(np.float32, copy=False)])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = x[0, -_CONTEXT:]
        return float(np.asarray(out).reshape(-1)[0])
