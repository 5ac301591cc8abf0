"""Long sentences are spoken clause by clause, so the first clause plays while the rest is
synthesized: the first audio of a sentence waits for its first clause, not for all of it.

A clause is cut only at clause punctuation and only where both sides keep a few words, so
the pieces still carry the context an engine needs for natural prosody. Each clause is a
Sentence of its own for motion: the last keeps the sentence's kind (a question lifts the head
toward its end), the others are ``CLAUSE`` (the sentence goes on)."""

from __future__ import annotations

import re
from dataclasses import replace

from livehost.media.frames import Sentence, SentenceKind

from .timing import words_of

# Seconds of silence after a piece that ends with this mark (a breath between clauses;
# engines trim their own pauses at piece ends).
PAUSE_S = {**dict.fromkeys(",，、", 0.12), **dict.fromkeys(";:—；：", 0.2), **dict.fromkeys(".!?。！？…", 0.25)}
_CUT = re.compile(r"(?<=[,;:—])\s+|(?<=[，；：、])")
MIN_WORDS = 4


def pause_after(text: str) -> float:
    text = text.rstrip()
    return PAUSE_S.get(text[-1], 0.0) if text else 0.0


def split_clauses(sentence: Sentence, min_words: int = MIN_WORDS) -> list[Sentence]:
    pieces: list[str] = []
    for part in filter(None, (p.strip() for p in _CUT.split(sentence.text))):
        if pieces and len(words_of(pieces[-1])) < min_words:
            pieces[-1] = join_clauses([pieces[-1], part])
        else:
            pieces.append(part)
    if len(pieces) > 1 and len(words_of(pieces[-1])) < min_words:
        last = pieces.pop()
        pieces[-1] = join_clauses([pieces[-1], last])
    counts = [len(words_of(p)) for p in pieces]
    if len(pieces) < 2 or sum(counts) != len(words_of(sentence.text)):
        return [sentence]  # nothing to cut, or a cut that would move the emphases' words
    clauses, first = [], 0
    for i, (text, count) in enumerate(zip(pieces, counts)):
        emphasis = tuple(replace(m, index=m.index - first) for m in sentence.emphasis
                         if first <= m.index < first + count)
        kind = sentence.kind if i == len(pieces) - 1 else SentenceKind.CLAUSE
        clauses.append(replace(sentence, text=text, kind=kind, emphasis=emphasis))
        first += count
    return clauses


def join_clauses(texts: list[str]) -> str:
    """The clauses' texts as one sentence again: full-width punctuation takes no space after it."""
    out = texts[0]
    for text in texts[1:]:
        out = out + text if re.search(r"[，；：、]$", out) else f"{out} {text}"
    return out
