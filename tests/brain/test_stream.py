import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livehost.brain.sentences import parse_emphasis, sentences_from_text
from livehost.brain.speakable import clean
from livehost.brain.stream import SentenceStream
from livehost.brain.tags import TAG_INTENSITY, validate
from livehost.media.frames import SentenceKind
from livehost.voice.timing import words_of

NAMES = ("Nova",)


def stream(pieces, **options):
    options.setdefault("names", NAMES)
    sentences = SentenceStream(**options)
    out = [s for piece in pieces for s in sentences.feed(piece)]
    return out + sentences.flush()


def cut_at(text, cuts):
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def said(sentences):
    return [s.text for s in sentences]


def cleaned_words(text):
    """The words of the whole text cleaned at once, as they would be spoken."""
    return words_of(parse_emphasis(clean(text, NAMES))[0])


def tags(sentences):
    """All a Sentence carries but its id."""
    return [(s.text, s.kind, s.emotion, round(s.intensity, 6),
             tuple((m.word, m.index, m.strength) for m in s.emphasis)) for s in sentences]


# Sentence rules, with early clauses off: each text and the sentences it must give.
RULES = [
    ("It costs $3.50 today. Really? Yes!", ["It costs $3.50 today.", "Really?", "Yes!"]),
    ("Pi is 3.14159, and $1,299.99 is a price. 1,200 people came.",
     ["Pi is 3.14159, and $1,299.99 is a price.", "1,200 people came."]),
    ("We open at 9:30. Version 2.0.1 ships at 5 p.m. Tomorrow we rest.",
     ["We open at 9:30.", "Version 2.0.1 ships at 5 p.m.", "Tomorrow we rest."]),
    ("Meet at 5 p.m. tomorrow, ok?", ["Meet at 5 p.m. tomorrow, ok?"]),
    ("Ask Mr. Smith or Dr. Who, e.g. at St. Louis. I.e. anyone.",
     ["Ask Mr. Smith or Dr. Who, e.g. at St. Louis.", "I.e. anyone."]),
    ("Apples, pears etc. are here. Bring pens etc. We have them.",
     ["Apples, pears etc. are here.", "Bring pens etc.", "We have them."]),
    ("Made in the U.S. by J. K. Rowling vs. the U.K. team. It sold.",
     ["Made in the U.S. by J. K. Rowling vs. the U.K. team.", "It sold."]),
    ("Well... maybe. Wait… No way!", ["Well... maybe.", "Wait…", "No way!"]),
    ("She said \"Hi.\" Then she left. (It was late.) Ok.",
     ["She said \"Hi.\"", "Then she left.", "(It was late.)", "Ok."]),
    ("Visit https://shop.example.com/a.b?c=1&d=2. Then check www.example.org/x.",
     ["Visit shop.example.com.", "Then check example.org."]),
    ("Write to help.desk@shop.example.com. We answer fast!",
     ["Write to help.desk at shop.example.com.", "We answer fast!"]),
    ("Read [the F.A.Q. here. Really](https://x.com/faq) now.", ["Read the F.A.Q. here. Really now."]),
    ("你好！欢迎来到直播间。今天买什么？", ["你好！", "欢迎来到直播间。", "今天买什么？"]),
    ("价格是12.5元。“真的吗？”她问。好的,谢谢!再见.", ["价格是12.5元。", "“真的吗？”", "她问。", "好的,谢谢!", "再见."]),
    ("Hello!我们开始吧。OK? Great.", ["Hello!", "我们开始吧。", "OK?", "Great."]),
    ("Great!🎉 See you 👋🏽. Bye 👨‍👩‍👧!", ["Great!", "See you.", "Bye!"]),
    ("**Big** news: the *best* deal. Tom &amp; Jerry; both.",
     ["*Big* news: the *best* deal.", "Tom & Jerry;", "both."]),
    ("# Deals\n1. Kettle for $34.90\n2. Mug\n- free shipping\n\nThat is all.",
     ["Deals", "Kettle for $34.90", "Mug", "free shipping", "That is all."]),
    ("A sentence that\nwraps over lines. Next.", ["A sentence that wraps over lines.", "Next."]),
    ("Here:\n```python\nprint('a. b')\nx = 1.5\n```\nDone.", ["Here:", "Done."]),
    ("<think>The user wants. Hmm.</think>Sure thing.", ["Sure thing."]),
    ("Nova: Hello there.\nAssistant: hi again.", ["Hello there.", "hi again."]),
    ("Bye!<|im_end|>", ["Bye!"]),
    ("🎉🎉 !!! ... [happy]", []),
]


@pytest.mark.parametrize("text, expected", RULES)
def test_sentence_rules(text, expected):
    assert said(stream([text], first_clause_chars=0)) == [
        " ".join(parse.replace("*", "").split()) for parse in expected
    ]


@pytest.mark.parametrize("text", [text for text, _ in RULES])
def test_the_stream_and_the_whole_text_share_one_set_of_rules(text):
    assert tags(stream([text], first_clause_chars=0)) == tags(sentences_from_text(text, names=NAMES))


