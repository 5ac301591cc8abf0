"""Text to sentences: splitting (English and Chinese punctuation), ``*word*`` emphasis
markup, the sentence kind from its closing punctuation, and the analyzer's tags (``tags.py``)
for whatever the text does not say."""

from __future__ import annotations

import re

from livehost.brain.tags import choose_emphasis, detect_emotion, validate
from livehost.media.frames import Emphasis, Sentence, SentenceKind
from livehost.voice.timing import CJK, words_of

# A sentence ends at . ! ? … followed by a space (so 3.50 stays whole), at the full-width
# forms with or without one, or at a blank line; closing quotes stay with their sentence.
_END = re.compile(
    r"(?:(?<=[.!?…;])|(?<=[.!?…;][\"'”’)]))(?:\s+|$)"
    r"|(?:(?<=[。！？；])|(?<=[。！？；][”’」』）]))|\n\s*\n"
)
_MARK = re.compile(r"\*([^*\n]+)\*")


def split_sentences(text: str) -> list[str]:
    parts = (p.strip() for p in _END.split(text.replace("\r\n", "\n")))
    # Numbers like 3.5 and abbreviations rarely matter for speech; joining stray
    # fragments of one or two characters back keeps "e.g." readable enough.
    sentences: list[str] = []
    for part in parts:
        if not part:
            continue
        if sentences and len(part) <= 2 and not CJK.search(part):
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(" ".join(part.split()))
    return sentences


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
    for match in _MARK.finditer(text):
        before = text[last : match.start()]
        plain_parts.append(before)
        index = len(words_of("".join(plain_parts)))
        for offset, word in enumerate(words_of(match.group(1))):
            marks.append(Emphasis(word=word, index=index + offset))
        plain_parts.append(match.group(1))
        last = match.end()
    plain_parts.append(text[last:])
    return "".join(plain_parts).replace("*", ""), tuple(marks)


def sentences_from_text(text: str, emotion: str | None = None) -> list[Sentence]:
    """``emotion`` tags every sentence; ``None`` lets the lexicon pick one per sentence.
    Sentences without ``*word*`` marks get the analyzer's emphasis choice."""
    sentences = []
    for raw in split_sentences(text):
        plain, emphasis = parse_emphasis(raw)
        if not words_of(plain):
            continue
        detected, intensity = detect_emotion(plain)
        sentence = Sentence(
            plain,
            emotion=detected if emotion is None else emotion,
            kind=kind_of(plain),
            emphasis=emphasis or choose_emphasis(plain),
            intensity=intensity,
        )
        sentences.append(validate(sentence))
    return sentences
