"""``livehost bench brain``: the spoken-number audit on the demo shop, and the real command on a
short mix (the embedded model, the piper voice)."""

import json

import pytest

from livehost.bench.brain import KnowledgeNumbers
from livehost.brain.knowledge.load import load_knowledge
from livehost.persona import load_persona


@pytest.fixture(scope="module")
def numbers() -> KnowledgeNumbers:
    return KnowledgeNumbers(load_knowledge(load_persona("demo").knowledge_paths))


@pytest.mark.parametrize("sentence", [
    "The blue kettle is 34,90 € and we have twelve left.",  # price written another way; its stock
    "It holds 1.7 litres and weighs 1.1 kg.",
    "Orders placed before 2 pm leave the same day.",  # 14:00
    "Returns are free within thirty days.",
    "Shipping costs 4 euros 90 below €50.",
])
def test_numbers_the_knowledge_holds_are_found(numbers, sentence):
    stated, missing = numbers.check(sentence)
    assert stated >= 1
    assert missing == []


@pytest.mark.parametrize("sentence, expected", [
    ("The kettle is 19.99 euros today.", ["19.99 euros"]),
    ("We have eleven mugs and 7 pm is closing time.", ["eleven", "7 pm"]),
    ("It costs 12 euros.", ["12 euros"]),  # 12 is a stock count, never a price
])
def test_numbers_the_knowledge_lacks_are_named(numbers, sentence, expected):
    stated, missing = numbers.check(sentence)
    assert stated == len(expected)
    assert missing == expected


@pytest.mark.slow
def test_bench_brain_command(livehost_cli, tmp_path):
    plot = tmp_path / "brain.png"
    done = livehost_cli("bench", "brain", "--json", "--questions", "8", "--plot", str(plot),
                        timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)

    assert figures["questions"] == 8 and len(figures["turns"]) == 8
    assert sum(figures["sources"].values()) == 8
    assert figures["routing"]["injection"] == {"blocked": 1}
    assert figures["routing"]["unknown"] == {"catalogue": 1}
    assert 450 <= figures["persona"]["prompt_tokens"] <= 800  # a real shop host's prompt
    assert figures["machine"]["cpus"] >= 1 and figures["machine"]["llm_threads"] >= 1

    first = figures["first_turn"]
    # the model answered it (an input-guard block or a cached answer has no first token); what
    # the output guards then made of its sampled words (temperature 0.6) may vary run to run
    assert first["source"] in {"llm", "blocked", "catalogue"} and first["first_token_ms"] > 0
    assert first["source"] == "llm" or figures["turns"][0]["reason"]  # a guard's verdict says why
    later = figures["later_turns"]
    assert later["turns"] == 7 and later["model_turns"] >= 1
    assert later["first_token_ms_p50"] > 0 and later["first_sentence_ms_p50"] > 0
    assert later["first_sentence_model_ms_p50"] >= later["first_token_ms_p50"]
    assert later["tokens_per_s"] > 0 and later["lookup_ms_p50"] > 0

    audio = figures["cache_first_audio"]
    assert figures["cache_sentences"] >= 10
    assert audio["hits"] >= 2 and 0 < audio["first_audio_ms_p50"] <= audio["first_audio_ms_max"]

    grounding = figures["grounding"]
    assert grounding["numbers_stated"] >= 2  # the kettle's price and stock, at least
    assert grounding["ungrounded"] == 0, grounding["ungrounded_examples"]
    assert grounding["numbers_found"] == grounding["numbers_stated"]

    assert set(figures["met"]) == {"first_token_p50", "first_sentence_p50",
                                   "first_sentence_model_p50", "cache_first_audio_max",
                                   "ungrounded_numbers"}
    assert figures["met"]["ungrounded_numbers"] is True
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
