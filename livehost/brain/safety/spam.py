"""Spam: floods of one character or word, all-caps floods, links — many, or to sites the
persona does not name — and one viewer posting the same message again and again.

The host never opens a link: it has no tools, and a URL in chat is only ever text to it.
Links are flagged because they are how spam advertises, not because they could be fetched."""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Sequence

_RUN = re.compile(r"(.{1,4}?)\1{3,}", re.DOTALL)
_RUN_CHARS = 16  # "!!!!…" ×16, "ha" ×8: a flood, while "666" or "hahaha" are cheering
_WORD = re.compile(r"[^\W_]+")
_TLDS = (
    "com|net|org|io|ly|co|me|xyz|ru|cn|top|info|biz|app|link|gg|tv|shop|store|site|online|club|"
    "vip|cc|tk|ml|ga|cf|gq|pw|click|live|fun|icu|buzz|to|us|uk|de|fr|jp|cam|win|bid|loan|work|"
    "party|stream|download|zip|mov"
)
_LINK = re.compile(
    rf"(?i)\b(?:https?://|www\.)[^\s<>\"']+|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/\S*)?"
    rf"|\b[a-z0-9-]{{2,}}\s*[(\[]?\s*dot\s*[)\]]?\s*(?:{_TLDS})\b"
)
# A cheap first look, before the full link pattern runs.
_MAYBE_LINK = re.compile(rf"(?i)\.(?:{_TLDS})\b|dot\s*[)\]]?\s*(?:{_TLDS})\b|https?:|www\.")
_HOST = re.compile(r"(?i)^(?:https?://)?(?:www\.)?([^/:?#\s]+)")
_MAX_LINKS = 2
_CAPS_LETTERS = 40
_USERS = 2048  # viewers remembered for the repeat check
REPEATS = 3  # the same message this many times in a row from one viewer is a flood


def spam_reason(cased: str, allowed_domains: Sequence[str]) -> str | None:
    for run in _RUN.finditer(cased):
        if len(run.group()) >= _RUN_CHARS:
            return "a flood of one character or word"
    words = _WORD.findall(cased.casefold())
    if len(words) >= 5:
        _, count = Counter(words).most_common(1)[0]
        if count >= 5 and count * 2 > len(words):
            return "the same word over and over"
    links = _LINK.findall(cased) if _MAYBE_LINK.search(cased) else []
    if len(links) > _MAX_LINKS:
        return "too many links"
    if any(not _allowed(link, allowed_domains) for link in links):
        return "a link to a site the persona does not name"
    upper = sum(map(str.isupper, cased))
    if (
        upper >= _CAPS_LETTERS
        and upper >= 0.9 * (upper + sum(map(str.islower, cased)))
        and "?" not in cased and "？" not in cased
    ):
        return "an all-caps flood"
    return None


def _allowed(link: str, domains: Sequence[str]) -> bool:
    if re.search(r"(?i)\sdot\s|[(\[]dot[)\]]", link):
        return False  # spelled out to get past filters
    match = _HOST.match(link)
    host = match.group(1).casefold().rstrip(".") if match else ""
    return any(host == d.casefold() or host.endswith("." + d.casefold()) for d in domains)


class RepeatCounter:
    """How many times in a row each viewer sent the same (normalized) message."""

    def __init__(self) -> None:
        self._last: OrderedDict[str, tuple[str, int]] = OrderedDict()

    def count(self, user: str, key: str) -> int:
        previous, n = self._last.pop(user, ("", 0))
        n = n + 1 if previous == key else 1
        self._last[user] = (key, n)
        if len(self._last) > _USERS:
            self._last.popitem(last=False)
        return n
