from livehost.brain.sentences import parse_emphasis, sentences_from_text, split_sentences
from livehost.media.frames import SentenceKind


def test_split_english_keeps_decimals_and_quotes():
    assert split_sentences('It costs $3.50 today. "Really?" she said. Ok!') == [
        "It costs $3.50 today.", '"Really?"', "she said.", "Ok!"
    ]


def test_split_chinese_without_spaces():
    assert split_sentences("你好！欢迎来到直播间。今天买什么？") == ["你好！", "欢迎来到直播间。", "今天买什么？"]


def test_kinds_from_punctuation():
    kinds = [s.kind for s in sentences_from_text("We open at nine. Are you sure? Wow! 真的吗？")]
    assert kinds == [SentenceKind.STATEMENT, SentenceKind.QUESTION, SentenceKind.EXCLAMATION, SentenceKind.QUESTION]


def test_emphasis_markup_is_stripped_and_indexed():
    text, marks = parse_emphasis("Are you *sure* about *that one*?")
    assert text == "Are you sure about that one?"
    assert [(m.word, m.index) for m in marks] == [("sure", 2), ("that", 4), ("one", 5)]


def test_blank_and_punctuation_only_text_has_no_sentences():
    assert sentences_from_text("  ...  ?! ") == []


def test_split_keeps_numbers_abbreviations_and_urls_whole():
    assert split_sentences("Dr. Lee sells it for $1,299.99 at 9:30 a.m. Come by! See https://x.com/a.b. Bye") == [
        "Dr. Lee sells it for $1,299.99 at 9:30 a.m.", "Come by!", "See https://x.com/a.b.", "Bye"
    ]


def test_text_is_cleaned_and_inline_tags_set_the_emotion():
    sentences = sentences_from_text("[sad] **Sorry** 😢, we are out. <|im_end|>Nova: Thanks, back soon!", names=("Nova",))
    assert [(s.text, s.emotion) for s in sentences] == [("Sorry, we are out.", "sad"), ("Thanks, back soon!", "excited")]
    assert [(m.word, m.index) for m in sentences[0].emphasis] == [("Sorry", 0)]
