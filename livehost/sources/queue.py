"""What the host answers next.

Every message offered ends exactly one way: answered (a Pick of kind "answer"), thanked in a
batch (kind "thanks"), or dropped with a reason reported through ``on_drop`` — duplicate,
rate_limited, overflow, stale, removed, ignored. Paid messages are never dropped unthanked:
when one expires or is evicted it joins the next thank-you batch.

Order: categories in ``QueueConfig.order`` (operator > paid > question > mention > chatter by
default), first in first out within one. A due thank-you batch goes before everything but
the first category. With nothing to answer for ``idle_after_s``, the persona's idle script.

Memory is bounded whatever the input rate: the queue holds at most ``max_depth`` messages,
and the dedupe / rate-limit bookkeeping keeps at most ``max_tracked`` entries each (least
recently seen forgotten first). Times come from an injectable clock (seconds).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from livehost.media.frames import ChatMessage

from .classify import QUESTION_WORDS, is_question, mention_pattern, normalize
from .thanks import ThanksCollector

log = logging.getLogger(__name__)

Category = Literal["operator", "paid", "question", "mention", "chatter"]
CATEGORIES: tuple[Category, ...] = ("operator", "paid", "question", "mention", "chatter")
_SCREENED = ("question", "mention", "chatter")  # what dedupe and rate limits apply to

Seconds = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueTtl(_Strict):
    """How long a message may wait before it goes stale (None: never). A paid message that
    waits longer is thanked in the next batch instead of answered."""

    operator: Seconds | None = None
    paid: Seconds | None = 300.0
    question: Seconds | None = 120.0
    mention: Seconds | None = 60.0
    chatter: Seconds | None = 30.0


class QueueConfig(_Strict):
    order: tuple[Category, ...] = CATEGORIES  # highest first
    mention_names: tuple[str, ...] = ()  # the persona's names: a message naming one is a "mention"
    question_words: tuple[str, ...] = QUESTION_WORDS
    # Kinds that set the category outright; other kinds are read: amount > 0 -> paid, then
    # question, mention, chatter.
    kind_category: dict[str, Category] = Field(default_factory=lambda: {
        "operator": "operator", "mic": "operator", "superchat": "paid", "question": "question"})
    batch_kinds: tuple[str, ...] = ("gift", "follow", "member", "raid")  # thanked together
    ignore_kinds: tuple[str, ...] = ("system",)
    max_depth: Annotated[int, Field(ge=1, le=100_000)] = 50
    duplicate_window_s: Seconds = 30.0  # same normalized text again within it: "duplicate"
    rate_limit_count: Annotated[int, Field(ge=1)] = 3  # messages per user per window...
    rate_limit_window_s: Seconds = 30.0  # ...beyond which: "rate_limited"
    max_tracked: Annotated[int, Field(ge=16, le=1_000_000)] = 5000
    ttl: QueueTtl = QueueTtl()
    thanks_every_s: Seconds = 20.0  # at most one thank-you batch this often
    thanks_gather_s: Seconds = 3.0  # a batch waits this long after its first gift for more
    thanks_names: Annotated[int, Field(ge=1, le=5)] = 2  # names read out before "and N others"
    thanks_max_groups: Annotated[int, Field(ge=1, le=10)] = 3  # gift kinds thanked in one line
    max_thanks_ids: Annotated[int, Field(ge=1)] = 1000  # ids one batch lists (its count is exact)
    idle_after_s: Seconds = 20.0
    idle_lines: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    language: Literal["en", "zh"] = "en"  # of the thank-you lines

    @field_validator("order")
    @classmethod
    def _all_categories(cls, order: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(order) != sorted(CATEGORIES):
            raise ValueError(f"must list each of {', '.join(CATEGORIES)} exactly once")
        return order


@dataclass(frozen=True, slots=True)
class Pick:
    """What to say next. answer: ``message`` (``category`` says why it won); thanks: ``text``
    covering ``batched`` messages, ``ids`` the first ``max_thanks_ids`` of them; idle: ``text``."""

    kind: Literal["answer", "thanks", "idle"]
    message: ChatMessage | None = None
    text: str | None = None
    ids: tuple[str, ...] = ()
    category: Category | None = None
    batched: int = 0


@dataclass(slots=True)
class _Entry:
    msg: ChatMessage
    category: Category
    at: float  # when it was offered, on the queue's clock


class _Lru(OrderedDict):
    """An OrderedDict that forgets its least recently set key beyond ``cap`` keys."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.cap:
            self.popitem(last=False)


DropCallback = Callable[[ChatMessage, str], None]
EventCallback = Callable[[dict], None]


