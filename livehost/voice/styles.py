"""Kokoro style vectors: stock voices, blends of them, and saved (cloned) tables.

A style table is (510, 1, 256) float32, one row per token count (the model picks the row for
the sentence's length). The first 128 values steer the decoder (timbre), the last 128 the
prosody predictor (rhythm, intonation).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.sinks.atomic import atomic_path

SHAPE = (510, 1, 256)
_TERM = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?::\s*([-+]?\d*\.?\d+))?\s*$")


def blend(stock: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted sum of stock tables; weights are normalized to sum to 1."""
    total = sum(weights.values())
    if abs(total) < 1e-9:
        raise LivehostError("voice blend: the weights sum to zero")
    return sum(stock[name] * (w / total) for name, w in weights.items()).astype(np.float32)


def parse_blend(text: str, known: list[str]) -> dict[str, float]:
    """``"jf_alpha"`` or ``"jf_alpha:0.7+jm_kumo:0.3"`` → {name: weight}."""
    weights: dict[str, float] = {}
    for term in text.split("+"):
        match = _TERM.match(term)
        if match is None or match.group(1) not in known:
            raise LivehostError(
                f"voice {text!r}: use a stock voice ({', '.join(known)}), a blend like "
                f"'{known[0]}:0.7+{known[-1]}:0.3', or the path to a .npy style table"
            )
        weights[match.group(1)] = weights.get(match.group(1), 0.0) + float(match.group(2) or 1.0)
    return weights


def load_table(path: Path) -> np.ndarray:
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise LivehostError(f"style table {path}: cannot read it ({exc})") from None
    if table.shape == SHAPE[::2]:  # (510, 256) saved without the middle axis
        table = table[:, None, :]
    if table.shape != SHAPE or not np.isfinite(table).all():
        raise LivehostError(f"style table {path}: expected finite values of shape {SHAPE}, got {table.shape}")
    return table.astype(np.float32)


def save_table(path: Path, table: np.ndarray) -> None:
    with atomic_path(path) as partial, open(partial, "wb") as file:
        np.save(file, np.asarray(table, np.float32).reshape(SHAPE))
