"""``livehost ask`` end to end: the real CLI on the demo shop, with the real embedded model
where a question reaches it. Every number said must be the knowledge's own."""

import json
import re
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from chat_server import ChatServer
from media_probe import decode, read_trace

from livehost.brain.prompt import system_prompt
from livehost.persona import load_persona

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "personas" / "demo"
PERSONA = load_persona(str(DEMO))
CATALOGUE = yaml.safe_load((DEMO / "catalogue.yaml").read_text(encoding="utf-8"))
PRODUCTS = {p["id"]: p for p in CATALOGUE["products"]}
KNOWLEDGE_TEXT = "\n".join(path.read_text(encoding="utf-8") for path in PERSONA.knowledge_paths)

# One file, plain lines and JSON lines mixed: (key, question, as JSON).
QUESTIONS = [
    ("price", "How much is the blue kettle?", False),
    ("stock", "Is the cast iron skillet in stock?", True),
    ("spec", "How heavy is the cast iron skillet?", False),
    ("sold_out", "Is the glass teapot in stock?", True),
    ("faq", "Is shipping free?", False),
    ("unknown", "do you sell toasters?", False),
    ("zh_price", "oak cutting board 多少钱？", True),  # the catalogue has no Chinese names
    ("chat", "hi Nova, how is your day going?", False),
    ("chat_more", "Tell me something fun about yourself!", True),
]

_ONES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_TOKEN = re.compile(r"(?<![A-Za-z_\d.,])\d+(?:[.,]\d+)?|[A-Za-z]+")


def numbers(text: str) -> list[Decimal]:
    """Every number in a text, digits or English words ("thirty-four" is 34)."""
    found: list[Decimal] = []
    tens = None
    for token in _TOKEN.findall(text.replace("-", " ")):
        word = token.lower()
        if tens is not None and word in _ONES and 0 < _ONES[word] < 10:
            found[-1] += _ONES[word]
        elif word in _TENS:
            found.append(Decimal(_TENS[word]))
        elif word in _ONES:
            found.append(Decimal(_ONES[word]))
        elif token[0].isdigit():
            found.append(Decimal(token.replace(",", ".")))
        tens = word if word in _TENS else None
    return found


def price_of(product: dict) -> Decimal:
    """As the catalogue writes it: 34.90, not the 34.9 YAML reads."""
    return Decimal(f"{product['price']:.2f}")


def whole_parts(values) -> set[int]:
    """34.90 as {34, 90}: how a spoken price may come back from speech recognition."""
    return {int(part) for v in values for part in str(v).split(".")}


KNOWN_NUMBERS = set(numbers(KNOWLEDGE_TEXT))


def product_numbers(product: dict) -> set[Decimal]:
    texts = [str(product["price"]), str(product["stock"]), product["description"]]
    texts += [f"{k} {v}" for k, v in product["specs"].items()]
    texts += [f"{f['q']} {f['a']}" for f in product.get("faq", ())]
    return set(numbers(" ".join(texts)))


def faq_answer(question: str) -> str:
    faq = (DEMO / "faq.md").read_text(encoding="utf-8")
    match = re.search(rf"^Q: {re.escape(question)}\nA: (.+?)\n\n", faq, re.MULTILINE | re.DOTALL)
    assert match, question
    return " ".join(match.group(1).split())


def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_error_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """Every question of QUESTIONS asked in one run of the CLI (the model loads once, so the
    run is shared by the module rather than made per test like ``livehost_cli``'s)."""
    path = tmp_path_factory.mktemp("ask") / "questions.txt"
    lines = [json.dumps({"text": q}) if as_json else q for _, q, as_json in QUESTIONS]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    command = [sys.executable, "-m", "livehost", "ask", "--questions", str(path), "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO,
                            check=False)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == [q for _, q, _ in QUESTIONS]
    return {key: record for (key, _, _), record in zip(QUESTIONS, records)}


@pytest.mark.slow
@pytest.mark.parametrize(("key", "product_id"),
                         [("price", "kettle-blue"), ("zh_price", "board-oak")])
def test_a_price_question_gets_the_catalogue_price_and_stock(answers, key, product_id):
    record, product = answers[key], PRODUCTS[product_id]
    said = numbers(record["reply"])
    assert (record["source"], record["reason"]) == ("catalogue", f"catalogue: {product_id}")
    assert price_of(product) in said and Decimal(product["stock"]) in said, record["reply"]
    assert set(said) <= product_numbers(product), record["reply"]
    assert record["sentences"] and " ".join(record["sentences"]) == record["reply"]
    assert record["timings"]["first_token"] is None  # the model was not asked


