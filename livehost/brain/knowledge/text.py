"""Words as matching sees them: case, accents-as-typed and punctuation ignored, plurals folded
to the singular, so "Blue-Kettles!" and "blue kettle" are the same two words."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Plurals that the suffix rules below get wrong.
_IRREGULAR = {
    "knives": "knife", "leaves": "leaf", "shelves": "shelf", "loaves": "loaf", "halves": "half",
    "children": "child", "men": "man", "women": "woman", "feet": "foot", "teeth": "tooth",
    "mice": "mouse", "geese": "goose", "people": "person", "dice": "die",
}
# Singular words ending in s that are not plurals.
_NOT_PLURAL = {
    "glass", "gas", "lens", "bus", "series", "species", "news", "yes", "this", "his", "is", "was",
    "has", "does", "us", "plus", "bonus", "canvas", "chaos", "iris", "tennis", "always", "perhaps",
    "thanks", "physics", "its", "whereas", "across", "less", "unless", "dress", "press",
}

STOPWORDS = frozenset(
    """
    a an the and or but of for to in on at by with from as is are was were be been being am do
    does did have has had having it its it's this that these those there here what which who
    whom whose how when where why can could would should will shall may might must i me my we
    our us you your yours he she they them their his her so if then than too very just about
    any some much many more most also not no yes please hi hello hey ok okay thanks thank get
    got want need like would i'd i'm you're we're they're it’s don't doesn't isn't aren't let
    let's tell know one ones really still all s
    """.split()
)


def normalize(text: str) -> str:
    """Lower case, compatibility forms folded (full-width digits, ligatures), curly quotes
    straightened."""
    return unicodedata.normalize("NFKC", text).lower().replace("’", "'")


def singular(word: str) -> str:
    word = word.removesuffix("'s")  # possessive: "kettle's" is about the kettle
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NOT_PLURAL or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses", "oes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def plural(phrase: str) -> str:
    """English plural of a noun phrase's last word ("toaster" → "toasters")."""
    head, _, last = phrase.rpartition(" ")
    if not last or singular(last) != last or not last.isalpha():
        return phrase  # already plural, or not a word we can inflect
    if last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def words(text: str) -> list[str]:
    """The words of ``text``, normalised and singular."""
    return [singular(w) for w in _WORD.findall(normalize(text))]


def word_spans(normalized: str) -> list[tuple[str, int, int]]:
    """(singular word, start, end) for each word of an already normalised text."""
    return [(singular(m.group(0)), m.start(), m.end()) for m in _WORD.finditer(normalized)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and not w.isdigit()]
