"""What the host remembers: the recent conversation of a channel, and a little about each
viewer of a live chat. Both are bounded, whatever the chat's rate or the run's length."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from livehost.brain.llm.base import ChatTurn


@dataclass(frozen=True, slots=True)
class Exchange:
    """One answered message: who asked, what, and what of the reply was heard."""

    user: str
    question: str
    reply: str


class ConversationMemory:
    """The last exchanges, trimmed from the oldest when they exceed ``max_turns`` or
    ``max_chars`` in total (a small model's context is short, and its prompt cache is best
    reused when the history stays small)."""

    def __init__(self, max_turns: int = 3, max_chars: int = 600) -> None:
        self.max_turns, self.max_chars = max_turns, max_chars
        self._exchanges: deque[Exchange] = deque()
        self._lock = threading.Lock()

    def remember(self, user: str, question: str, heard_reply: str) -> None:
        """``heard_reply`` is what was actually spoken: an interrupted answer is remembered
        only as far as it was heard (empty when none of it was)."""
        with self._lock:
            self._exchanges.append(Exchange(user, question.strip(), heard_reply.strip()))
            while len(self._exchanges) > self.max_turns or (
                len(self._exchanges) > 1 and self._chars() > self.max_chars
            ):
                self._exchanges.popleft()

    def _chars(self) -> int:
        return sum(len(e.question) + len(e.reply) for e in self._exchanges)

    def turns(self) -> list[ChatTurn]:
        with self._lock:
            exchanges = list(self._exchanges)
        turns: list[ChatTurn] = []
        for e in exchanges:
            turns.append(ChatTurn("user", e.question))
            turns.append(ChatTurn("assistant", e.reply or "(interrupted before answering)"))
        return turns

    def last(self) -> Exchange | None:
        with self._lock:
            return self._exchanges[-1] if self._exchanges else None

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def __len__(self) -> int:
        return len(self._exchanges)


@dataclass(slots=True)
class Viewer:
    name: str
    first_seen: float
    last_seen: float
    messages: int = 0
    last_question: str = ""


class ViewerMemory:
    """Per-viewer notes for live chat (name, how often, their last question, when), as an LRU
    bounded by ``max_viewers`` so a flood of new names cannot grow it."""

    def __init__(self, max_viewers: int = 2000, clock: Callable[[], float] = time.time) -> None:
        self.max_viewers = max_viewers
        self._clock = clock
        self._viewers: OrderedDict[str, Viewer] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, key: str, name: str, question: str) -> Viewer:
        """Record a message; returns the viewer as known BEFORE this message."""
        now = self._clock()
        with self._lock:
            viewer = self._viewers.pop(key, None)
            before = Viewer(name, now, now) if viewer is None else Viewer(
                viewer.name, viewer.first_seen, viewer.last_seen, viewer.messages, viewer.last_question)
            viewer = viewer or Viewer(name, now, now)
            viewer.name, viewer.last_seen = name, now
            viewer.messages += 1
            viewer.last_question = question.strip()[:120]
            self._viewers[key] = viewer
            while len(self._viewers) > self.max_viewers:
                self._viewers.popitem(last=False)
            return before

    def note(self, key: str, name: str, question: str) -> str:
        """A few words for the prompt about this viewer ("" for a first-time viewer): every
        token of it is evaluated before the reply's first word, so it stays short."""
        before = self.seen(key, name, question)
        if before.messages == 0:
            return ""
        return f"{name}, back again (asked: {before.last_question[:40]})"

    def clear(self) -> None:
        with self._lock:
            self._viewers.clear()

    def __len__(self) -> int:
        return len(self._viewers)
