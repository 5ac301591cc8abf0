"""A rule: alternative patterns, the view of the text they read (see ``normalize``), and what
a match means. Rules are written in lower case for the ``words`` and ``compact`` views.

Each pattern carries a gate: literal strings one of which every match must contain, read
off the pattern itself ("ignore", "disregard"… for ``\\b(?:ignore|disregard)\\W+…``). A
pattern only runs on a text holding one of them: a substring test costs a small fraction of
a regex scan, and most chat holds none."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from livehost.brain.safety.normalize import Forms, View
from livehost.brain.safety.verdict import Category

_SPECIAL = set(".^$*+?{}[]()|\\")
_OPTIONAL = set("?*{")  # after an item: it may be absent


@dataclass(frozen=True, slots=True)
class Pattern:
    regex: re.Pattern[str]
    gate: tuple[str, ...] | None  # None: no literal found, always run
    unicode_only: bool  # every gate literal is non-ASCII, so an ASCII text cannot match

    @classmethod
    def of(cls, pattern: str) -> Pattern:
        literals = gate(pattern)
        unicode_only = literals is not None and not any(g.isascii() for g in literals)
        return cls(re.compile(pattern), literals, unicode_only)

    def search(self, text: str) -> bool:
        if self.gate is not None and (
            (self.unicode_only and text.isascii()) or not any(g in text for g in self.gate)
        ):
            return False
        return self.regex.search(text) is not None


@dataclass(frozen=True, slots=True)
class Rule:
    category: Category
    reason: str
    view: View
    patterns: tuple[Pattern, ...]

    def matches(self, forms: Forms) -> bool:
        texts = forms.readings(self.view)
        return any(p.search(text) for p in self.patterns for text in texts)


def rule(category: Category, reason: str, view: View, *alternatives: str) -> Rule:
    return Rule(category, reason, view, tuple(Pattern.of(a) for a in alternatives))


def first_match(
    rules: Iterable[Rule], forms: Forms, views: frozenset[View] | None = None
) -> Rule | None:
    """The first rule (in order) that matches any reading of its view."""
    for r in rules:
        if (views is None or r.view in views) and r.matches(forms):
            return r
    return None


def gate(pattern: str) -> tuple[str, ...] | None:
    """Literals one of which any match of ``pattern`` contains: the union, over its top-level
    alternatives, of each one's most selective mandatory literal set. None when an
    alternative has none (its pattern then always runs)."""
    found: list[str] = []
    for branch in _branches(pattern):
        literals = _sequence_gate(branch)
        if literals is None:
            return None
        found += literals
    return tuple(dict.fromkeys(found))


def _sequence_gate(pattern: str) -> tuple[str, ...] | None:
    """Of the mandatory literal runs and groups of one alternative, the set whose shortest
    literal is longest ("instructions" beats "you")."""
    candidates: list[tuple[str, ...]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "(":
            end = _closing(pattern, i)
            body = pattern[i + 1:end]
            if body.startswith("?"):
                body = body[2:] if body.startswith("?:") else ""  # lookarounds match no text
            optional = end + 1 < len(pattern) and pattern[end + 1] in _OPTIONAL
            literals = gate(body) if body and not optional else None
            if literals is not None:
                candidates.append(literals)
            i = end + 1
        elif ch == "[":
            i = _class_end(pattern, i) + 1
        elif ch == "\\":
            i += 2
        elif ch == "{":
            i = pattern.index("}", i) + 1  # a repeat count, not text
            continue
        elif ch in _SPECIAL:
            i += 1
        else:
            run, i = _literal_run(pattern, i)
            if run:
                candidates.append((run,))
            else:
                i += 1  # a lone character made optional by what follows
        while i < len(pattern) and pattern[i] in "?*+{":
            i = pattern.index("}", i) + 1 if pattern[i] == "{" else i + 1
    return max(candidates, key=lambda c: min(map(len, c)), default=None)


def _literal_run(pattern: str, i: int) -> tuple[str, int]:
    """The plain text from ``i`` on, short of a character a quantifier makes optional."""
    run = ""
    while i < len(pattern):
        ch, step = pattern[i], 1
        if ch == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            ch, step = pattern[i + 1], 2  # an escaped punctuation mark is plain text
        elif ch in _SPECIAL:
            break
        if i + step < len(pattern) and pattern[i + step] in _OPTIONAL:
            break
        run += ch
        i += step
    return run, i


def _closing(pattern: str, start: int) -> int:
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i) + 1
            continue
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return i
        i += 1
    raise ValueError(f"unbalanced pattern: {pattern}")


def _class_end(pattern: str, start: int) -> int:
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _branches(body: str) -> list[str]:
    parts, depth, last, i = [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(body, i) + 1
            continue
        if ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            parts.append(body[last:i])
            last = i + 1
        i += 1
    parts.append(body[last:])
    return parts
