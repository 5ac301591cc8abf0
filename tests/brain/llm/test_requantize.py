"""The packaged model's Q8_0 copy: weights kept, metadata kept, built once, and the copy answers
as the Q4_1 file does; a small GGUF built here covers the conversion itself."""

import threading

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as T  # noqa: E402
from gguf.quants import dequantize, quantize  # noqa: E402

from livehost.brain.llm import requantize  # noqa: E402
from livehost.brain.llm.requantize import fast_copy  # noqa: E402
from livehost.errors import LivehostError  # noqa: E402


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEHOST_CACHE", str(tmp_path / "cache"))


def small_model(path, kind=T.Q4_1):
    rng = np.random.default_rng(7)
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_string("general.name", "tiny")
    writer.add_uint32("llama.block_count", 2)
    writer.add_float32("llama.rope.freq_base", 10000.0)
    writer.add_array("tokenizer.ggml.tokens", ["<s>", "héllo", "世界"])
    writer.add_array("tokenizer.ggml.token_type", [3, 1, 1])
    weights = {f"blk.{i}.w": rng.standard_normal((64, 128)).astype(np.float32) for i in range(2)}
    for name, w in weights.items():
        writer.add_tensor(name, quantize(w, kind), raw_dtype=kind)
    writer.add_tensor("norm", np.ones(128, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def tensors(path):
    reader = gguf.GGUFReader(path)
    return reader, {t.name: t for t in reader.tensors}


def test_q4_1_weights_become_q8_0_with_the_same_values_and_metadata(tmp_path):
    source = small_model(tmp_path / "tiny.Q4_1.gguf")
    copy = fast_copy(source)
    assert copy != source and copy.name.endswith(".Q8_0.gguf") and copy.name.startswith("tiny-")
    (_, src), (out_reader, out) = tensors(source), tensors(copy)
    assert set(src) == set(out)
    for name in ("blk.0.w", "blk.1.w"):
        assert out[name].tensor_type == T.Q8_0
        before = dequantize(src[name].data, T.Q4_1)
        after = dequantize(out[name].data, T.Q8_0)
        assert after.shape == before.shape == (64, 128)
        # Q8_0 holds a Q4_1 weight to within 1/254 of its block's largest
        assert np.max(np.abs(after - before)) <= np.max(np.abs(before)) / 100
    assert out["norm"].tensor_type == T.F32 and np.array_equal(out["norm"].data, src["norm"].data)
    field = out_reader.fields["tokenizer.ggml.tokens"]
    assert [bytes(field.parts[i]).decode() for i in field.data] == ["<s>", "héllo", "世界"]
    types = out_reader.fields["tokenizer.ggml.token_type"]
    assert [int(types.parts[i][0]) for i in types.data] == [3, 1, 1]
    assert float(out_reader.fields["llama.rope.freq_base"].parts[-1][0]) == 10000.0
    assert bytes(out_reader.fields["general.architecture"].parts[-1]).decode() == "llama"


def test_the_copy_is_built_once_and_rebuilt_when_the_source_changes(tmp_path, monkeypatch):
    source = small_model(tmp_path / "tiny.Q4_1.gguf")
    first = fast_copy(source)
    writes = []
    monkeypatch.setattr(requantize, "_write_q8_0", lambda *a: writes.append(a))
    assert fast_copy(source) == first and writes == []
    small_model(source)  # rewritten: a new size/mtime, a new copy
    monkeypatch.undo()
    monkeypatch.setenv("LIVEHOST_CACHE", str(tmp_path / "cache"))
    assert fast_copy(source) != first


def test_a_model_without_q4_1_weights_is_used_as_it_is(tmp_path):
    source = small_model(tmp_path / "tiny.Q8_0.gguf", kind=T.Q8_0)
    assert fast_copy(source) == source


def test_a_file_that_is_not_gguf_is_named(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"not a model at all" * 10)
    with pytest.raises(LivehostError, match=r"model\.gguf is not a readable GGUF file"):
        fast_copy(bad)


def common_start(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@pytest.mark.slow
def test_the_packaged_models_copy_answers_as_the_original_does():
    """Greedy answers follow the Q4_1 file's piece for piece, for most questions well past the
    first eight pieces (a Q4_0 copy parts within a few pieces on most of these)."""
    pytest.importorskip("xllamacpp")
    from livehost.brain.llm.base import ChatTurn, LLMRequest
    from livehost.brain.llm.embedded import EmbeddedBackend
    from livehost.models import resolve

    original = resolve("smollm2-135m").path
    copy = fast_copy(original)
    assert copy != original
    questions = ["How much is the blue kettle?", "Hi! What are we looking at tonight?", "Do you ship to Germany?",
                 "What would you cook first in the skillet?", "Is the teapot dishwasher safe?",
                 "Greetings from Lisbon!"]
    system = "You are Nova, a cheerful kitchenware host. The blue kettle costs 34.90 euros."

    def answers(model) -> list[list[str]]:
        backend = EmbeddedBackend(model)
        try:
            return [list(backend.stream(LLMRequest(messages=(ChatTurn("system", system), ChatTurn("user", q)),
                                                   max_tokens=30, temperature=0.0), threading.Event()))
                    for q in questions]
        finally:
            backend.close()

    common = [common_start(a, b) for a, b in zip(answers(original), answers(copy))]
    assert sum(n >= 8 for n in common) >= 4, common
