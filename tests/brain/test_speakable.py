import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from livehost.brain.sentences import parse_emphasis
from livehost.brain.speakable import clean, spoken_length

NAMES = ("Nova",)


@pytest.mark.parametrize("raw, spoken", [
    # markdown: bold and underline become livehost's *emphasis*; the rest goes
    ("This is **really** good and __very__ cheap.", "This is *really* good and *very* cheap."),
    ("A ***big*** deal, _honestly_, not my_var.", "A *big* deal, *honestly*, not my_var."),
    ("# Today's deals\n## Kitchen", "Today's deals Kitchen"),
    ("- first\n* second\n+ third\n• fourth", "first second third fourth"),
    ("1. one\n2) two\n10. ten", "one two ten"),
    ("> quoted wisdom", "quoted wisdom"),
    ("Before\n---\nafter", "Before after"),
    ("Run `pip install livehost` now.", "Run pip install livehost now."),
    ("Code:\n```python\nprint('hi. there')\n```\nDone.", "Code: Done."),
    ("An open fence ```js\nalert(1)", "An open fence"),
    ("~~old~~ new | col | col", "old new col col"),
    # links, URLs, e-mail
    ("Read [our guide](https://example.com/guide.html) first.", "Read our guide first."),
    ("![a cat](cat.png) Look!", "Look!"),
    ("Go to https://www.shop.example.com/p?id=3&x=y. Now!", "Go to shop.example.com. Now!"),
    ("See <https://docs.example.org/a/b>.", "See docs.example.org."),
    ("(www.example.com/path), ok", "(example.com), ok"),
    ("Mail help@shop.example.com or mailto:a.b@c.io today.",
     "Mail help at shop.example.com or a.b at c.io today."),
    ("访问https://example.cn/p了解更多。", "访问example.cn了解更多。"),
    # emoji and pictographs, whole sequences
    ("Hi 👋🏽 family 👨‍👩‍👧‍👦 from 🇺🇸 and 🏴󠁧󠁢󠁥󠁮󠁧󠁿!", "Hi family from and!"),
    ("Press 1️⃣ or #️⃣ ❤️ ✨ © ™ ☺︎ 🫠 ok", "Press or ok"),
    ("太棒了🎉🎉！谢谢😊", "太棒了！谢谢"),
    # role prefixes the model echoes
    ("Nova: Hello there.", "Hello there."),
    ("**Nova:** Hello.", "Hello."),
    ("Assistant: Sure.\nUSER: thanks", "Sure. thanks"),
    ("Note: this is kept.", "Note: this is kept."),
    # special tokens, html, tags, mentions, whitespace
    ("Bye!<|im_end|></s><|endoftext|>", "Bye!"),
    ("[INST] hi [/INST] <<SYS>>x<</SYS>> ok", "hi x ok"),
    ("<b>Bold</b> and<br/>more &amp; less &lt;script&gt;x&lt;/script&gt;", "Bold and more & less"),
    ("<think>Let me think. Hmm.</think>The answer is 4.", "The answer is 4."),
    ("[happy] Welcome (laughs) back [[voice:evil]] <excited>!", "Welcome back!"),
    ("Truncated reply [emot", "Truncated reply"),
    ("@nova_fan thanks!", "nova_fan thanks!"),
    ("  lots   of\n\n space\t here ", "lots of space here"),
    ("你好 世界 ， 朋友 。", "你好世界，朋友。"),
    ("【限时优惠】今天", "限时优惠今天"),
    ("🎉🎉🎉", ""),
    ("**", ""),
])
def test_clean(raw, spoken):
    assert clean(raw, NAMES) == spoken
    assert clean(spoken, NAMES) == spoken  # clean text stays as it is


def test_spoken_length_counts_cjk_as_syllables():
    assert spoken_length("Hi there, you") == 10
    assert spoken_length("你好，朋友") == 8


_EXT_PICT = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\uFE0F\u200D]")
_PIECES = st.sampled_from([
    "Hello", " ", "world", ".", ",", "**", "*", "_", "`", "```", "[happy]", "[", "]", "(", ")",
    "<", ">", "</s>", "#", "- ", "\n", "1. ", "https://x.com/a.b", "a@b.co", "👍🏿", "‍", "️",
    "🇯🇵", "3.5", "你好", "。", "Nova:", "&amp;", "🏳️‍🌈",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_clean_leaves_no_emoji_markup_or_tags(raw):
    spoken = clean(raw, NAMES)
    assert not _EXT_PICT.search(spoken)
    assert not any(mark in spoken for mark in ("`", "[", "]", "<", ">", "\n"))
    assert "*" not in parse_emphasis(spoken)[0]
    assert spoken == spoken.strip() and "  " not in spoken
