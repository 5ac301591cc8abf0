"""A persona's own word lists (banned words, claims, abuse words) as one matcher: Latin
phrases match as whole words, case and accents and punctuation aside ("risk-free" finds
"Risk free"); phrases with CJK characters match anywhere, spacing aside."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from livehost.brain.safety.normalize import CJK, clean, compact, fold

_PART = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Phrases:
    words: re.Pattern[str] | None  # on ``fold``ed text
    compact: re.Pattern[str] | None  # on ``compact`` text

    def search(self, words: Sequence[str], compacts: Sequence[str]) -> bool:
        return bool(
            (self.words is not None and any(self.words.search(w) for w in words))
            or (self.compact is not None and any(self.compact.search(c) for c in compacts))
        )


def phrases(items: Iterable[str]) -> Phrases:
    latin, cjk = [], []
    for item in items:
        if CJK.search(item):
            if key := compact(item):
                cjk.append(re.escape(key))
        elif parts := _PART.findall(fold(clean(item))):
            latin.append(r"\W+".join(re.escape(p) for p in parts))
    return Phrases(
        re.compile(rf"(?<![^\W_])(?:{'|'.join(latin)})(?![^\W_])") if latin else None,
        re.compile("|".join(cjk)) if cjk else None,
    )
