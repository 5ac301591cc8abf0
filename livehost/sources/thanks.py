"""Gifts, follows, memberships and raids are thanked together, not one by one: they gather in
groups (one per gift name or kind) and leave as one line — "Thanks Ann, Bo and 3 others for
the roses!". Paid messages that could not be answered (expired, evicted) are thanked here too.

Memory is bounded however many arrive: a group keeps a few names, a capped set of who else
gave, and a capped list of message ids; the number of groups is capped (later kinds of gift
fold into one "gifts" group per kind)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from livehost.media.frames import ChatMessage

from .classify import normalize

Language = Literal["en", "zh"]

# What each kind is thanked for; {gift} is the gift's name as the platform sent it.
_FOR = {
    "en": {"gift": "for the {gift}", "gifts": "for the gifts", "follow": "for the follow",
           "member": "for becoming members", "raid": "for the raid", "paid": "for the support"},
    "zh": {"gift": "送的{gift}", "gifts": "送的礼物", "follow": "的关注", "member": "加入会员",
           "raid": "带队来访", "paid": "的支持"},
}
_OTHER_KINDS = {"follow", "member", "raid", "paid"}


def _names_en(names: list[str], others: int) -> str:
    if others:
        tail = f"{others} other" + ("s" if others > 1 else "")
        return f"{', '.join(names)} and {tail}"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _names_zh(names: list[str], others: int) -> str:
    if others:
        return f"{'、'.join(names)}等{len(names) + others}位朋友"
    return names[0] if len(names) == 1 else f"{'、'.join(names[:-1])}和{names[-1]}"


def thanks_line(kind: str, gift: str, names: list[str], others: int, language: Language) -> str:
    key = kind if kind in _OTHER_KINDS else ("gift" if gift else "gifts")
    reason = _FOR[language][key].format(gift=gift)
    if language == "zh":
        return f"谢谢{_names_zh(names, others)}{reason}！"
    return f"Thanks {_names_en(names, others)} {reason}!"


@dataclass(slots=True)
class _Group:
    kind: str
    gift: str  # display name of the gift; "" for other kinds and the catch-all group
    names: list[str] = field(default_factory=list)
    givers: set[tuple[str, str]] = field(default_factory=set)
    uncounted: int = 0  # gifts from givers beyond the set's cap (may count a giver twice)
    ids: list[str] = field(default_factory=list)
    count: int = 0


@dataclass(frozen=True, slots=True)
class ThanksBatch:
    text: str
    ids: tuple[str, ...]  # at most ``max_ids`` of the messages it covers
    count: int  # every message it covers


class ThanksCollector:
    """Not thread-safe: the queue calls it under its own lock."""

    def __init__(self, *, names_shown: int = 2, max_groups: int = 3, max_ids: int = 1000,
                 max_kept_groups: int = 32, language: Language = "en") -> None:
        self.names_shown, self.max_groups, self.max_ids = names_shown, max_groups, max_ids
        self.max_kept_groups, self.language = max_kept_groups, language
        self._groups: OrderedDict[tuple[str, str], _Group] = OrderedDict()
        self._ids_kept = 0
        self.pending = 0
        self.first_at: float | None = None  # when the oldest waiting message arrived

    def add(self, msg: ChatMessage, kind: str, now: float) -> None:
        """``kind``: the message's kind, or "paid" for a paid message thanked unanswered."""
        gift = msg.text.strip() if kind not in _OTHER_KINDS else ""
        key = (kind, normalize(gift) if gift else "")
        if key not in self._groups and len(self._groups) >= self.max_kept_groups:
            key, gift = (kind, ""), ""  # a new gift name past the cap folds into "the gifts"
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(kind, gift)
        giver = (msg.platform, msg.user_id or msg.user)
        if giver not in group.givers:
            if len(group.givers) < self.max_ids:
                group.givers.add(giver)
                if len(group.names) < self.names_shown:
                    group.names.append(msg.user)
            else:
                group.uncounted += 1
        if self._ids_kept < self.max_ids:
            group.ids.append(msg.id)
            self._ids_kept += 1
        group.count += 1
        self.pending += 1
        if self.first_at is None:
            self.first_at = now

    def take(self, now: float) -> ThanksBatch | None:
        """One line for the oldest ``max_groups`` groups; the rest wait for the next batch."""
        if not self._groups:
            return None
        lines, ids, count = [], [], 0
        for _ in range(min(self.max_groups, len(self._groups))):
            _, group = self._groups.popitem(last=False)
            others = len(group.givers) - len(group.names) + group.uncounted
            lines.append(thanks_line(group.kind, group.gift, group.names, others, self.language))
            ids += group.ids
            count += group.count
        self._ids_kept -= len(ids)
        self.pending -= count
        self.first_at = now if self._groups else None
        return ThanksBatch(" ".join(lines), tuple(ids), count)