class ChatQueue:
    """Thread-safe: sources offer from their threads while the brain takes ``next()``.
    Callbacks run outside the queue's lock, on the calling thread; one that raises is logged
    and never breaks the queue. ``on_event`` gets a ``chat`` event (trace shape, without
    ``t``) for every message offered."""

    def __init__(self, config: QueueConfig | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 on_drop: DropCallback | None = None,
                 on_event: EventCallback | None = None) -> None:
        self.config = config = config or QueueConfig()
        self.clock, self.on_drop, self.on_event = clock, on_drop, on_event
        self._lock = threading.Lock()
        self._lanes: dict[Category, OrderedDict[str, _Entry]] = {
            c: OrderedDict() for c in config.order}
        self._lane_of: dict[str, Category] = {}
        self._mention = mention_pattern(config.mention_names)
        self._thanks = ThanksCollector(
            names_shown=config.thanks_names, max_groups=config.thanks_max_groups,
            max_ids=config.max_thanks_ids, language=config.language)
        self._seen_ids = _Lru(config.max_tracked)
        self._texts = _Lru(config.max_tracked)  # hash of normalized text -> when last accepted
        self._users = _Lru(config.max_tracked)  # (platform, user) -> times of recent messages
        self._last_thanks = -float("inf")
        self._last_pick = clock()
        self._idle_index = 0
        self._last_idle: str | None = None
        self.drops: dict[str, int] = {}
        self._counts = {"offered": 0, "answered": 0, "thanked": 0, "idle": 0, "redelivered": 0}

    # -- public -----------------------------------------------------------------------

    def offer(self, msg: ChatMessage) -> str:
        """Take a message in; returns its id (one is assigned when it has none). A message
        whose id was already offered (a platform's redelivery) is ignored."""
        if not msg.id:
            msg = dataclasses.replace(msg, id=uuid.uuid4().hex[:16])
        notes: list[tuple] = []
        with self._lock:
            if msg.id in self._seen_ids:
                self._counts["redelivered"] += 1
                return msg.id
            self._seen_ids.put(msg.id, None)
            self._counts["offered"] += 1
            notes.append(("event", _chat_event(msg)))
            now = self.clock()
            self._admit(msg, now, notes)
            self._expire(now, notes)
            self._evict(now, notes)
        self._dispatch(notes)
        return msg.id

    def next(self) -> Pick | None:
        """What to say now, or None (nothing waiting and no idle line due)."""
        notes: list[tuple] = []
        with self._lock:
            now = self.clock()
            self._expire(now, notes)
            pick = self._choose(now)
            if pick is not None:
                self._last_pick = now
        self._dispatch(notes)
        return pick

    def remove(self, msg_id: str) -> bool:
        """Withdraw a waiting message (deleted by a moderator): dropped as "removed"."""
        with self._lock:
            category = self._lane_of.pop(msg_id, None)
            if category is None:
                return False
            entry = self._lanes[category].pop(msg_id)
            notes = [self._drop_note(entry.msg, "removed")]
        self._dispatch(notes)
        return True

    def remove_user(self, platform: str, user_id: str) -> int:
        """Withdraw every waiting message of one user (banned or timed out); how many."""
        with self._lock:
            gone = [(msg_id, category) for msg_id, category in self._lane_of.items()
                    if (entry := self._lanes[category][msg_id]).msg.platform == platform
                    and entry.msg.user_id == user_id]
            notes = []
            for msg_id, category in gone:
                del self._lane_of[msg_id]
                notes.append(self._drop_note(self._lanes[category].pop(msg_id).msg, "removed"))
        self._dispatch(notes)
        return len(gone)

    def reset_idle(self) -> None:
        """Count the quiet time from now (the host just finished speaking)."""
        with self._lock:
            self._last_pick = self.clock()

    @property
    def depth(self) -> int:
        return len(self._lane_of)

    def __len__(self) -> int:
        return self.depth

    def stats(self) -> dict:
        with self._lock:
            return {
                "depth": len(self._lane_of),
                "lanes": {c: len(lane) for c, lane in self._lanes.items()},
                **self._counts,
                "pending_thanks": self._thanks.pending,
                "drops": dict(self.drops),
                "tracked": {"ids": len(self._seen_ids), "texts": len(self._texts),
                            "users": len(self._users)},
            }

    # -- rules (called under the lock) ---------------------------------------------------

    def categorize(self, msg: ChatMessage) -> Category:
        cfg = self.config
        if msg.kind in cfg.kind_category:
            return cfg.kind_category[msg.kind]
        if (msg.amount or 0) > 0:
            return "paid"
        if is_question(msg.text, cfg.question_words):
            return "question"
        if self._mention is not None and self._mention.search(msg.text):
            return "mention"
        return "chatter"

    def _admit(self, msg: ChatMessage, now: float, notes: list) -> None:
        cfg = self.config
        if msg.kind in cfg.ignore_kinds:
            notes.append(self._drop_note(msg, "ignored"))
            return
        if msg.kind in cfg.batch_kinds:
            self._thanks.add(msg, msg.kind, now)
            return
        category = self.categorize(msg)
        if category in _SCREENED:
            reason = self._screen(msg, now)
            if reason is not None:
                notes.append(self._drop_note(msg, reason))
                return
        self._lanes[category][msg.id] = _Entry(msg, category, now)
        self._lane_of[msg.id] = category

    def _screen(self, msg: ChatMessage, now: float) -> str | None:
        """Dedupe and per-user rate limit; records the message when it passes."""
        cfg = self.config
        text_key = hash(normalize(msg.text))
        last = self._texts.get(text_key)
        if last is not None and now - last < cfg.duplicate_window_s:
            return "duplicate"
        user_key = (msg.platform, msg.user_id or msg.user)
        recent = self._users.get(user_key)
        if recent is None:
            recent = deque(maxlen=cfg.rate_limit_count)
        elif len(recent) == cfg.rate_limit_count and now - recent[0] < cfg.rate_limit_window_s:
            self._users.move_to_end(user_key)
            return "rate_limited"
        recent.append(now)
        self._users.put(user_key, recent)
        self._texts.put(text_key, now)
        return None

    def _expire(self, now: float, notes: list) -> None:
        for category, lane in self._lanes.items():
            ttl = getattr(self.config.ttl, category)
            if ttl is None:
                continue
            while lane:
                entry = next(iter(lane.values()))  # lanes are in arrival order: oldest first
                if now - entry.at <= ttl:
                    break
                self._unqueue(entry, "stale", now, notes)

    def _evict(self, now: float, notes: list) -> None:
        """Over depth: the oldest message of the lowest category goes."""
        while len(self._lane_of) > self.config.max_depth:
            lane = next(lane for c in reversed(self.config.order) if (lane := self._lanes[c]))
            self._unqueue(next(iter(lane.values())), "overflow", now, notes)

    def _unqueue(self, entry: _Entry, reason: str, now: float, notes: list) -> None:
        del self._lanes[entry.category][entry.msg.id]
        del self._lane_of[entry.msg.id]
        if entry.category == "paid":
            self._thanks.add(entry.msg, "paid", now)  # never lost without a thank-you
        else:
            notes.append(self._drop_note(entry.msg, reason))

    def _choose(self, now: float) -> Pick | None:
        cfg = self.config
        first = self._lanes[cfg.order[0]]
        if not first and self._thanks_due(now):
            batch = self._thanks.take(now)
            self._last_thanks = now
            self._counts["thanked"] += batch.count
            return Pick("thanks", text=batch.text, ids=batch.ids, batched=batch.count)
        for category in cfg.order:
            lane = self._lanes[category]
            if lane:
                _, entry = lane.popitem(last=False)
                del self._lane_of[entry.msg.id]
                self._counts["answered"] += 1
                return Pick("answer", message=entry.msg, ids=(entry.msg.id,), category=category)
        if cfg.idle_lines and now - self._last_pick >= cfg.idle_after_s:
            self._counts["idle"] += 1
            return Pick("idle", text=self._next_idle_line())
        return None

    def _thanks_due(self, now: float) -> bool:
        first_at = self._thanks.first_at
        return (first_at is not None and now - first_at >= self.config.thanks_gather_s
                and now - self._last_thanks >= self.config.thanks_every_s)

    def _next_idle_line(self) -> str:
        """Lines in turn; a line equal to the one just said is skipped (when another exists)."""
        lines = self.config.idle_lines
        for _ in range(len(lines)):
            line = lines[self._idle_index % len(lines)]
            self._idle_index += 1
            if line != self._last_idle:
                break
        self._last_idle = line
        return line

    def _drop_note(self, msg: ChatMessage, reason: str) -> tuple:
        self.drops[reason] = self.drops.get(reason, 0) + 1
        return ("drop", msg, reason)

    def _dispatch(self, notes: list[tuple]) -> None:
        for note in notes:
            try:
                if note[0] == "drop":
                    if self.on_drop is not None:
                        self.on_drop(note[1], note[2])
                elif self.on_event is not None:
                    self.on_event(note[1])
            except Exception:
                log.exception("chat queue callback failed")


def _chat_event(msg: ChatMessage) -> dict:
    return {"event": "chat", "id": msg.id, "platform": msg.platform, "user": msg.user,
            "text": msg.text, "kind": msg.kind, "amount": msg.amount}
