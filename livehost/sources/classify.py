"""Reading a chat line: is it a question, does it name the host, and what counts as "the
same text" for dedupe. English and Chinese; pure functions, so the queue's rules stay small."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Question words: ASCII ones must be the message's first word ("is it waterproof"); others
# (Chinese has no spaces between words) count anywhere in the message.
QUESTION_WORDS: tuple[str, ...] = (
    "what", "why", "how", "when", "where", "who", "whom", "whose", "which",
    "is", "are", "am", "was", "were", "can", "could", "do", "does", "did", "will", "would",
    "should", "shall", "may", "might", "have", "has", "any", "anyone", "wanna",
    "什么", "为什么", "怎么", "如何", "哪", "谁", "多少", "几点", "是不是", "有没有", "能不能",
    "可不可以", "会不会", "吗",
)

_TRAILING = re.compile(r"[^\w?？]+$")  # emoji, spaces, punctuation after the last word or "?"
_FIRST_WORD = re.compile(r"[a-z']+")
_NOT_WORD = re.compile(r"[\W_]+")


def is_question(text: str, words: Iterable[str] = QUESTION_WORDS) -> bool:
    """Ends with ? / ？ (trailing emoji and punctuation aside), ends with 呢, or starts with a
    question word."""
    tail = _TRAILING.sub("", text.strip())
    if tail.endswith(("?", "？", "呢")):
        return True
    folded = tail.casefold()
    first = _FIRST_WORD.match(folded)
    for word in words:
        if word.isascii():
            if first is not None and first.group() == word:
                return True
        elif word in folded:
            return True
    return False


def mention_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any of ``names`` (case-insensitive, optional @). Latin names
    match as whole words ("Ava" not in "lava"); CJK names anywhere."""
    parts = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        escaped = re.escape(name)
        parts.append(rf"(?<!\w)@?{escaped}(?!\w)" if name.isascii() else escaped)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def normalize(text: str) -> str:
    """The text as dedupe compares it: NFKC, case-folded, punctuation and spacing ignored.
    A message of only emoji or punctuation compares as itself."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = _NOT_WORD.sub(" ", folded).strip()
    return words or folded.strip()
