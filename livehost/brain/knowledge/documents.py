"""Markdown (or plain text) FAQ and policy files.

- ``## heading`` starts a section; its prose becomes passages titled with the heading (long
  sections are cut at paragraphs, so each passage stays within what the embedder reads).
- ``Q:`` / ``A:`` pairs (also ``**Q:**``, ``问：``/``答：``) and ``### question`` followed by
  its answer paragraphs become FAQ entries.
- A section whose heading names a product (its name, an alias or its id) holds that
  product's FAQ entries; the others are about the shop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livehost.brain.knowledge.files import read_text, shown
from livehost.brain.knowledge.records import FaqEntry, Passage
from livehost.errors import LivehostError

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_QA = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*)?(q|a|问|答)\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(.*)$", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
PASSAGE_WORDS = 120  # all-MiniLM-L6-v2 reads 256 word pieces; this stays well inside


@dataclass(frozen=True, slots=True)
class Document:
    faqs: tuple[FaqEntry, ...]
    passages: tuple[Passage, ...]


def load_document(path: Path, product_for: Callable[[str], str | None]) -> Document:
    """``product_for(heading)`` → the id of the product a section heading names, or None."""
    return _Parser(shown(path), product_for).parse(read_text(path))


def _plain(line: str) -> str:
    """Markdown emphasis, links and list bullets off: text as it would be said."""
    line = _LINK.sub(r"\1", line)
    line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)
    return re.sub(r"(\*\*|__|`)", "", line).strip()


class _Parser:
    def __init__(self, source: str, product_for: Callable[[str], str | None]) -> None:
        self.source, self.product_for = source, product_for
        self.faqs: list[FaqEntry] = []
        self.passages: list[Passage] = []
        self.section = ""
        self.prose: list[str] = []  # the current section's paragraphs ("" separates them)
        self.question: tuple[str, int, str] | None = None  # (text, line, "q" | "###")
        self.answer: list[str] = []

    def parse(self, text: str) -> Document:
        title = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            heading = _HEADING.match(raw)
            qa = None if heading else _QA.match(raw)
            if heading:
                level, words = len(heading.group(1)), _plain(heading.group(2))
                self._end_question()
                if level >= 3:
                    self.question = (words, number, "###")
                    continue
                self._end_section()
                if level == 1 and not title:
                    title = self.section = words
                else:
                    self.section = words
            elif qa:
                kind, rest = qa.group(1).lower(), _plain(qa.group(2))
                if kind in ("q", "问"):
                    self._end_question()
                    self.question = (rest, number, "q")
                elif self.question is None or self.question[2] != "q" or self.answer:
                    raise LivehostError(f"{self.source}: line {number}: an answer (A:) without a question (Q:) before it")
                else:
                    self.answer.append(rest)
            elif self.question is not None and self.question[2] == "q":
                if not raw.strip() and self.answer:
                    self._end_question()  # an A: answer ends at its paragraph's end
                elif not self.answer and raw.strip():
                    # A question written over several lines, before its A:.
                    self.question = (f"{self.question[0]} {_plain(raw)}", *self.question[1:])
                elif self.answer:
                    self.answer.append(_plain(raw))
            elif self.question is not None:
                self.answer.append(_plain(raw))  # under a ### question: up to the next heading
            else:
                self.prose.append(_plain(raw))
        self._end_question()
        self._end_section()
        return Document(tuple(self.faqs), tuple(self.passages))

    def _end_question(self) -> None:
        if self.question is None:
            return
        question, line, kind = self.question
        answer = " ".join(" ".join(a for a in self.answer if a).split())
        if not question:
            raise LivehostError(f"{self.source}: line {line}: empty question")
        if not answer:
            form = "an A: line" if kind == "q" else "a paragraph under the heading"
            raise LivehostError(f"{self.source}: line {line}: question {question!r} has no answer ({form})")
        self.faqs.append(FaqEntry(question, answer, self.product_for(self.section) if self.section else None, self.source))
        self.question, self.answer = None, []

    @property
    def _title(self) -> str:
        return self.section or Path(self.source).stem

    def _end_section(self) -> None:
        paragraphs = [" ".join(p.split()) for p in "\n".join(self.prose).split("\n\n")]
        chunk: list[str] = []
        for paragraph in (p for p in paragraphs if p):
            if chunk and len(" ".join(chunk).split()) + len(paragraph.split()) > PASSAGE_WORDS:
                self.passages.append(Passage(self._title, " ".join(chunk), self.source))
                chunk = []
            chunk.append(paragraph)
        if chunk:
            self.passages.append(Passage(self._title, " ".join(chunk), self.source))
        self.prose = []
