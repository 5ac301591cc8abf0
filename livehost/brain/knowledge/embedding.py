"""Sentence embeddings for retrieval: all-MiniLM-L6-v2 run in plain numpy, and a bag-of-words
stand-in for when that model is not installed.

The model package ships the Hugging Face folder (safetensors + tokenizer.json) and declares
sentence-transformers, which would pull transformers and friends for six small BERT layers.
The forward pass here is the same maths (BERT encoder, mean pooling over real tokens, L2
normalisation) and matches sentence-transformers' vectors to float precision.
"""

from __future__ import annotations

import json
import logging
import math
import struct
import zlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy.special import erf
from threadpoolctl import ThreadpoolController

from livehost.brain.knowledge.text import content_words
from livehost.errors import LivehostError

log = logging.getLogger(__name__)

MODEL_NAME = "all-minilm-l6-v2"
_BLAS = ThreadpoolController()
_BATCH = 8


class Embedder(Protocol):
    """Texts to unit vectors: the dot product of two rows is their cosine similarity.

    The thresholds belong to the embedder because each one's scores live on its own scale.
    """

    name: str
    faq_threshold: float  # a question at least this close to an FAQ's question is that FAQ
    match_threshold: float  # a product/FAQ/passage at least this close is about the query
    alias_threshold: float  # a thing at least this close to a product's names is that product

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLM:
    """all-MiniLM-L6-v2 (384-d). Thread-safe: encode only reads the weights."""

    name = MODEL_NAME
    dims = 384
    # Measured on the demo persona (30 paraphrases of its FAQ questions, 25 other or
    # near-miss questions): paraphrases score 0.44-0.98 against their entry (median 0.81),
    # the others at most 0.70 ("do you sell gift cards?" → gift wrapping). At 0.72 no other
    # question passed and 24 of 30 paraphrases did; the rest still reach the model as context.
    faq_threshold = 0.72
    # Indirect questions ("I need something to boil water") scored 0.29-0.52 against their
    # product, chat that is about no product at most 0.19.
    match_threshold = 0.27
    # A thing asked for vs the product names: other words for a product the shop has ("cups",
    # "teakettles") 0.49-0.53, things it does not sell ("toasters", "plates") at most 0.37.
    alias_threshold = 0.45

    def __init__(self, folder: Path, max_tokens: int = 256) -> None:
        from tokenizers import Tokenizer  # ships with faster-whisper

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._layers = int(config["num_hidden_layers"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        w = _read_safetensors(folder / "model.safetensors")
        # Linear weights are stored (out, in): transposed once so a layer is x @ W + b. All are
        # copies, so the file's bytes are freed.
        linear = ("dense.weight", "query.weight", "key.weight", "value.weight")
        self._w = {k: np.ascontiguousarray(v.T) if k.endswith(linear) else v.copy() for k, v in w.items()}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        # These products are small: BLAS threads only contend with the LLM and TTS threads
        # (a query took 38 ms with them, 14 ms without, on 2 busy cores).
        with _BLAS.limit(limits=1, user_api="blas"):
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        # Similar lengths batched together: padding costs as much as real tokens.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for first in range(0, len(order), _BATCH):
            rows = order[first : first + _BATCH]
            length = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.float32)
            for row, i in enumerate(rows):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1.0
            hidden = self._forward(ids, mask)
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][0]).reshape(batch * length, -1)
        x = self._norm(x, "embeddings.LayerNorm")
        heads = self._heads
        size = x.shape[-1] // heads
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :]  # padding gets no attention
        # Rows are (sentence, token) pairs, flattened: 2-D products are what BLAS does best.
        for n in range(self._layers):
            p = f"encoder.layer.{n}."
            q, k, v = (
                (x @ w[f"{p}attention.self.{name}.weight"] + w[f"{p}attention.self.{name}.bias"])
                .reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, heads * size)
            attended = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = self._norm(attended + x, p + "attention.output.LayerNorm")
            inner = x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"]
            inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))  # exact GELU, as BERT
            out = inner @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = self._norm(out + x, p + "output.LayerNorm")
        return x.reshape(batch, length, -1)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self._eps) * self._w[name + ".weight"] + self._w[name + ".bias"]


class LexicalEmbedder:
    """Bag of content words (singular, lower case), hashed into a fixed-size unit vector: the
    cosine is word overlap. Used when the embedding model is missing, and by fast tests."""

    name = "lexical-bow"
    faq_threshold = 0.6
    match_threshold = 0.3
    alias_threshold = 0.5

    def __init__(self, dims: int = 4096) -> None:
        self._dims = dims

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                out[row, zlib.crc32(word.encode()) % self._dims] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


_DTYPES = {"F32": np.float32, "F16": np.float16}  # others (position ids) are not weights


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The safetensors layout: u64 header size, a JSON header of dtype/shape/offsets, data."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] not in _DTYPES:
            continue
        count = math.prod(meta["shape"])
        array = np.frombuffer(raw, dtype=_DTYPES[meta["dtype"]], count=count, offset=base + meta["data_offsets"][0])
        tensors[name] = array.reshape(meta["shape"]).astype(np.float32, copy=False)
    return tensors


def load_minilm(folder: Path | None = None) -> MiniLM:
    """The model from ``folder``, else from weights/ or the installed package (models.py)."""
    from livehost.models import resolve

    path = resolve(MODEL_NAME, folder).path
    folder = path if path.is_dir() else path.parent
    try:
        return MiniLM(folder)
    except (OSError, KeyError, ValueError) as exc:
        raise LivehostError(f"embedding model in {folder} could not be read ({exc})") from None


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """MiniLM when it is installed (loaded once per process), else the bag of words, said once
    in the log: retrieval keeps working, only paraphrases match less well."""
    try:
        return load_minilm()
    except LivehostError as exc:
        log.warning("%s; retrieval falls back to word overlap", exc)
        return LexicalEmbedder()
