"""Does a reply sentence give the system prompt away?

It does when it says a planted secret (any case or spacing), or reproduces a long enough
span of the prompt: about eight words from anywhere in it, or 40 % of one of its lines (at
least about four words). Texts are compared as letters, digits and CJK characters only, so
re-casing, re-spacing and punctuation change nothing; a CJK character counts as three Latin
letters. Quoted text in the prompt ("Say \\"Welcome to the shop!\\"") and the ``public`` texts
(the greeting, catalogue facts…) are the host's to say and never count."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from livehost.brain.safety.normalize import CJK, clean, compact
from livehost.errors import LivehostError

_KEY = 6  # characters that index the prompt
_POSITIONS = 32  # kept per key: a prompt repeating itself needs no more
_SPAN_UNITS = 36  # about eight words, from anywhere in the prompt
_LINE_SHARE = 0.4
_LINE_UNITS = 20  # about four words: the least of a line that counts
_CJK_UNITS = 3
_TAIL = 160  # characters of the reply so far that a span may start in
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|「[^」\n]*」|『[^』\n]*』')
_LINE = re.compile(r"[\n.!?;。！？；]+")
_BREAK = "\x00"  # never in a compact text, so no span runs across it
_SECRET_CHARS = 4


class PromptLeak:
    def __init__(
        self, system_prompt: str, secrets: Sequence[str] = (), public: Sequence[str] = ()
    ) -> None:
        self._secrets = []
        for i, secret in enumerate(secrets):
            key = compact(secret)
            if len(key) < _SECRET_CHARS:
                raise LivehostError(
                    f"safety secret #{i + 1} is too short to look for: give at least "
                    f"{_SECRET_CHARS} letters or digits"
                )
            self._secrets.append(key)
        prompt = clean(system_prompt)
        lines = [compact(line) for line in _LINE.split(prompt)]
        self._text = "".join(lines)
        # Line bounds in the compact prompt, and how many units of each make a leak.
        self._starts, self._ends, self._needs = [], [], []
        offset = 0
        for line in lines:
            if line:
                self._starts.append(offset)
                self._ends.append(offset + len(line))
                self._needs.append(min(_SPAN_UNITS, max(_LINE_UNITS, _LINE_SHARE * _units(line))))
            offset += len(line)
        for text in (*(m.group()[1:-1] for m in _QUOTED.finditer(prompt)), *public):
            self._mask(compact(text))
        self._prefix = [0]
        for ch in self._text:
            self._prefix.append(self._prefix[-1] + (_CJK_UNITS if CJK.match(ch) else 1))
        self._index: dict[str, list[int]] = {}
        for p in range(len(self._text) - _KEY + 1):
            key = self._text[p:p + _KEY]
            if _BREAK not in key:
                positions = self._index.setdefault(key, [])
                if len(positions) < _POSITIONS:
                    positions.append(p)

    def check(self, sentence: str, reply_so_far: str = "") -> str | None:
        """Why the sentence leaks the prompt, or None."""
        tail = compact(reply_so_far[-_TAIL:])
        said = compact(sentence)
        both = tail + said
        if any(secret in both for secret in self._secrets):
            return "says a secret of the system prompt"
        for i in range(len(both) - _KEY + 1):
            for p in self._index.get(both[i:i + _KEY], ()):
                n, most = _KEY, min(len(both) - i, len(self._text) - p)
                while n < most and both[i + n] == self._text[p + n]:
                    n += 1
                if i + n > len(tail) and self._leaks(p, p + n):
                    return "repeats the system prompt"
        return None

    def _leaks(self, start: int, end: int) -> bool:
        if self._prefix[end] - self._prefix[start] >= _SPAN_UNITS:
            return True
        line = bisect.bisect_right(self._starts, start) - 1
        while line < len(self._starts) and self._starts[line] < end:
            lo, hi = max(start, self._starts[line]), min(end, self._ends[line])
            if hi > lo and self._prefix[hi] - self._prefix[lo] >= self._needs[line]:
                return True
            line += 1
        return False

    def _mask(self, text: str) -> None:
        if len(text) >= _KEY:
            self._text = self._text.replace(text, _BREAK * len(text))


def _units(text: str) -> int:
    return sum(_CJK_UNITS if CJK.match(ch) else 1 for ch in text)
