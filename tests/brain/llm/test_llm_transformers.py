"""The transformers backend on a tiny Llama the test builds (its own BPE tokenizer, random
weights): streaming, stop strings, cancel, and the errors a user can fix."""

import os
import threading

import pytest

from livehost.brain.llm.base import ChatTurn, LLMRequest
from livehost.brain.llm.factory import create_backend
from livehost.errors import LivehostError
from livehost.persona import LLMSpec

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "the kettle holds two litres and boils in three minutes",
    "thanks for the follow, welcome to the stream",
    "the blue mug costs ten dollars and ships today",
] * 20
REQUEST = LLMRequest(
    messages=(ChatTurn("system", "You are a host."), ChatTurn("user", "how much is the kettle")),
    max_tokens=40, temperature=0.0,
)


def build_model(folder, chat_template=CHATML):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<|im_start|>", "<|im_end|>", "<pad>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=300, special_tokens=specials, show_progress=False,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="<unk>", eos_token="<|im_end|>", pad_token="<pad>")
    tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None,
    )
    model = LlamaForCausalLM(config)
    # Random weights, with every output row but whole words zeroed: greedy decoding then only
    # picks words (positive logits), never the end token, so cancel and max_tokens stop it.
    words = [i for token, i in tokenizer.get_vocab().items() if token.startswith("Ġ") and len(token) > 3]
    with torch.no_grad():
        keep = torch.zeros(len(tokenizer), dtype=torch.bool)
        keep[words] = True
        model.lm_head.weight[~keep] = 0
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    saved = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may come from a hub
    root = tmp_path_factory.mktemp("weights")
    build_model(root / "tiny-llama")
    yield root
    if saved is None:
        os.environ.pop("HF_HUB_OFFLINE", None)
    else:
        os.environ["HF_HUB_OFFLINE"] = saved


@pytest.fixture(scope="module")
def backend(weights):
    b = create_backend(LLMSpec(backend="transformers", model=str(weights / "tiny-llama")))
    yield b
    b.close()


def test_streams_greedy_text(backend):
    first = list(backend.stream(REQUEST, threading.Event()))
    second = list(backend.stream(REQUEST, threading.Event()))
    assert len(first) > 3 and "".join(first) == "".join(second)
    assert backend.health.ok and backend.health.calls == 2
    assert backend.name == "transformers tiny-llama (cpu)"


def test_stop_strings_are_cut_from_the_reply(backend):
    full = "".join(backend.stream(REQUEST, threading.Event()))
    stop = full[12:15]
    stopped = "".join(backend.stream(LLMRequest(REQUEST.messages, max_tokens=40, temperature=0.0, stop=(stop,)), threading.Event()))
    assert stopped == full[: full.find(stop)]


def _join_generation_threads() -> None:
    for thread in threading.enumerate():
        if thread.name == "llm-transformers":
            thread.join(30)


def test_cancel_stops_generation_at_the_next_token(backend):
    _join_generation_threads()  # an earlier test's generation may still be finishing its last step, and would be counted
    steps = []
    hook = backend._model.register_forward_hook(lambda *args: steps.append(cancel.is_set()))
    cancel = threading.Event()
    try:
        got = []
        for piece in backend.stream(LLMRequest(REQUEST.messages, max_tokens=300, temperature=0.0), cancel):
            got.append(piece)
            cancel.set()
        _join_generation_threads()
    finally:
        hook.remove()
    assert len(got) == 1
    assert steps.count(True) <= 1 and len(steps) < 300  # one step at most after the cancel


def test_a_name_under_weights_is_found(weights, monkeypatch):
    monkeypatch.setenv("LIVEHOST_WEIGHTS", str(weights))
    backend = create_backend(LLMSpec(backend="transformers", model="tiny-llama", temperature=0.8))
    assert "".join(backend.stream(LLMRequest(REQUEST.messages, max_tokens=8, temperature=0.8), threading.Event()))


def test_a_folder_without_a_chat_template_is_refused(tmp_path):
    build_model(tmp_path / "plain", chat_template=None)
    with pytest.raises(LivehostError, match="has no chat template"):
        create_backend(LLMSpec(backend="transformers", model=str(tmp_path / "plain")))


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LivehostError, match="is not a loadable causal language model"):
        create_backend(LLMSpec(backend="transformers", model=str(tmp_path / "empty")))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_missing_gpu_is_named(weights):
    with pytest.raises(LivehostError, match="llm.device: cuda is not available"):
        create_backend(LLMSpec(backend="transformers", model=str(weights / "tiny-llama"), device="cuda"))
