"""Injection, jailbreak and prompt-leak detection over every view of a text, including the
readings hidden in base64 and rot13."""

from __future__ import annotations

from livehost.brain.safety import patterns_en, patterns_intl, patterns_zh
from livehost.brain.safety.encoded import base64_payloads, rot13
from livehost.brain.safety.normalize import Forms, View, normalize
from livehost.brain.safety.rules import first_match
from livehost.brain.safety.verdict import Category

# Where a message is several attacks at once, the first category here names it.
_ORDER = (Category.INJECTION, Category.PROMPT_LEAK, Category.JAILBREAK)
RULES = tuple(sorted(
    (*patterns_en.RULES, *patterns_intl.RULES, *patterns_zh.RULES),
    key=lambda r: _ORDER.index(r.category),
))
_NAME_VIEWS: frozenset[View] = frozenset({"words", "compact"})  # a viewer named "DAN" is no attack


def find_attack(forms: Forms, *, name: bool = False) -> tuple[Category, str] | None:
    """The attack a text (or, with ``name``, a viewer's display name) makes, and why."""
    hit = first_match(RULES, forms, _NAME_VIEWS if name else None)
    if hit is not None:
        return hit.category, hit.reason
    for text in forms.compact:
        shifted = rot13(text)
        if shifted is not None:
            hit = first_match(patterns_en.COMPACT, Forms("", (), (shifted,)))
            if hit is not None:
                return hit.category, f"rot13-encoded: {hit.reason}"
    for payload in base64_payloads(forms.cased):
        hit = first_match(RULES, normalize(payload))
        if hit is not None:
            return hit.category, f"base64-encoded: {hit.reason}"
    return None