@pytest.mark.slow
def test_stock_spec_and_sold_out_come_from_the_catalogue(answers):
    skillet, teapot = PRODUCTS["skillet-cast-iron"], PRODUCTS["teapot-glass"]
    stock, spec, sold_out = answers["stock"], answers["spec"], answers["sold_out"]
    for record in (stock, spec, sold_out):
        assert record["source"] == "catalogue", record
    assert Decimal(skillet["stock"]) in numbers(stock["reply"]) and "in stock" in stock["reply"]
    weight, unit = skillet["specs"]["weight"].split()
    assert numbers(spec["reply"]) == [Decimal(weight)], spec["reply"]
    assert re.search(rf"\b{unit}\b", spec["reply"]), spec["reply"]
    assert teapot["stock"] == 0 and "sold out" in sold_out["reply"]
    assert set(numbers(sold_out["reply"])) <= product_numbers(teapot), sold_out["reply"]


@pytest.mark.slow
def test_a_faq_is_answered_word_for_word(answers):
    record = answers["faq"]
    # With --json there is no voice, so no cached speech: the FAQ's text comes as the catalogue's.
    assert (record["source"], record["reason"]) == ("catalogue", "faq: Is shipping free?")
    assert record["reply"] == faq_answer("Is shipping free?")


@pytest.mark.slow
def test_an_unknown_product_is_not_carried_and_has_no_numbers(answers):
    record = answers["unknown"]
    assert (record["source"], record["reason"]) == ("catalogue", "not in the catalogue: toasters")
    assert "don't carry" in record["reply"], record["reply"]
    assert not re.search(r"\d", record["reply"]), record["reply"]


@pytest.mark.slow
@pytest.mark.parametrize("key", ["chat", "chat_more"])
def test_chit_chat_goes_to_the_model_and_keeps_the_prompt_in(answers, key, prompt_span):
    record = answers[key]
    assert record["source"] in ("llm", "fallback"), record
    assert record["reply"].strip(), record
    if record["source"] == "llm":
        assert record["timings"]["first_token"] is not None
    else:
        assert record["reply"] in PERSONA.fallback_lines
    assert prompt_span(record["reply"], system_prompt(PERSONA)) is None, record["reply"]
    assert "Rules:" not in record["reply"] and "Facts" not in record["reply"]


@pytest.mark.slow
def test_no_reply_states_a_number_the_knowledge_does_not_hold(answers):
    ungrounded = {key: (sorted(set(numbers(r["reply"])) - KNOWN_NUMBERS), r["reply"])
                  for key, r in answers.items()}
    assert not [key for key, (extra, _) in ungrounded.items() if extra], ungrounded


def test_conversation_memory_is_kept_only_with_the_flag(livehost_cli, tmp_path):
    """Seen from the model's side: the requests a local OpenAI-style server receives."""
    first, second = "hello Nova, I am Sam and I love green tea", "what did I tell you I love?"
    questions = tmp_path / "q.txt"
    questions.write_text(f"{first}\n{second}\n", encoding="utf-8")
    server = ChatServer()
    try:
        sent = {}
        for flag in ((), ("--conversation",)):
            server.requests.clear()
            result = livehost_cli("ask", "--questions", str(questions), "--json", "--user", "Sam",
                                  "--llm", f"openai:{server.url}?model=scripted", *flag)
            assert result.returncode == 0, result.stderr
            records = [json.loads(line) for line in result.stdout.splitlines()]
            assert [(r["source"], r["reply"]) for r in records] == [("llm", "Hello there!")] * 2
            asked = [r for r in server.requests if r["messages"][-1]["content"].endswith(second)]
            assert len(asked) == 1, server.requests
            sent[flag] = asked[0]["messages"]
    finally:
        server.stop()
    fresh, kept = sent[()], sent[("--conversation",)]
    system = system_prompt(PERSONA)
    assert fresh == [{"role": "system", "content": system}, {"role": "user", "content": second}]
    assert kept[:3] == [{"role": "system", "content": system}, {"role": "user", "content": first},
                        {"role": "assistant", "content": "Hello there!"}]
    # the note about Sam recalls the first question, and the second follows it
    assert kept[3]["role"] == "user" and "Sam, back again" in kept[3]["content"]
    assert first[:20] in kept[3]["content"] and kept[3]["content"].endswith(second)


