"""Kokoro's timbre as a differentiable function, so a clone can follow the gradient of the
speaker similarity instead of guessing.

Kokoro's 256-d style row has two halves: the first conditions the decoder (the timbre), the
second the predictor (durations, pitch, loudness). With the second half fixed, everything
upstream of the decoder is fixed too, so onnxruntime computes it once per sentence
(``prepare``) and only the decoder runs in torch (``audio``), on dequantized weights, where
gradients flow back to the first half. Its audio matches the packaged model's to ~1e-4.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from .kokoro_model import DURATION_TENSOR, Inference, KokoroModel, feed, style_index, token_edges

log = logging.getLogger(__name__)

TIMBRE = 128  # the style row's first half
_TIMBRE_TENSOR = "/decoder/Slice_output_0"  # style[:, :128] inside the v1.0 graph
_AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class Prepared:
    """One sentence, ready for the decoder: its style row and what the decoder reads."""

    row: int
    external: dict[str, torch.Tensor]
    speech: tuple[int, int]  # the samples the engine would keep (pads' audio cut)


class TimbreModel:
    def __init__(self, model: KokoroModel) -> None:
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper

        from .onnx_dequant import dequantize
        from .onnx_torch import TorchSubgraph

        self.model = model
        upstream = onnx.load(str(model.path))
        floats = onnx.ModelProto()
        floats.CopyFrom(upstream)  # dequantize rewrites its model in place
        self.decoder = TorchSubgraph(dequantize(floats), _TIMBRE_TENSOR, _AUDIO)
        # The packaged graph, now also giving out what the decoder reads from upstream.
        for name in self.decoder.external:
            upstream.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
        options = ort.SessionOptions()
        options.intra_op_num_threads = model.threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(upstream.SerializeToString(), options, providers=["CPUExecutionProvider"])
        self._outputs = [o.name for o in upstream.graph.output]
        log.info("timbre model: %d decoder nodes in torch, %d tensors from upstream",
                 len(self.decoder.nodes), len(self.decoder.external))

    def prepare(self, text: str, table: np.ndarray, speed: float, pitch: float = 0.0) -> Prepared:
        phonemes = self.model.known(self.model.phonemize(text))
        row = style_index(phonemes, len(table))
        values = dict(zip(self._outputs, self._session.run(None, feed(self.model.tokens(phonemes), table[row], speed, pitch))))
        audio = np.asarray(values[_AUDIO]).ravel()
        speech = Inference(audio, token_edges(values[DURATION_TENSOR], len(audio))).speech
        return Prepared(row, {k: torch.from_numpy(values[k]) for k in self.decoder.external}, speech)

    def audio(self, timbre: torch.Tensor, prepared: Prepared) -> torch.Tensor:
        """The sentence's speech (24 kHz, pads cut) for a timbre half ``(128,)``."""
        start, end = prepared.speech
        return self.decoder(timbre.reshape(1, TIMBRE), prepared.external).reshape(-1)[start:end]
