"""A text as a reader sees it, in the views the rules match on.

Chat hides words from filters with look-alike letters (Cyrillic "о" for "o"), full-width or
"mathematical" letters, invisible characters, HTML entities, leetspeak ("1gn0r3") and letters
spaced out ("i g n o r e"). Each view undoes those tricks, so a rule is written once, in plain
lower-case words, and matches them all:

- ``cased``: NFKC, invisible characters gone, look-alikes mapped to Latin, entities and
  %-escapes decoded; case and punctuation kept (for "DAN", base64, personal data).
- ``words``: lower-case, accents gone, spaced-out letters joined, one space between words;
  the plain reading, then the de-leeted ones.
- ``compact``: only the letters, digits and CJK characters of each ``words`` reading — no
  spacing or punctuation trick survives it (and Chinese has no spaces to begin with).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

# Unicode "tag" characters mirror ASCII invisibly ("ASCII smuggling"): read them as ASCII.
_TAGS = {0xE0000 + code: code for code in range(0x20, 0x7F)}
_TAG = re.compile("[\U000e0020-\U000e007e]")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e001f\U000e007f-\U000e01ef]"
)
# Cyrillic and Greek letters that look Latin; NFKC already folds full-width and styled forms.
_LOOKALIKE = str.maketrans(
    "АВЕКМНОРСТХУЅІЈԚԜаеорсухѕіјԁԛԝһӏɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοικνρτυχεı‘’‛ʼ“”„",
    "ABEKMHOPCTXYSIJQWaeopcyxsijdqwhlgABEZHIKMNOPTYXaoiknptuxei''''\"\"\"",
)
_FOREIGN = re.compile("[\u0131\u0261\u02bc\u0370-\u052f\u2018-\u201e]")  # what _LOOKALIKE maps
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_SEPARATOR = "[ \t._*·|/\\\\-]"
# Three or more lone letters or digits with separators between: "i g n o r e", "d.a.n".
_SPACED = re.compile(rf"(?<![^\W_])(?:[^\W_]{_SEPARATOR}{{1,3}}){{2,}}[^\W_](?![^\W_])")
_GAP = re.compile(rf"{_SEPARATOR}+")
_WIDE_GAP = re.compile(r"\s{2,}|[/|\\]|[._*·-]{2,}")  # a word break inside spaced-out letters
_EDGE = re.compile(r"^([\"'(\[]*)(.*?)([\"'.,;:?!)\]]*)$", re.DOTALL)
_LETTER = re.compile(r"[^\W\d_]")
_LEET = str.maketrans("013456789@$!|+€", "oieasgtbgasiite")
_LEET_L = str.maketrans("1|", "ll")  # "ru1es", "|eak": the other reading of 1 and |
# A word with a leet character beside a letter ("1gn0r3", "!gnore"; not "hello!" or "$5").
_LEETY = re.compile(r"(?<!\S)\S{0,40}?(?:[^\W\d_][0-9@$|+€]|[0-9@$|+€!][^\W\d_])\S{0,40}")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")
CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")  # kana, hanzi, hangul

View = Literal["cased", "words", "compact"]


@dataclass(frozen=True, slots=True)
class Forms:
    cased: str
    words: tuple[str, ...]
    compact: tuple[str, ...]

    def readings(self, view: View) -> tuple[str, ...]:
        if view == "cased":
            return (self.cased,)
        return self.words if view == "words" else self.compact


def clean(text: str) -> str:
    """NFKC, invisible characters gone (tag characters read as ASCII), look-alikes as Latin,
    HTML entities and %-escapes decoded. Case, spacing and punctuation stay."""
    if not text.isascii():  # ASCII has nothing to fold, and most chat is ASCII
        if _TAG.search(text):
            text = text.translate(_TAGS)
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
        if _FOREIGN.search(text):
            text = text.translate(_LOOKALIKE)
    if "&" in text:
        text = html.unescape(text)
    if _ESCAPE.search(text):
        text = unquote(text)
    return text


def fold(text: str) -> str:
    """Case-folded, accents removed ("précédentes" → "precedentes"), spacing collapsed."""
    text = text.casefold()
    if not text.isascii():
        bare = _MARKS.sub("", unicodedata.normalize("NFD", text))
        text = unicodedata.normalize("NFC", bare)
    return _SPACES.sub(" ", text).strip()


def compact(text: str) -> str:
    """Only letters, digits and CJK characters, case-folded: spacing and punctuation ignored."""
    return _NOT_WORD.sub("", fold(clean(text)))


def normalize(text: str) -> Forms:
    cased = clean(text)
    despaced = _SPACED.sub(_join_spaced, cased.casefold())
    plain = fold(despaced)
    words = [plain]
    leet = _deleet(plain, _LEET)
    if leet != plain:
        words += [leet, _deleet(_deleet(plain, _LEET_L), _LEET)]
    readings = tuple(dict.fromkeys(words))
    return Forms(cased, readings, tuple(dict.fromkeys(_NOT_WORD.sub("", w) for w in readings)))


def _join_spaced(match: re.Match[str]) -> str:
    return " ".join(_GAP.sub("", part) for part in _WIDE_GAP.split(match.group()))


def _deleet(text: str, table: dict[int, int | str | None]) -> str:
    """Leet digits and symbols read as letters, but only inside words that have letters too:
    "1gn0r3" → "ignore", while "$5" and "2024" stay numbers."""

    def one(match: re.Match[str]) -> str:
        lead, core, tail = _EDGE.match(match.group()).groups()  # type: ignore[union-attr]
        if not _LETTER.search(core):
            return match.group()
        return lead + core.translate(table) + tail

    return _LEETY.sub(one, text)
