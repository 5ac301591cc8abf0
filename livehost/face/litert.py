"""Running MediaPipe's packaged .tflite models on LiteRT, one thread each (the render loop
owns the other core)."""

from __future__ import annotations

import numpy as np

from livehost import models


def interpreter(model: str):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(models.resolve(model).path), num_threads=1)
    interp.allocate_tensors()
    return interp


def run(interp, tensor: np.ndarray) -> list[np.ndarray]:
    interp.set_tensor(interp.get_input_details()[0]["index"], tensor[None].astype(np.float32))
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]
