"""--llm SPEC parsing and backend choice (the heavy backends are loaded in their own tests)."""

import pytest

from livehost.brain.llm.factory import create_backend, parse_llm_spec
from livehost.brain.llm.openai import OpenAIBackend
from livehost.errors import LivehostError
from livehost.persona import LLMSpec


def test_embedded_specs():
    assert parse_llm_spec("embedded") == LLMSpec()
    spec = parse_llm_spec("embedded:/models/tiny.gguf?threads=2&context=2048")
    assert (spec.backend, spec.model, spec.threads, spec.context) == ("embedded", "/models/tiny.gguf", 2, 2048)


def test_openai_spec():
    spec = parse_llm_spec("openai:http://127.0.0.1:8080/v1?model=qwen&key_env=MY_KEY&reply_s=9")
    assert (spec.backend, spec.url, spec.model, spec.api_key_env, spec.reply_s) == (
        "openai", "http://127.0.0.1:8080/v1", "qwen", "MY_KEY", 9.0)


def test_transformers_spec():
    spec = parse_llm_spec("transformers:weights/tiny-llama?device=cuda:1&max_tokens=64")
    assert (spec.backend, spec.model, spec.device, spec.max_tokens) == ("transformers", "weights/tiny-llama", "cuda:1", 64)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ollama:http://x", "unknown backend 'ollama' (known: embedded, openai, transformers)"),
        ("openai", "needs the server's base URL"),
        ("openai:ftp://x/v1", "url: String should match pattern"),
        ("transformers", "needs a model folder"),
        ("embedded?key=sk-123", "unknown option 'key' (known: key_env, model, api_key_env"),
        ("openai:http://h/v1?key_env=1BAD", "key_env: String should match pattern"),
        ("embedded:/a.gguf?model=/b.gguf", "the model is given twice"),
        ("embedded?temperature=hot", "temperature: Input should be a valid number"),
    ],
)
def test_bad_specs_say_what_is_wrong(text, message):
    with pytest.raises(LivehostError) as caught:
        parse_llm_spec(text)
    assert message in str(caught.value)
    assert "sk-123" not in str(caught.value)


def test_openai_backend_takes_its_key_from_the_named_variable(monkeypatch):
    monkeypatch.setenv("LIVEHOST_TEST_LLM_KEY", "sk-live-999")
    backend = create_backend(parse_llm_spec("openai:http://u:p@127.0.0.1:9/v1?model=m&key_env=LIVEHOST_TEST_LLM_KEY"))
    assert isinstance(backend, OpenAIBackend)
    assert backend.name == "openai http://127.0.0.1:9/v1 (model m)"
    backend.close()
    monkeypatch.delenv("LIVEHOST_TEST_LLM_KEY")
    with pytest.raises(LivehostError, match="environment variable LIVEHOST_TEST_LLM_KEY is not set"):
        create_backend(parse_llm_spec("openai:http://127.0.0.1:9/v1?key_env=LIVEHOST_TEST_LLM_KEY"))


def test_missing_model_files_are_named(tmp_path, monkeypatch):
    with pytest.raises(LivehostError, match=f"GGUF file {tmp_path / 'nope.gguf'} does not exist"):
        create_backend(LLMSpec(model="nope.gguf"), persona_folder=tmp_path)
    monkeypatch.setenv("LIVEHOST_WEIGHTS", str(tmp_path / "weights"))
    with pytest.raises(LivehostError, match=r"no model folder 'tiny' \(looked at .*weights/tiny\)"):
        create_backend(LLMSpec(backend="transformers", model="tiny"), persona_folder=tmp_path)
