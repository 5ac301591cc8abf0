"""What a guard decides about one text."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

Stage = Literal["input", "output"]


class Category(str, enum.Enum):
    """Why a text was blocked. Compares equal to its value ("injection" == Category.INJECTION)."""

    INJECTION = "injection"  # tries to replace the host's instructions
    JAILBREAK = "jailbreak"  # tries to switch the host's role or lift its rules
    PROMPT_LEAK = "prompt_leak"  # asks for (or, in a reply, reproduces) the system prompt
    ABUSE = "abuse"
    SPAM = "spam"
    PERSONAL_DATA = "personal_data"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    BANNED_WORD = "banned_word"  # replies only: a word of the persona's banned_words
    BANNED_CLAIM = "banned_claim"  # replies only: a claim the host must never make

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Verdict:
    """``reason`` is short and never quotes the text it judged, so it is safe to log or trace."""

    allowed: bool
    reason: str | None = None
    category: Category | None = None
    stage: Stage = "input"  # judged a chat message, or a sentence of a reply


ALLOWED = Verdict(True)
ALLOWED_OUTPUT = Verdict(True, stage="output")


def blocked(category: Category, reason: str, stage: Stage = "input") -> Verdict:
    return Verdict(False, reason, category, stage)
