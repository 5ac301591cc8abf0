"""A reply streaming in from the model, out as speakable Sentences the moment each is complete,
so the voice starts on the first clause while the model is still writing.

The rules of where a sentence ends are those of ``sentences.py`` (a whole text splits the same
whichever way it arrives in pieces). Only the reply's first sentence may come out early, as a
``CLAUSE``, at its first comma, colon or dash (，：— in Chinese) with enough speech before it;
later sentences come out whole: the voice worker cuts long ones into clauses itself.
"""

from __future__ import annotations

from livehost.brain.sentences import Composer, Piece, next_cut, piece_of
from livehost.brain.speakable import clean, spoken_length
from livehost.media.frames import Sentence

# Under a second of speech: 3–4 English words, or 6 Chinese characters (``spoken_length``).
FIRST_CLAUSE_CHARS = 12


class SentenceStream:
    """One reply: ``feed`` the model's text pieces in order, then ``flush`` at its end (which
    readies the stream for the next reply). ``first_clause_chars`` = 0 never cuts a clause
    early; ``emotion`` replaces the lexicon's choice where no inline tag sets one; ``names``
    (the persona's) are dropped where the model echoes "Name:"."""

    def __init__(
        self,
        first_clause_chars: int = FIRST_CLAUSE_CHARS,
        emotion: str | None = None,
        names: tuple[str, ...] = (),
    ) -> None:
        self.first_clause_chars = first_clause_chars
        self._emotion, self._names = emotion, tuple(names)
        self._reset()

    def _reset(self) -> None:
        self._text = ""
        self._start = self._pos = 0  # the pending sentence's start; where to look on from
        self._spoken = False  # no sentence of this reply has come out yet
        self._composer = Composer(self._emotion, self._names)

    def feed(self, piece: str) -> list[Sentence]:
        self._text += piece.replace("\r", "")
        return self._drain(final=False)

    def flush(self) -> list[Sentence]:
        out = self._drain(final=True)
        rest = piece_of(self._text, self._start, len(self._text), last=True)
        if (last := self._composer.compose(rest)) is not None:
            out.append(last)
        self._reset()
        return out

    def _drain(self, final: bool) -> list[Sentence]:
        out: list[Sentence] = []
        while True:
            clause = None if self._spoken or self.first_clause_chars <= 0 else self._long_enough
            cut, self._pos = next_cut(self._text, self._start, self._pos, final, clause)
            if cut is None:
                return out
            piece = piece_of(self._text, self._start, cut.end, clause=cut.clause)
            sentence = self._composer.compose(piece)
            self._start = self._pos = cut.end
            if sentence is not None:
                out.append(sentence)
                self._spoken = True

    def _long_enough(self, clause: Piece) -> bool:
        spoken = clean(clause.text, self._names, final=False, line_start=clause.line_start)
        return spoken_length(spoken) >= self.first_clause_chars
