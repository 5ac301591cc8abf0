"""Text to sentences, one set of rules for a whole text (``livehost say``) and for a reply that
arrives token by token (``stream.py``): where a sentence ends, its speakable text
(``speakable.py``), its inline tags, ``*word*`` emphasis markup, its kind from the closing
punctuation, and the analyzer's tags (``tags.py``) for whatever the text does not say.

A sentence ends at . ! ? … ; followed by a space, at the full-width 。！？； with or without one,
at a blank line, and at the end of a heading or list line; closing quotes (and emoji) stay with
it. Not inside numbers (3.5, $12.99, 1,200, 9:30), after abbreviations and initials (e.g., Mr.,
J. K.), after a list number, inside URLs, e-mail addresses, [tags], <tags> or code. An ellipsis,
"etc." or "U.S." ends one only when a capital (or CJK) follows. Where that depends on text not
written yet — a "." at the very end of the text so far — the decision waits for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import regex

from livehost.brain.speakable import (
    BLOCK_MARK,
    EMOJI,
    EMPHASIS_MARK,
    RAW_ELEMENTS,
    clean,
    without_hidden,
)
from livehost.brain.tags import (
    ANGLE_BODY,
    SQUARE_BODY,
    TAG_INTENSITY,
    InlineTag,
    choose_emphasis,
    detect_emotion,
    inline_tag,
    validate,
)
from livehost.media.frames import Emphasis, Sentence, SentenceKind
from livehost.voice.timing import CJK, words_of

_FULL_WIDTH = "。！？；"
_RUN = re.compile(r"[.!?…;。！？；]+")
_AFTER_END = regex.compile(rf"(?:[\"'”’)）」』】》〉»]|{EMOJI.pattern})*")
_SENTENCE_EVENTS = re.compile(r"[.!?…;。！？；\n\[<`]")
_CLAUSE_EVENTS = re.compile(r"[.!?…;。！？；\n\[<`,:，：—–]|(?<=\s)-")
_LEADING_SPACE = re.compile(r"\s*")
_BLANKS = re.compile(r"[ \t]*")
_BLOCK = re.compile(rf"[ \t]*(?:{BLOCK_MARK}[ \t]|>|```|\|)")
_BLOCK_SO_FAR = re.compile(r"[ \t]*(?:#{1,6}|[-*+•]|\d{1,3}[.)]?|`{1,2})?")  # may become one
_LIST_NUMBER = re.compile(rf"[ \t]*(?:{BLOCK_MARK}[ \t]+|>)*\d{{1,3}}")
_SQUARE_SPAN = re.compile(rf"\[+{SQUARE_BODY}\]+")
_SQUARE_OPEN = re.compile(rf"\[+{SQUARE_BODY}")
_ANGLE_SPAN = re.compile(rf"<+{ANGLE_BODY}>+")
_ANGLE_OPEN = re.compile(rf"<+(?:{ANGLE_BODY})?")
_TICKS = re.compile(r"`+")
_DASHES = re.compile(r"[—–]+|-{1,2}")
_WORD_BEFORE = re.compile(r"[\w.'’]*$")
_ENTITY_BEFORE = re.compile(r"&#?\w{1,10}$")
_ACRONYM = re.compile(r"(?:[a-z]\.)+[a-z]")  # u.s, a.m, e.u
_NEVER_END = {"mr", "mrs", "ms", "mx", "dr", "prof", "st", "mt", "vs", "v", "e.g", "i.e", "eg",
              "ie", "cf", "approx", "fig", "viz"}
_MAY_END = {"etc", "inc", "ltd", "co", "corp", "jr", "sr", "no", "ft", "esp", "dept", "min",
            "max", "ph.d"}


class Piece(NamedTuple):
    """The raw text of a sentence (or of its leading clause) as cut from a reply."""

    text: str
    clause: bool = False  # a leading clause: its sentence goes on
    line_start: bool = True  # it begins a line (a "1. " there is a list number)
    last: bool = False  # it ends the reply (a tag still open at its end was cut off)


def piece_of(text: str, start: int, end: int, clause: bool = False, last: bool = False) -> Piece:
    line = text.rfind("\n", 0, start) + 1
    return Piece(text[start:end], clause, not text[line:start].strip(" \t"), last)


class Cut(NamedTuple):
    """A piece of the text ends at ``end``: a sentence, or (``clause``) its leading clause."""

    end: int
    clause: bool = False


def next_cut(
    text: str, start: int, pos: int, final: bool, clause: Callable[[Piece], bool] | None = None
) -> tuple[Cut | None, int]:
    """The end of the piece of ``text`` that starts at ``start``, looking from ``pos``.

    ``final``: the text is complete (else a decision that needs text not written yet waits).
    With ``clause``, also cuts at the first clause mark (, : — ，：) where ``clause`` accepts
    the piece before it as worth saying alone. Returns the cut, or None (none yet; or, when
    final, none at all: the rest is one piece), and where the next look may start.
    """
    events = _SENTENCE_EVENTS if clause is None else _CLAUSE_EVENTS
    if pos == start:
        pos = _LEADING_SPACE.match(text, pos).end()
    while (event := events.search(text, pos)) is not None:
        i = event.start()
        decision = _decide(text, start, i, final, clause)
        if decision is None:
            return None, i
        if isinstance(decision, Cut):
            return decision, decision.end
        pos = decision
    return None, len(text)


def _decide(
    text: str, start: int, i: int, final: bool, clause: Callable[[Piece], bool] | None
) -> Cut | int | None:
    """At an event: a cut, the position to look on from (no cut here), or None (wait)."""
    char = text[i]
    if char in ".!?…;。！？；":
        return _sentence_end(text, i, final)
    if char == "\n":
        return _line_end(text, i, final)
    if char in "[<`":
        return _span_end(text, i, final)
    assert clause is not None  # clause marks are events only with it
    return _clause_end(text, start, i, final, clause)


def _sentence_end(text: str, i: int, final: bool) -> Cut | int | None:
    n = len(text)
    j = _RUN.match(text, i).end()
    k = _AFTER_END.match(text, j).end()
    if k == n and not final:
        return None  # "3." may become "3.5", "?" may get a closing quote
    run = text[i:j]
    if k == n or any(mark in _FULL_WIDTH for mark in run):
        return _ended(text, k)
    after = text[k]
    if not (after.isspace() or CJK.match(after) or after in "[<"):
        return j  # 3.5, example.com, ?q=1
    if "?" in run or "!" in run:
        return _ended(text, k)
    if ";" in run:
        return j if run == ";" and _ENTITY_BEFORE.search(text, max(0, i - 12), i) else _ended(text, k)
    if "…" in run or len(run) > 1:
        return _if_sentence_follows(text, k, j, final) if after.isspace() else j
    line = text.rfind("\n", 0, i) + 1
    if _LIST_NUMBER.fullmatch(text, line, i):
        return j  # "2. " opening a list item
    word = _WORD_BEFORE.search(text, max(line, i - 32), i).group(0).lstrip(".'’")
    low = word.lower()
    if low in _NEVER_END or (len(word) == 1 and word.isupper()):
        return j
    if low in _MAY_END or _ACRONYM.fullmatch(low):
        return _if_sentence_follows(text, k, j, final)
    return _ended(text, k)


def _if_sentence_follows(text: str, k: int, skip: int, final: bool) -> Cut | int | None:
    """For "etc." and "…": a sentence ends unless lower case or a digit goes on."""
    q = _LEADING_SPACE.match(text, k).end()
    if q == len(text):
        return _ended(text, k) if final else None
    nxt = text[q]
    return skip if nxt.islower() or nxt.isdigit() else _ended(text, k)


def _ended(text: str, k: int) -> Cut:
    """A sentence ends at ``k``, with the space after it (so each piece reads on its own as
    it does within the whole text: "1. " opening a line is a list number, "1." is not)."""
    return Cut(k + 1 if text[k : k + 1] in (" ", "\t") else k)


def _line_end(text: str, i: int, final: bool) -> Cut | int | None:
    n = len(text)
    k = _BLANKS.match(text, i + 1).end()
    if k == n:
        return i + 1 if final else None
    line = text.rfind("\n", 0, i) + 1
    if text[k] == "\n" or _BLOCK.match(text, line) or _BLOCK.match(text, i + 1):
        return Cut(i)  # a blank line; a heading or list line ends, or one begins
    if not final and _BLOCK_SO_FAR.fullmatch(text, i + 1, n):
        return None
    return i + 1  # a hard-wrapped sentence goes on


def _span_end(text: str, i: int, final: bool) -> int | None:
    """Past a [tag], a <tag>, inline code or a code block / <think> element (which may hold
    anything); None while it may still be open."""
    n = len(text)
    if text[i] == "`":
        j = _TICKS.match(text, i).end()
        if j == n and not final:
            return None
        if j - i < 3:
            return j
        close = text.find("```", i + 3)  # as ``speakable`` reads a fence: ``````  opens and closes
        return close + 3 if close >= 0 else (n if final else None)
    span, opening = (_SQUARE_SPAN, _SQUARE_OPEN) if text[i] == "[" else (_ANGLE_SPAN, _ANGLE_OPEN)
    match = span.match(text, i)
    if match is None:  # still open at the end of the text: a tag cut off (if final)
        return (n if final else None) if opening.match(text, i).end() == n else i + 1
    name = re.match(r"<+([A-Za-z]+)", match.group(0))
    if name and name.group(1).lower() in RAW_ELEMENTS:
        close = re.compile(rf"</{name.group(1)}\s*>", re.IGNORECASE).search(text, match.end())
        return close.end() if close else (n if final else None)
    return match.end()


def _clause_end(
    text: str, start: int, i: int, final: bool, clause: Callable[[Piece], bool]
) -> Cut | int | None:
    n = len(text)
    end = i + 1
    if text[i] in ",:-–—":
        if text[i] in "-–—":
            end = _DASHES.match(text, i).end()
        if end == n:
            return end if final else None
        if text[i] in ",:-–" and not text[end].isspace():
            return end  # 1,200 · 9:30 · https: · -5
        if text[i] == "–" and not text[i - 1 : i].isspace():
            return end  # 9–5
    return Cut(end, clause=True) if clause(piece_of(text, start, end, clause=True)) else end


def sentence_pieces(text: str) -> list[Piece]:
    """Each sentence of a whole text, in order; the last piece is what follows the last cut,
    blank or not."""
    text = text.replace("\r", "")
    pieces, start = [], 0
    while (cut := next_cut(text, start, start, final=True)[0]) is not None:
        pieces.append(piece_of(text, start, cut.end))
        start = cut.end
    return [*pieces, piece_of(text, start, len(text), last=True)]


def split_sentences(text: str) -> list[str]:
    """The raw text of each sentence (markup and tags still in), spaces collapsed."""
    return [" ".join(p.text.split()) for p in sentence_pieces(text) if p.text.strip()]


def kind_of(text: str) -> SentenceKind:
    tail = text.rstrip("\"'”’)）」』 ")
    if tail.endswith(("?", "？")):
        return SentenceKind.QUESTION
    if tail.endswith(("!", "！")):
        return SentenceKind.EXCLAMATION
    return SentenceKind.STATEMENT


def parse_emphasis(text: str) -> tuple[str, tuple[Emphasis, ...]]:
    """Strip ``*word*`` markup; return the plain text and its emphasised words by index."""
    marks: list[Emphasis] = []
    plain_parts: list[str] = []
    last = 0
    for match in EMPHASIS_MARK.finditer(text):
        before = text[last : match.start()]
        plain_parts.append(before)
        index = len(words_of("".join(plain_parts)))
        for offset, word in enumerate(words_of(match.group(1))):
            marks.append(Emphasis(word=word, index=index + offset))
        plain_parts.append(match.group(1))
        last = match.end()
    plain_parts.append(text[last:])
    return "".join(plain_parts).replace("*", ""), tuple(marks)


@dataclass
class Composer:
    """Raw sentence text to a validated Sentence, one reply at a time.

    The emotion: an inline tag's, else ``emotion``, else the lexicon's. A tag holds for the
    sentence it is in; a tag alone (a sentence with no words) holds for the next sentence,
    and a leading clause's tag for the rest of its sentence."""

    emotion: str | None = None
    names: tuple[str, ...] = ()
    _carried: InlineTag | None = field(default=None, init=False)

    def compose(self, piece: Piece) -> Sentence | None:
        """None when nothing of the piece is speakable."""
        clause = piece.clause
        own = inline_tag(without_hidden(piece.text))
        tag = own or self._carried
        marked = clean(piece.text, self.names, piece.last, piece.line_start)
        text, emphasis = parse_emphasis(marked)
        text = " ".join(text.split())
        if not words_of(text):
            self._carried = tag
            return None
        self._carried = tag if clause else None
        detected, intensity = detect_emotion(text)
        emotion = detected if self.emotion is None else self.emotion
        if tag is not None and tag.emotion is not None:
            emotion, intensity = tag.emotion, (
                tag.intensity if tag.intensity is not None
                else intensity if detected == tag.emotion
                else 0.5 if tag.emotion == "neutral" else TAG_INTENSITY
            )
        return validate(Sentence(
            text,
            emotion=emotion,
            kind=SentenceKind.CLAUSE if clause else kind_of(text),
            emphasis=emphasis or choose_emphasis(text),
            intensity=intensity,
        ))


def sentences_from_text(
    text: str, emotion: str | None = None, names: tuple[str, ...] = ()
) -> list[Sentence]:
    """``emotion`` tags every sentence an inline tag does not; ``None`` lets the lexicon pick
    one per sentence. Sentences without ``*word*`` marks get the analyzer's emphasis choice."""
    composer = Composer(emotion, names)
    sentences = (composer.compose(piece) for piece in sentence_pieces(text))
    return [sentence for sentence in sentences if sentence is not None]
