"""Media fixtures the voice tests make themselves."""

from pathlib import Path

import numpy as np


def encode_audio(path: Path, pcm: np.ndarray, rate: int, channels: int = 1) -> Path:
    """Write a clip with PyAV in the format its suffix names (wav, flac, mp3, ogg)."""
    import av

    codec = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".ogg": "libopus"}[path.suffix]
    layout = "stereo" if channels == 2 else "mono"
    data = np.tile(pcm.astype(np.float32)[None, :], (channels, 1))
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        frame_size = 1152
        for start in range(0, data.shape[1], frame_size):
            block = np.ascontiguousarray(data[:, start : start + frame_size])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
