"""Trace: one JSON line per video tick (the face state) plus one per sentence, on the media
clock, so behaviour can be checked from outside. Format in DESIGN.md.

A long sentence plays clause by clause (``voice/clauses.py``); its clauses are merged back
into one sentence line, written when its last clause starts (``SentenceLines``)."""

from __future__ import annotations

import json
from pathlib import Path

from livehost.media.frames import AVTick, ScheduledSpeech, SentenceKind
from livehost.voice.clauses import join_clauses
from livehost.voice.timing import word_stress_time

from .atomic import AtomicOutput
from .base import Overflow, StreamSpec, ThreadedSink


def sentence_event(scheduled: ScheduledSpeech) -> dict:
    speech = scheduled.speech
    sentence = speech.sentence
    emphasis = []
    for mark in sentence.emphasis:
        t = word_stress_time(speech.phonemes, speech.words, mark.index)
        emphasis.append({"word": mark.word, "t": None if t is None else round(scheduled.t0 + t, 4)})
    event = {
        "event": "sentence",
        "text": sentence.text,
        "emotion": sentence.emotion,
        "kind": sentence.kind.value,
        "emphasis": emphasis,
        "t0": round(scheduled.t0, 4),
        "t1": round(scheduled.t1, 4),
    }
    if sentence.to:
        event["to"] = sentence.to
    return event


def merged_event(clauses: list[dict]) -> dict:
    """One sentence line from the lines of its clauses, in order."""
    return {**clauses[-1], "text": join_clauses([c["text"] for c in clauses]), "emotion": clauses[0]["emotion"],
            "emphasis": [mark for c in clauses for mark in c["emphasis"]], "t0": clauses[0]["t0"]}


class SentenceLines:
    """Sentence events as they start playing, a sentence spoken clause by clause merged back
    into one line, given when its last clause starts (or when another sentence cuts in)."""

    def __init__(self) -> None:
        self._clauses: list[dict] = []  # the leading clauses of the sentence playing
        self._sentence_id: int | None = None

    def add(self, scheduled: ScheduledSpeech) -> list[dict]:
        sentence = scheduled.speech.sentence
        lines = self.flush() if sentence.id != self._sentence_id else []  # an interrupted one: what of it played
        self._sentence_id = sentence.id
        self._clauses.append(sentence_event(scheduled))
        if sentence.kind is not SentenceKind.CLAUSE:
            lines += self.flush()
        return lines

    def flush(self) -> list[dict]:
        lines = [merged_event(self._clauses)] if self._clauses else []
        self._clauses, self._sentence_id = [], None
        return lines


def tick_record(tick: AVTick) -> dict:
    face = {name: round(value, 4) for name, value in tick.face.as_dict().items()}
    return {"t": round(tick.t, 4), "speaking": tick.speaking, **face}


class TraceSink(ThreadedSink):
    name = "trace"

    def __init__(self, path: Path, overflow: Overflow = "block") -> None:
        super().__init__(max_queue=500, overflow=overflow)
        self.output = AtomicOutput(path)

    def start(self, spec: StreamSpec) -> None:
        self._file = open(self.output.partial, "w", encoding="utf-8")
        self._sentences = SentenceLines()

    def event(self, record: dict) -> None:
        """A live event line (chat, answer, dropped, interrupt...), written in order with the
        ticks; from any thread, never blocking."""
        self.offer(record)  # type: ignore[arg-type]

    def write(self, tick: AVTick | dict) -> None:
        if isinstance(tick, dict):
            self._file.write(json.dumps(tick, ensure_ascii=False) + "\n")
            return
        for scheduled in tick.started:
            self._write_lines(self._sentences.add(scheduled))
        self._file.write(json.dumps(tick_record(tick)) + "\n")

    def _write_lines(self, lines: list[dict]) -> None:
        for line in lines:
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")

    def finish(self, ok: bool) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            self._write_lines(self._sentences.flush())
            file.close()
        self.output.settle(ok and file is not None)
