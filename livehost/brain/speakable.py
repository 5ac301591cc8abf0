"""Model output to text a voice can say: markdown, links, emoji, tags, echoed role names and
stray special tokens go; ``**x**`` and ``__x__`` become livehost's ``*x*`` emphasis marks.

A URL is spoken as its domain ("https://www.shop.example.com/p?id=3" → "shop.example.com"):
a viewer can type it, and no voice should read out a path. A markdown link keeps its text, an
e-mail address is read "name at domain". Code blocks and ``<think>`` / ``<script>`` / ``<style>``
elements are dropped with their contents: nobody wants to hear them.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import regex

from livehost.brain.tags import strip_cut_off_tag, strip_tags
from livehost.voice.timing import CJK

# Whole emoji sequences: pictographs with their skin tones, variation selectors, ZWJ joins
# and tag characters (subdivision flags), keycaps (1️⃣), and regional-indicator flags.
EMOJI = regex.compile(
    r"(?:[#*0-9]\uFE0F?\u20E3|[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}])"
    r"(?:[\uFE0E\uFE0F\u20E3\p{Emoji_Modifier}\U000E0020-\U000E007F]"
    r"|\u200D[\p{Extended_Pictographic}\p{Emoji_Modifier}]?)*"
    r"|[\uFE0E\uFE0F\u200D]"  # left over: invisible, nothing to say
)
# Elements whose contents are never spoken; an unclosed one runs to the end of the text.
RAW_ELEMENTS = ("think", "script", "style")
_RAW = re.compile(
    rf"```.*?(?:```|\Z)|<({'|'.join(RAW_ELEMENTS)})\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\[\]\n]*)\]\([^)\n]*\)")
_AUTOLINK = re.compile(r"<((?:https?://|www\.|mailto:)[^<>\s]+)>", re.IGNORECASE)
# Up to a space, a quote or bracket, or CJK text; trailing punctuation belongs to the sentence.
_URL = re.compile(
    r"(?<![A-Za-z0-9.@/-])(?:https?://|www\.)[^\s<>\"'`\[\]\u2013-\u201d\u2026\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?:mailto:)?(?<![\w.+@-])([\w.+-]+)@((?:[\w-]+\.)+[A-Za-z]{2,})\b(?!@)")
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)
# What opens a heading, list or quote line (the sentence rules end a sentence before one).
BLOCK_MARK = r"(?:#{1,6}|[-*+•]|\d{1,3}[.)])"
_LINE_MARK = re.compile(rf"^[ \t]*(?:{BLOCK_MARK}[ \t]+|>)+", re.MULTILINE)
_BOLD = re.compile(r"(\*{2,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
_UNDERSCORE = re.compile(r"(?<![\w*])_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)")
# livehost's emphasis markup: what survives of markdown's bold and italics (``parse_emphasis``).
EMPHASIS_MARK = re.compile(r"\*(?![\s*])([^*\n]*?[^\s*])\*")
_LOOSE_UNDERSCORES = re.compile(r"(?<!\w)_+|_+(?!\w)")  # not the one in snake_case
_LOOSE_HYPHEN = re.compile(r"(?<![\w-])-{1,2}(?![\w-])")  # " - " is a dash: a pause, no word
_STRIKE = re.compile(r"~~(.+?)~~")
_CODE = re.compile(r"(`+)(.+?)\1")
_ROLES = ("assistant", "system", "user", "ai", "bot", "host", "model", "narrator", "chatgpt")
_MENTION = re.compile(r"(?<![\w@])@(?=\w)")
_STRAY = re.compile(r"[\[\]{}<>|\\^~【】〖〗]")
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[,.!?;:，。！？；：、…)）」』])")
_CJK_GAP = re.compile(rf"(?<=[{CJK.pattern[1:-1]}，。！？；：、」』）])\s+(?=[{CJK.pattern[1:-1]}])")


def _domain(match: re.Match[str]) -> str:
    url = match.group(0)
    trail = re.search(r"[.,;:!?)]+$", url)
    url = url[: trail.start()] if trail else url
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host + (trail.group(0) if trail else "")


def _without_stray_stars(text: str) -> str:
    """Asterisks outside a ``*x*`` pair are markup left over (a bold cut in two by a
    sentence end): they go."""
    out, last = [], 0
    for match in EMPHASIS_MARK.finditer(text):
        out += [text[last : match.start()].replace("*", ""), match.group(0)]
        last = match.end()
    out.append(text[last:].replace("*", ""))
    return "".join(out)


@lru_cache(maxsize=16)
def _role_prefix(names: tuple[str, ...]) -> re.Pattern[str]:
    who = "|".join(re.escape(name) for name in (*names, *_ROLES) if name.strip())
    return re.compile(rf"^[ \t]*[*_]*(?:{who})[*_]*[ \t]*[:：][*_]*[ \t]*", re.MULTILINE | re.IGNORECASE)


def without_hidden(text: str) -> str:
    """The text with HTML entities decoded and what is never spoken — code blocks, <think>
    and the like — removed: what a reader of its tags may look at."""
    return _RAW.sub(" ", html.unescape(text))


def clean(
    text: str, names: tuple[str, ...] = (), final: bool = True, line_start: bool = True
) -> str:
    """Speakable text; ``names`` are the persona's names, dropped where the model echoes
    "Name:" at the start of a line or sentence. ``final``: the text ends the reply (a tag left
    open at its end was cut off). ``line_start``: the text begins a line (else a "1. " at its
    start is no list number). Returns "" when nothing is left to say."""
    text = without_hidden(strip_cut_off_tag(text) if final else text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _URL.sub(_domain, text)
    text = _EMAIL.sub(r"\1 at \2", text)
    head, newline, rest = ("", "", text) if line_start else text.partition("\n")
    text = head + newline + _LINE_MARK.sub("", _RULE.sub(" ", rest))
    text = strip_tags(text)
    text = _BOLD.sub(r"*\2*", text)
    text = _UNDERSCORE.sub(r"*\1*", text)
    text = _STRIKE.sub(r"\1", text)
    text = _CODE.sub(r"\2", text).replace("`", "")  # as if a sentence end had not cut it
    text = EMOJI.sub(" ", text)
    text = _MENTION.sub("", text)
    text = _STRAY.sub(" ", _LOOSE_UNDERSCORES.sub(" ", text))
    text = _LOOSE_HYPHEN.sub("—", text)
    text = _without_stray_stars(text)
    text = _role_prefix(tuple(names)).sub("", text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_MARK.sub("", text)
    return _CJK_GAP.sub("", text)


def spoken_length(text: str) -> int:
    """Roughly how long the text takes to say, in Latin letters: letters and digits count one,
    a CJK character (a syllable) two."""
    return sum(2 if CJK.match(ch) else 1 for ch in text if ch.isalnum())
