"""Kokoro-82M (ONNX) as a plain function: phonemes + style vector → audio + per-phoneme frames.

The packaged int8 export only outputs audio. The graph does compute each token's duration
(the clipped, rounded predictor output) before expanding tokens to frames; we expose that
tensor as a second output once, in a cached copy of the model, so lip-sync gets real phoneme
timings instead of guesses. The same copy takes a third input, ``f0_scale``, that multiplies
the predicted F0 curve before the decoder reads it: the voice's pitch moves while its timbre
(the formants the decoder makes) stays, and Whisper still understands it an octave away.
(Capping the pad tokens' durations would save ~0.6 s of decoded audio per call, but the
decoder needs that lead-in: Whisper's word error rate doubled.)
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from livehost import models
from livehost.errors import LivehostError
from livehost.models import derived_path
from livehost.sinks.atomic import atomic_path

from .mandarin import is_chinese, mandarin_phonemes

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
FRAME = 600  # samples per predicted duration frame at 24 kHz
MAX_TOKENS = 510
DURATION_TENSOR = "/encoder/Clip_output_0"  # (1, tokens) frames per token, pads included
F0_TENSOR = "/encoder/F0_proj/Conv_output_0"  # the predicted F0 curve (Hz), read by the decoder
F0_SCALE = "f0_scale"
_GRAPH_VERSION = "f0-2"  # bump when the cached copy's edits change
_build_lock = threading.Lock()


def timed_model(source: Path) -> Path:
    """A copy of the Kokoro graph that also outputs token durations and takes an F0 scale
    (built once, cached)."""
    out = derived_path(source, "kokoro-timed", _GRAPH_VERSION, ".onnx")
    with _build_lock:
        if out.is_file():
            return out
        import onnx
        from onnx import TensorProto, helper

        model = onnx.load(str(source))
        names = {o for node in model.graph.node for o in node.output}
        if DURATION_TENSOR not in names or F0_TENSOR not in names:
            raise LivehostError(f"{source}: not the Kokoro v1.0 graph this engine knows (no duration or F0 tensor)")
        model.graph.output.append(helper.make_tensor_value_info(DURATION_TENSOR, TensorProto.FLOAT, None))
        scaled = F0_TENSOR + "_scaled"
        for node in model.graph.node:
            node.input[:] = [scaled if name == F0_TENSOR else name for name in node.input]
        producer = next(i for i, node in enumerate(model.graph.node) if F0_TENSOR in node.output)
        # right after its producer: the node list stays in topological order
        model.graph.node.insert(producer + 1, helper.make_node("Mul", [F0_TENSOR, F0_SCALE], [scaled], name="/encoder/F0_scale"))
        model.graph.input.append(helper.make_tensor_value_info(F0_SCALE, TensorProto.FLOAT, [1]))
        with atomic_path(out) as partial:
            onnx.save(model, str(partial))
        log.info("kokoro: wrote timed model %s", out)
        return out


def load_stock_voices(path: Path | None = None) -> dict[str, np.ndarray]:
    """Stock style tables, name → (510, 1, 256) float32: one row per token count."""
    path = path or models.resolve("kokoro-voices").path
    with np.load(path) as npz:
        return {name: npz[name].astype(np.float32) for name in npz.files}


@dataclass(frozen=True, slots=True)
class Inference:
    audio: np.ndarray  # float32 at SAMPLE_RATE
    edges: np.ndarray  # sample offset where each token starts, pads included; len = tokens + 1

    @property
    def speech(self) -> tuple[int, int]:
        """The samples worth keeping: the pads' audio (the model's lead-in and tail, ~0.3 s
        each) cut, but two frames kept around the speech, whose first sound starts a little
        before its aligned frame."""
        return max(0, int(self.edges[1]) - 2 * FRAME), min(len(self.audio), int(self.edges[-2]) + 2 * FRAME)


def token_edges(frames: np.ndarray, samples: int) -> np.ndarray:
    """Sample offsets of the tokens' starts (and the end) from the predicted frames per token."""
    edges = np.concatenate([[0], np.cumsum(np.asarray(frames).ravel())])
    return np.round(edges * (samples / max(edges[-1], 1))).astype(np.int64)


class KokoroModel:
    """One onnxruntime session plus the espeak phonemizer. Thread-safe for inference."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort
        from kokoro_onnx.tokenizer import Tokenizer

        source = model_path or models.resolve("kokoro-82m").path
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.path = timed_model(source)
        self.threads = threads
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors do not name the file
            raise LivehostError(f"cannot load the Kokoro model {source}: {exc}") from exc
        self._tokenizer = Tokenizer()
        # It warns on every sentence whose punctuation splits words differently: harmless.
        logging.getLogger("phonemizer").setLevel(logging.ERROR)

    def phonemize(self, text: str, lang: str = "en-us") -> str:
        if is_chinese(lang):
            return mandarin_phonemes(text)
        return " ".join(self._tokenizer.phonemize(text, lang).split())

    def tokens(self, phonemes: str) -> list[int]:
        return self._tokenizer.tokenize(self.known(phonemes), limit=None)

    def known(self, phonemes: str) -> str:
        """The phonemes the model has tokens for, one character per token."""
        return self._tokenizer.known(phonemes)

    def infer(self, tokens: list[int], style_row: np.ndarray, speed: float, pitch: float = 0.0) -> Inference:
        """``pitch``: semitones to move the predicted F0 by."""
        audio, frames = self._session.run(None, feed(tokens, style_row, speed, pitch))
        audio = np.asarray(audio, np.float32).ravel()
        return Inference(audio, token_edges(frames, len(audio)))


def style_index(phonemes: str, rows: int) -> int:
    """The row of a (rows, 1, 256) style table Kokoro takes for text of this many phonemes."""
    return min(len(phonemes), rows) - 1


def feed(tokens: list[int], style_row: np.ndarray, speed: float, pitch: float = 0.0) -> dict[str, np.ndarray]:
    """The graph's inputs: the tokens between two pads, one style row, the speed, the F0
    scale for a pitch change of ``pitch`` semitones."""
    if not tokens:
        raise ValueError("nothing to synthesize")
    return {
        "tokens": np.array([[0, *tokens[:MAX_TOKENS], 0]], dtype=np.int64),
        "style": np.asarray(style_row, np.float32).reshape(1, 256),
        "speed": np.array([speed], np.float32),
        F0_SCALE: np.array([2.0 ** (pitch / 12.0)], np.float32),
    }


@lru_cache(maxsize=1)
def shared_model() -> KokoroModel:
    """One Kokoro session per process: engines differ only in their style table."""
    return KokoroModel()
