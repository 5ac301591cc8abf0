"""A generic signed webhook: anything that can sign an HTTP POST (a bot, a relay for another
platform, a shop's order hook) posts chat to ``path`` on the API server.

Spec: ``webhook`` (option ``path=``, default /hooks/chat); the secret comes from
LIVEHOST_WEBHOOK_SECRET. The body is one JSON object or an array of them:

    {"user": str, "text": str, "kind"?: str, "amount"?: number, "currency"?: str,
     "id"?: str, "user_id"?: str, "platform"?: str}

(kinds as for POST /api/chat, less operator and mic). Signed with the header
``X-Livehost-Signature: t=UNIX,v1=HEX``, HEX = hex(HMAC-SHA256(secret, f"{t}.{body}")) over
the exact body bytes. A signature more than 5 minutes off the clock, or one already used, is
refused (so a captured request cannot be sent again). Each item is checked alone: bad ones
are named in the reply, good ones kept. Ids become "<platform>:<id>" ("webhook:<id>" unless
the item names its platform)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import StringConstraints, ValidationError

from livehost.media.frames import ChatMessage
from livehost.sources.bodies import BodyError, ChatBody, first_error

from .base import HookReply
from .push import PushSource, hook_path, source_name
from .signing import SeenKeys, lower_keys, same, secret_from_env
from .specs import ChatSpec

SECRET_ENV = "LIVEHOST_WEBHOOK_SECRET"
DEFAULT_PATH = "/hooks/chat"
HEADER = "X-Livehost-Signature"
WINDOW_S = 300.0
MAX_NAMED = 20  # rejected items named in one reply; the count is exact


def digest(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    """The header value that signs ``body`` at UNIX time ``t``."""
    return f"t={t},v1={digest(secret, body, t)}"


def read_header(value: str | None) -> tuple[int, str]:
    """(t, v1) of a signature header; ValueError naming what is wrong."""
    if not value:
        raise ValueError(f"missing header {HEADER}")
    parts = dict(part.strip().partition("=")[::2] for part in value.split(","))
    try:
        t, v1 = int(parts["t"]), parts["v1"].strip().lower()
    except (KeyError, ValueError):
        raise ValueError(f"{HEADER} must read t=UNIX,v1=HEX") from None
    return t, v1


class WebhookItem(ChatBody):
    """One message as posted: /api/chat's body, plus who and where it came from. Operator
    lines and the microphone stay the operator's, not the webhook's."""

    kind: Literal["chat", "question", "gift", "superchat", "member", "follow", "raid",
                  "system"] = "chat"
    user_id: Annotated[str, StringConstraints(max_length=256)] = ""
    platform: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")] = "webhook"

    def message(self) -> ChatMessage:
        return ChatMessage(platform=self.platform, user=self.user, text=self.text,
                           id=f"{self.platform}:{self.id}" if self.id else "", kind=self.kind,
                           user_id=self.user_id or self.user, amount=self.amount,
                           currency=self.currency)


@dataclass(frozen=True, slots=True)
class Items:
    messages: list[ChatMessage]
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (index, what is wrong)


def parse_items(body: bytes) -> Items:
    """Each item of the body on its own. Raises BodyError (a ValueError naming what is wrong)
    only when the body is not a JSON object or array."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BodyError("body: not valid JSON") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise BodyError("body: must be a JSON object or an array of them")
    messages, rejected = [], []
    for index, row in enumerate(data):
        try:
            messages.append(WebhookItem.model_validate(row).message())
        except ValidationError as exc:
            rejected.append((index, first_error(exc)))
    return Items(messages, rejected)


class WebhookSource(PushSource):
    platform = "webhook"

    def __init__(self, secret: str, *, path: str = DEFAULT_PATH, name: str = "webhook",
                 clock: Callable[[], float] = time.time, remember_signatures: int = 100_000,
                 inbox: int = 1000) -> None:
        super().__init__(name, path, inbox=inbox)
        self._secret, self.clock = secret, clock
        # Replay is refused while a signature is remembered: keep more than arrive in one
        # window (100k: 330 requests a second for 5 minutes).
        self._used = SeenKeys(remember_signatures)

    def __repr__(self) -> str:  # never the secret
        return f"WebhookSource(name={self.name!r}, path={self.path!r})"

    def receive(self, headers: Mapping[str, str], body: bytes) -> HookReply:
        try:
            t, v1 = read_header(lower_keys(headers).get(HEADER.lower()))
        except ValueError as exc:
            return self._refuse(401, str(exc))
        if abs(self.clock() - t) > WINDOW_S:
            return self._refuse(401, "signature timestamp outside the 5-minute window")
        if not same(v1, digest(self._secret, body, t)):
            return self._refuse(401, f"{HEADER} does not match the body (HMAC-SHA256 of "
                                     f"\"t.body\" with {SECRET_ENV})")
        if not self._used.add((t, v1)):  # only after the check: forgeries cannot fill it
            return self._refuse(401, "signature already used (a replayed request)")
        try:
            items = parse_items(body)
        except BodyError as exc:
            self._counters.malformed()
            return self._refuse(400, str(exc))
        for _ in items.rejected:
            self._counters.malformed()
        named = [{"index": i, "error": why} for i, why in items.rejected[:MAX_NAMED]]
        if items.rejected and not items.messages:
            return HookReply(400, {"error": f"{self.name}: no valid item; [{named[0]['index']}] "
                                            f"{named[0]['error']}", "rejected": named})
        if items.messages and not self._hand_over(items.messages):
            self._used.forget([(t, v1)])  # not taken: the same request may be sent again
            return self._busy()
        return HookReply(200, {"ok": True, "accepted": len(items.messages),
                               "rejected": named, "malformed": len(items.rejected)})


def from_spec(spec: ChatSpec) -> WebhookSource:
    path = hook_path(spec, DEFAULT_PATH)
    return WebhookSource(secret_from_env(spec, SECRET_ENV), path=path,
                         name=source_name("webhook", path, DEFAULT_PATH))
