"""Douyin's live data push: the open platform POSTs a room's comments, gifts, likes and fans
club events, a signed JSON array per request, to ``path`` on the API server.

Spec: ``douyin`` (option ``path=``, default /hooks/douyin); the push secret comes from
DOUYIN_WEBHOOK_SECRET. A comment is chat; a gift is a gift (amount in CNY: the platform sends
the gift's total value in fen); joining the fans club is a membership and a level-up a system
line (which the queue drops). Likes are not passed on: they arrive by the hundred and there
is nothing to answer.

The platform may push a message twice, and counts a reply slower than 2 s (or not 2xx) as a
failed push, stopping for a while after ten in a row. So a duplicate is answered 200 and not
passed on again, a malformed item in a signed batch is skipped and counted while the rest is
kept, and the reply never waits on the host."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from livehost.media.frames import ChatMessage
from livehost.sources.bodies import BodyError

from .base import HookReply
from .push import PushSource, hook_path, source_name
from .signing import SeenKeys, lower_keys, same, secret_from_env
from .specs import ChatSpec

SECRET_ENV = "DOUYIN_WEBHOOK_SECRET"
DEFAULT_PATH = "/hooks/douyin"
SIGNED_HEADERS = ("x-msg-type", "x-nonce-str", "x-roomid", "x-timestamp")  # sorted by name
FANSCLUB_LEVEL_UP, FANSCLUB_JOIN = 1, 2


def signature(fields: Mapping[str, str], body: bytes, secret: str) -> str:
    """base64(md5(the signed headers as ``k=v`` sorted by name and joined by ``&``, then the
    body, then the secret))."""
    signed = "&".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()
    return base64.b64encode(hashlib.md5(signed + body + secret.encode()).digest()).decode()


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Item(BaseModel):
    # Lax: the platform's numbers and ids arrive as either JSON type; unknown fields ignored.
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    msg_id: Id
    sec_openid: Id
    nickname: Name
    timestamp: Annotated[int, Field(ge=0)] | None = None


class _Comment(_Item):
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _Gift(_Item):
    sec_gift_id: Id
    gift_num: Annotated[int, Field(ge=1)]
    gift_value: Annotated[int, Field(ge=0)]  # fen, for all gift_num gifts together


class _Fansclub(_Item):
    fansclub_reason_type: int
    fansclub_level: Annotated[int, Field(ge=0)] = 0


@dataclass(frozen=True, slots=True)
class Batch:
    messages: list[ChatMessage]
    malformed: int = 0  # items skipped: not the shape their type has
    ignored: int = 0  # items of a type (or fans club event) not passed on


def _message(item: _Item, **fields) -> ChatMessage:
    ts = item.timestamp
    platform_time = None if ts is None else ts / 1000 if ts > 10**11 else float(ts)  # ms or s
    return ChatMessage(platform="douyin", user=item.nickname, id=f"douyin:{item.msg_id}",
                       user_id=item.sec_openid, platform_time=platform_time, **fields)


def _comment(row: dict) -> ChatMessage:
    item = _Comment.model_validate(row)
    return _message(item, text=item.content)


def _gift(row: dict) -> ChatMessage:
    # The gift's name is not sent (only an opaque id): it is thanked as "the gifts".
    item = _Gift.model_validate(row)
    return _message(item, text="", kind="gift", amount=item.gift_value / 100, currency="CNY")


def _fansclub(row: dict) -> ChatMessage | None:
    item = _Fansclub.model_validate(row)
    if item.fansclub_reason_type == FANSCLUB_JOIN:
        return _message(item, text="", kind="member")
    if item.fansclub_reason_type == FANSCLUB_LEVEL_UP:
        return _message(item, text=f"fans club level {item.fansclub_level}", kind="system")
    return None  # other events (leaving the club...): nothing to say


_PARSERS = {"live_comment": _comment, "live_gift": _gift, "live_fansclub": _fansclub}


def parse_batch(msg_type: str, body: bytes) -> Batch:
    """The messages of one push. Raises BodyError (a ValueError naming what is wrong) only
    when the body is not a JSON array; a bad item in it is skipped and counted."""
    try:
        rows = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BodyError("body: not valid JSON") from None
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        raise BodyError("body: must be a JSON array of messages")
    parse = _PARSERS.get(msg_type)
    if parse is None:  # likes, and types added later
        return Batch([], ignored=len(rows))
    messages, malformed, ignored = [], 0, 0
    for row in rows:
        try:
            message = parse(row)
        except ValidationError:  # includes a row that is not an object
            malformed += 1
            continue
        if message is None:
            ignored += 1
        else:
            messages.append(message)
    return Batch(messages, malformed, ignored)


class DouyinSource(PushSource):
    platform = "douyin"

    def __init__(self, secret: str, *, path: str = DEFAULT_PATH, name: str = "douyin",
                 remember_ids: int = 10_000, inbox: int = 1000) -> None:
        super().__init__(name, path, inbox=inbox)
        self._secret = secret
        self._seen = SeenKeys(remember_ids)  # the platform redelivers: dedupe on msg_id

    def __repr__(self) -> str:  # never the secret
        return f"DouyinSource(name={self.name!r}, path={self.path!r})"

    def receive(self, headers: Mapping[str, str], body: bytes) -> HookReply:
        fields = lower_keys(headers)
        for header in (*SIGNED_HEADERS, "x-signature"):
            if header not in fields:
                return self._refuse(401, f"missing header {header}")
        expected = signature({key: fields[key] for key in SIGNED_HEADERS}, body, self._secret)
        if not same(fields["x-signature"].strip(), expected):
            return self._refuse(401, f"x-signature does not match the request (is {SECRET_ENV} "
                                     "the app's push secret?)")
        try:
            batch = parse_batch(fields["x-msg-type"], body)
        except BodyError as exc:
            self._counters.malformed()
            return self._refuse(400, str(exc))
        for _ in range(batch.malformed):
            self._counters.malformed()
        fresh = [m for m in batch.messages if self._seen.add(m.id)]
        if fresh and not self._hand_over(fresh):
            self._seen.forget(m.id for m in fresh)  # not taken: a redelivery must get through
            return self._busy()
        return HookReply(200, {"ok": True, "accepted": len(fresh),
                               "duplicates": len(batch.messages) - len(fresh),
                               "malformed": batch.malformed, "ignored": batch.ignored})


def from_spec(spec: ChatSpec) -> DouyinSource:
    path = hook_path(spec, DEFAULT_PATH)
    return DouyinSource(secret_from_env(spec, SECRET_ENV), path=path,
                        name=source_name("douyin", path, DEFAULT_PATH))