@pytest.mark.slow
def test_out_renders_the_spoken_price_that_whisper_hears(livehost_cli, demo_copy, tmp_path):
    from livehost.voice.intelligibility import Transcriber

    persona, out, trace = demo_copy(), tmp_path / "reply.mp4", tmp_path / "reply.jsonl"
    kettle = PRODUCTS["kettle-blue"]
    result = livehost_cli("ask", "--persona", str(persona), "--out", str(out),
                          "--trace", str(trace), "--text", "How much is the blue kettle?")
    assert result.returncode == 0, result.stderr
    record = json.loads(next(line for line in result.stderr.splitlines() if line.startswith("{")))
    assert record["source"] == "catalogue" and price_of(kettle) in numbers(record["reply"])

    media = decode(out)
    assert (media.video_codec, media.audio_codec) == ("h264", "aac")
    assert media.video_seconds > 2
    # Audio and video as long as each other, within a frame and the AAC padding.
    assert abs(media.audio_seconds - media.video_seconds) <= 1 / media.video_fps + 0.03
    _, events = read_trace(trace)
    sentences = [e for e in events if e["event"] == "sentence"]
    assert [e["text"] for e in sentences] == record["sentences"]
    assert all(e["to"] == "q1" for e in sentences) and sentences[-1]["t1"] <= media.video_seconds

    heard = Transcriber().transcribe(media.audio, media.sample_rate)
    words = set(re.findall(r"[a-z]+", heard.lower()))
    assert {"blue", "kettle"} <= words, heard
    expected = whole_parts([price_of(kettle), Decimal(kettle["stock"])])
    assert expected <= whole_parts(numbers(heard)), (heard, expected)


def test_a_dead_server_gives_the_fallback_line_and_the_brain_keeps_going(livehost_cli, tmp_path):
    port, key = free_port(), "sk-test-5f0c1d2e3a4b"
    questions = tmp_path / "q.txt"
    questions.write_text("hi Nova, how is your day going?\nHow much is the blue kettle?\n",
                         encoding="utf-8")
    result = livehost_cli("ask", "--questions", str(questions), "--json",
                          "--llm", f"openai:http://127.0.0.1:{port}/v1?key_env=LIVEHOST_TEST_KEY",
                          env={"LIVEHOST_TEST_KEY": key})
    assert result.returncode == 0, result.stderr
    chat, price = [json.loads(line) for line in result.stdout.splitlines()]
    assert chat["source"] == "fallback" and chat["reply"] in PERSONA.fallback_lines
    assert "cannot connect" in chat["reason"], chat
    # The log names the server and the cause; the reason only the cause.
    assert f"127.0.0.1:{port}" in result.stderr and "cannot connect" in result.stderr
    assert "Traceback" not in result.stderr
    assert price["source"] == "catalogue"
    assert price_of(PRODUCTS["kettle-blue"]) in numbers(price["reply"])
    assert key not in result.stdout + result.stderr


def test_a_broken_catalogue_row_is_one_line_naming_file_row_and_field(livehost_cli, demo_copy):
    persona = demo_copy()
    catalogue = persona / "catalogue.yaml"
    row = list(PRODUCTS).index("mug-set")
    text = catalogue.read_text(encoding="utf-8")
    price = f"price: {price_of(PRODUCTS['mug-set'])}"
    assert text.count(price) == 1
    catalogue.write_text(text.replace(price, "price: twenty-four"), encoding="utf-8")
    line = one_error_line(livehost_cli("ask", "--persona", str(persona), "--json",
                                       "--text", "How much is the mug set?"))
    assert f"catalogue.yaml: products[{row}] (mug-set): price: not a number ('twenty-four')" in line


@pytest.mark.parametrize(
    ("llm", "message"),
    [
        ("nonsense", "--llm: unknown backend 'nonsense'"),
        ("openai:http://127.0.0.1:9/v1?key_env=NOT_SET_VAR",
         "environment variable NOT_SET_VAR is not set"),
    ],
)
def test_a_bad_model_spec_is_one_line(livehost_cli, llm, message):
    assert message in one_error_line(livehost_cli("ask", "--text", "hello", "--json", "--llm", llm))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\n   \n\n", "has no questions"),
        ('{"text": "How much is the blue kettle?"}\n{"text": \n', "q.jsonl:2: not valid JSON"),
        ('How much is the blue kettle?\n{"question": "hi"}\n',
         'q.jsonl:2: a JSON line needs a non-empty "text"'),
    ],
)
def test_a_bad_questions_file_is_one_line(livehost_cli, tmp_path, content, message):
    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    assert message in one_error_line(livehost_cli("ask", "--questions", str(path), "--json"))
