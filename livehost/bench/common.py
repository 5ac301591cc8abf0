"""Helpers shared by the benchmark parts."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm import tqdm


SPEECH = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech"  # the real recordings, beside the checkout


def progress(items: Iterable, desc: str, total: int | None = None):
    return tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False, dynamic_ncols=True)


@contextmanager
def single_core():
    """Run on one core for per-core figures: pin the process to one CPU, so every pool
    (OpenCV, BLAS, onnxruntime sessions already built) shares it whatever its thread count,
    and set OpenCV to one thread. Thread-count environment variables would do nothing here:
    those pools read them once, when their library loads."""
    import cv2

    cpus = os.sched_getaffinity(0)
    threads = cv2.getNumThreads()
    os.sched_setaffinity(0, {min(cpus)})
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)
        os.sched_setaffinity(0, cpus)


def ms(seconds: np.ndarray | float) -> float:
    return round(float(np.mean(seconds)) * 1000.0, 3)
