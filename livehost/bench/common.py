"""Helpers shared by the benchmark parts."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np
from tqdm import tqdm


def progress(items: Iterable, desc: str, total: int | None = None):
    return tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False, dynamic_ncols=True)


@contextmanager
def single_core():
    """Limit OpenCV, BLAS and onnxruntime-style pools to one thread for per-core figures."""
    import cv2

    before = cv2.getNumThreads()
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    cv2.setNumThreads(1)
    os.environ.update({k: "1" for k in saved})
    try:
        yield
    finally:
        cv2.setNumThreads(before)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ms(seconds: np.ndarray | float) -> float:
    return round(float(np.mean(seconds)) * 1000.0, 3)