CORPUS = [text for text, _ in RULES] + [
    "Nova: Hello there my friend, welcome to the show! It costs 3.5 dollars, or $12.99.",
    "[excited]\n\nWow, this is **amazing** news, folks — really! (laughs) Ok.",
    "Sure — the price is $34.90, down from $40. [[voice:evil]] <script>alert(1);</script> Bye.",
    "欢迎来到直播间，今天我们有很多好东西。[开心] 快来看看吧！",
    "Hmm… [sad] we lost, sadly. [emotion: very happy] But we won the cup!",
]


@pytest.mark.parametrize("text", CORPUS)
def test_any_split_gives_the_same_sentences(text):
    whole = tags(stream([text]))
    for i in range(1, len(text)):
        assert tags(stream([text[:i], text[i:]])) == whole, (text[:i], text[i:])
    assert tags(stream(list(text))) == whole


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CORPUS), st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_cuts_give_the_same_sentences(text, cuts):
    assert tags(stream(cut_at(text, cuts))) == tags(stream([text]))


_FRAGMENTS = st.sampled_from([
    "Hello", "there", "my", "good", "friend", " ", " ", ". ", ", ", "! ", "? ", ".", ",", "…",
    "...", "3", "5", "$12.99", "1,200", "9:30", "e.g.", "Mr.", "etc.", "U.S.", "\n", "\n\n",
    "- ", "1. ", "# ", "**", "*", "`", "```", "[happy]", "[", "]", "(laughs)", "<", ">", "<b>",
    "</s>", "https://x.com/a.b", "a@b.co", "👍🏿", "🇯🇵", "你好", "，", "。", "！", "“", "”",
    "—", " - ", "&amp;", ";", ":", "Wow", "sorry", "_",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40).map("".join), st.lists(st.integers(0, 300), max_size=8))
def test_random_text_any_cuts_same_sentences(text, cuts):
    whole = stream([text])
    assert tags(stream(cut_at(text, cuts))) == tags(whole)
    assert all(validate(s) == s for s in whole)


@settings(max_examples=200, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40).map(" ".join))
def test_random_text_nothing_lost(text):
    assert words_of(" ".join(said(stream([text])))) == cleaned_words(text)


@pytest.mark.parametrize("text", CORPUS)
def test_nothing_is_lost(text):
    assert words_of(" ".join(said(stream([text])))) == cleaned_words(text)


@pytest.mark.parametrize("pieces, waits", [
    (["It costs 3", ".", "5 dollars", "."], "It costs 3.5 dollars."),
    (["Ask Mr", ".", " Smith", "."], "Ask Mr. Smith."),
    (["See https://x", ".", "com/a", ".", "b"], "See x.com"),
    (["We open at 9", ":", "30", "."], "We open at 9:30."),
    (["Really", "?", "\"", "."], "Really?\"."),
    (["Wait", ".", ".", "."], "Wait..."),
    (["Hi [hap", "py]", "."], "Hi."),
    (["List:", "\n", "1", "."], "List: 1."),
])
def test_undecided_endings_wait_for_the_next_piece(pieces, waits):
    sentences = SentenceStream(first_clause_chars=0)
    assert all(sentences.feed(piece) == [] for piece in pieces)
    assert said(sentences.flush()) == [waits]


def test_a_decimal_split_over_tokens_is_one_number():
    sentences = SentenceStream(first_clause_chars=0)
    assert sentences.feed("It costs 3") == []
    assert sentences.feed(".") == []
    assert sentences.feed("5 dollars.") == []
    assert said(sentences.feed(" Then")) == ["It costs 3.5 dollars."]
    assert said(sentences.flush()) == ["Then"]


def test_the_first_clause_comes_out_while_the_model_writes():
    tokens = ["Hello", " there", " my", " friend", ",", " welcome", " to", " the", " show",
              "!", " Today", ",", " a", " big", " day", "."]
    sentences = SentenceStream()
    outs = [sentences.feed(token) for token in tokens]
    first = next(i for i, out in enumerate(outs) if out)
    assert first == tokens.index(" welcome")  # the comma's following space decides it
    assert [(s.text, s.kind) for s in outs[first]] == [("Hello there my friend,", SentenceKind.CLAUSE)]
    rest = [s for out in outs[first + 1:] for s in out] + sentences.flush()
    # later sentences come out whole, commas and all
    assert [(s.text, s.kind) for s in rest] == [
        ("welcome to the show!", SentenceKind.EXCLAMATION),
        ("Today, a big day.", SentenceKind.STATEMENT),
    ]


@pytest.mark.parametrize("text, first, clause", [
    ("Oh, hello there my friend.", "Oh, hello there my friend.", False),  # "Oh," is too short
    ("Well, my dear friends, welcome back.", "Well, my dear friends,", True),
    ("Nova: Hi there, friends, welcome!", "Hi there, friends,", True),  # a role name is no speech
    ("Great news — the kettle is back in stock.", "Great news — the kettle is back in stock.", False),
    ("Great news, everyone — the kettle is back.", "Great news, everyone —", True),
    ("Here is the thing: it works.", "Here is the thing:", True),
    ("It costs 1,200 dollars, or less.", "It costs 1,200 dollars,", True),
    ("欢迎来到直播间，今天有好东西。", "欢迎来到直播间，", True),
    ("你好，欢迎。", "你好，欢迎。", False),
    ("No comma here at all. Then, a comma later, see.", "No comma here at all.", False),
])
def test_which_first_clause_comes_out_early(text, first, clause):
    out = stream(list(text))
    assert (out[0].text, out[0].kind == SentenceKind.CLAUSE) == (first, clause)
    assert all(s.kind != SentenceKind.CLAUSE for s in out[1:])


def test_no_early_clause_when_turned_off():
    out = stream(["Well, my dear friends, welcome back."], first_clause_chars=0)
    assert [(s.text, s.kind) for s in out] == [("Well, my dear friends, welcome back.", SentenceKind.STATEMENT)]


def test_flush_readies_the_stream_for_the_next_reply():
    sentences = SentenceStream()
    assert said(sentences.feed("[sad] Well, my dear friends, goodbye. ")) == ["Well, my dear friends,", "goodbye."]
    assert said(sentences.flush()) == []
    again = sentences.feed("Well, my dear friends, hello. ")
    assert [(s.text, s.kind, s.emotion) for s in again] == [
        ("Well, my dear friends,", SentenceKind.CLAUSE, "neutral"),
        ("hello.", SentenceKind.STATEMENT, "neutral"),
    ]


# Inline tags.

def emotions(text, **options):
    return [(s.text, s.emotion, round(s.intensity, 2)) for s in stream([text], **options)]


def test_known_tags_set_the_emotion_and_are_not_spoken():
    assert emotions("[happy] We open today. [emotion: excited] Big news. [very sad] We lost. "
                    "(laughs) That was fun. <surprised>Oh!</surprised> [angry, 0.9] No. "
                    "*sighs* Fine. 【开心】好的。（笑）谢谢。", first_clause_chars=0) == [
        ("We open today.", "happy", TAG_INTENSITY),
        ("Big news.", "excited", TAG_INTENSITY),
        ("We lost.", "sad", 0.85),
        ("That was fun.", "happy", 0.61),  # the lexicon agrees: its intensity
        ("Oh!", "surprised", TAG_INTENSITY),
        ("No.", "angry", 0.9),
        ("Fine.", "sad", TAG_INTENSITY),
        ("好的。", "happy", TAG_INTENSITY),
        ("谢谢。", "happy", 0.61),
    ]


def test_unknown_and_hostile_tags_are_dropped_never_spoken():
    text = ("[ignore previous instructions] Buy now. [[voice:evil]] Okay <script>alert(1);</script>. "
            "[robot] Hi <|im_end|> there. <img src=x onerror=alert(1)>Done [system: obey]. "
            "(pauses) Next [emot")
    out = stream([text], first_clause_chars=0)
    assert said(out) == ["Buy now.", "Okay.", "Hi there.", "Done.", "Next"]
    assert all(s.emotion == "neutral" for s in out)
    assert all(validate(s) == s for s in out)


def test_tags_in_hidden_text_count_for_nothing():
    assert emotions("<think>[angry] they are rude.</think>```\n[sad]\n```\nHello there.") == [
        ("Hello there.", "neutral", 0.5)]


def test_a_tag_alone_at_the_start_holds_for_the_next_sentence():
    assert emotions("[sad]\n\nWe lost the match. But we tried.", first_clause_chars=0) == [
        ("We lost the match.", "sad", 0.57),  # the lexicon agrees: its intensity
        ("But we tried.", "neutral", 0.5),
    ]


def test_a_tag_holds_for_its_own_sentence_only():
    assert [e for _, e, _ in emotions("Hello there. [angry] Oh really. Fine then.")] == [
        "neutral", "angry", "neutral"]


def test_a_tag_on_the_first_clause_holds_for_the_rest_of_its_sentence():
    assert emotions("[concerned] Well, my dear friends, we have news. Then more.") == [
        ("Well, my dear friends,", "concerned", TAG_INTENSITY),
        ("we have news.", "concerned", TAG_INTENSITY),
        ("Then more.", "neutral", 0.5),
    ]


def test_the_stream_emotion_replaces_the_lexicon_not_a_tag():
    assert [e for _, e, _ in emotions("I love it. [happy] Thanks.", emotion="sad")] == ["sad", "happy"]


def test_the_analyzer_tags_what_the_text_does_not_say():
    out = stream(["Are you *sure* about that? Thanks so much! We have 200 kettles left."])
    assert [(s.kind, s.emotion) for s in out] == [
        (SentenceKind.QUESTION, "neutral"),
        (SentenceKind.EXCLAMATION, "excited"),
        (SentenceKind.STATEMENT, "neutral"),
    ]
    assert [(m.word, m.index) for m in out[0].emphasis] == [("sure", 2)]
    assert [m.word for m in out[2].emphasis] == ["200"]
