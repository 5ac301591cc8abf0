"""YouTube Live chat, polled over the YouTube Data API v3.

Spec: ``youtube:VIDEO_OR_CHAT_ID[?api=BASE&timeout=S&wait=S]``. An 11-character id is a video:
its active chat is looked up (``videos?part=liveStreamingDetails``); any other id is taken as a
liveChatId. ``api`` is the API base (default the real one), ``timeout`` the longest one request
may hang (default 10 s), ``wait`` how long to stay quiet after the quota ran out (default 300 s).

The credential comes from the environment only: ``YOUTUBE_OAUTH_TOKEN`` (an OAuth access token,
sent as a Bearer header; it expires after about an hour and is not refreshed here) or else
``YOUTUBE_API_KEY`` (sent as ``key=``). Neither reaches a log line, an error or the status.

The first page of ``liveChat/messages`` is the chat's recent backlog: it is skipped, so only
what is said after connecting is answered. Each later page follows ``nextPageToken`` after the
page's ``pollingIntervalMillis`` (kept within 1..30 s). After an outage the source resumes from
its last page token, so chat said meanwhile arrives late rather than never. The server-streaming
``streamList`` method is not used: plain polling works with an API key and needs no HTTP/2.
``stop`` is seen at once between polls; a request in flight finishes first (``timeout`` at most).

Errors: quota exceeded → down, saying so, for ``wait`` s, then polling again; a video that is
not live → down, checked again every minute; chat ended → the source ends; an unknown or
forbidden chat, or a rejected credential → the source ends with one clear line; a 5xx, a
network error or a timeout → it raises, and the supervisor reconnects."""

from __future__ import annotations

import enum
import logging
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from datetime import datetime

import httpx

from livehost.media.frames import ChatMessage

from .base import ChatRemoval, Emit, SourceCounters, SourceStatus
from .specs import ChatSpec
from .supervisor import describe

log = logging.getLogger(__name__)

PLATFORM = "youtube"
DEFAULT_API = "https://www.googleapis.com/youtube/v3"
KEY_ENV, TOKEN_ENV = "YOUTUBE_API_KEY", "YOUTUBE_OAUTH_TOKEN"
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded",
                           "userRateLimitExceeded"})
DEFAULT_INTERVAL_S = 5.0  # when a page names no interval


class Item(enum.Enum):
    """What a chat item is when it is not a message or a removal."""

    END = "end"  # the chat ended
    SKIP = "skip"  # an event the host does not react to (polls, members-only mode...)
    MALFORMED = "malformed"


class YouTubeDown(ConnectionError):
    """The API is unreachable or failing (5xx, network, timeout): worth reconnecting."""


class _Fatal(Exception):
    """Asking again cannot help (unknown chat, forbidden, rejected credential)."""


class _ChatEnded(Exception):
    pass


class _Stopped(Exception):
    pass


class _NoQueryInLogs(logging.Filter):
    """httpx logs each request's URL at INFO, and the API key travels in its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(a.copy_with(query=None) if isinstance(a, httpx.URL) else a
                                for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_NoQueryInLogs())


class Credential:
    """An API key or OAuth access token from the environment; never shown by repr or errors."""

    __slots__ = ("_secret", "env")

    def __init__(self, env: str, secret: str) -> None:
        self.env, self._secret = env, secret

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Credential | None:
        for env in (TOKEN_ENV, KEY_ENV):  # a token can do what a key does, and more
            if secret := environ.get(env, "").strip():
                return cls(env, secret)
        return None

    def client_args(self) -> dict:
        if self.env == TOKEN_ENV:
            return {"headers": {"Authorization": f"Bearer {self._secret}"}}
        return {"params": {"key": self._secret}}

    def hide(self, text: str) -> str:
        return text.replace(self._secret, "***")

    def __repr__(self) -> str:
        return f"Credential({self.env})"


_URL_QUERY = re.compile(r"(https?://[^\s?#\"'<>]*)\?[^\s\"'<>]*")


def _get(obj: object, *keys: str) -> object:
    """``obj[k1][k2]...``, or None where that path does not exist."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _text(obj: object, *keys: str) -> str:
    value = _get(obj, *keys)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{'.'.join(keys)} is not a non-empty string")
    return value


def _optional_text(obj: object, *keys: str) -> str:
    value = _get(obj, *keys)
    return value if isinstance(value, str) else ""


def _micros(details: object) -> float:
    """``amountMicros`` (a decimal string in the API) as currency units."""
    raw = _get(details, "amountMicros")
    if isinstance(raw, str) and re.fullmatch(r"\d{1,18}", raw):
        micros = int(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        micros = raw
    else:
        raise ValueError("amountMicros is not a number")
    if micros <= 0:
        raise ValueError("amountMicros is not positive")
    return micros / 1e6


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)")


def parse_time(stamp: object) -> float | None:
    """An RFC 3339 time (``2024-05-01T12:00:00.123456+00:00``, any fraction length) as epoch
    seconds; None when it is not one."""
    match = _RFC3339.fullmatch(stamp) if isinstance(stamp, str) else None
    if match is None:
        return None
    base, fraction, zone = match.groups()
    zone = "+00:00" if zone in "Zz" else zone
    try:
        seconds = datetime.fromisoformat(f"{base}{zone}").timestamp()
    except ValueError:  # right shape, impossible date
        return None
    return seconds + (float(f"0.{fraction}") if fraction else 0.0)


# type -> (our kind, its details object, where in that the sender's own words are)
_MESSAGES = {
    "textMessageEvent": ("chat", "textMessageDetails", ("messageText",)),
    "superChatEvent": ("superchat", "superChatDetails", ("userComment",)),
    "superStickerEvent": ("superchat", "superStickerDetails", ("superStickerMetadata", "altText")),
    "newSponsorEvent": ("member", "newSponsorDetails", ()),
    "memberMilestoneChatEvent": ("member", "memberMilestoneChatDetails", ("userComment",)),
    "membershipGiftingEvent": ("member", "membershipGiftingDetails", ()),
}


def parse_item(item: object, received_at: float) -> ChatMessage | ChatRemoval | Item:
    """One ``liveChatMessage`` resource. Never raises: what it cannot read is MALFORMED."""
    try:
        return _parse(item, received_at)
    except ValueError:
        return Item.MALFORMED


def _parse(item: object, received_at: float) -> ChatMessage | ChatRemoval | Item:
    snippet = _get(item, "snippet")
    kind = _text(snippet, "type")
    msg_id = _text(item, "id")
    if kind == "chatEndedEvent":
        return Item.END
    if kind == "messageDeletedEvent":
        deleted = _text(snippet, "messageDeletedDetails", "deletedMessageId")
        return ChatRemoval(PLATFORM, id=f"{PLATFORM}:{deleted}", reason="deleted")
    if kind == "tombstone":  # the placeholder left where a deleted message was
        return ChatRemoval(PLATFORM, id=f"{PLATFORM}:{msg_id}", reason="deleted")
    if kind == "userBannedEvent":
        banned = _text(snippet, "userBannedDetails", "bannedUserDetails", "channelId")
        return ChatRemoval(PLATFORM, user_id=banned, reason="banned")
    if kind not in _MESSAGES:
        return Item.SKIP
    ours, details_key, words_at = _MESSAGES[kind]
    details = _get(snippet, details_key)
    own_words = _optional_text(details, *words_at) if words_at else ""
    text = own_words or _optional_text(snippet, "displayMessage")
    if ours == "chat" and not text:
        raise ValueError("a text message without text")
    amount, currency = None, ""
    if ours == "superchat":
        amount, currency = _micros(details), _text(details, "currency")
    author = _get(item, "authorDetails")
    return ChatMessage(
        platform=PLATFORM, user=_text(author, "displayName"), text=text, received_at=received_at,
        id=f"{PLATFORM}:{msg_id}", kind=ours, user_id=_text(author, "channelId"), amount=amount,
        currency=currency, platform_time=parse_time(_get(snippet, "publishedAt")),
    )


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """The Google error body's first ``reason`` and its ``message`` ("" where absent)."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    errors = _get(body, "error", "errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    return _optional_text(first, "reason"), _optional_text(body, "error", "message")


class YouTubeSource:
    def __init__(self, target: str, credential: Credential, *, api: str = DEFAULT_API,
                 timeout_s: float = 10.0, wait_s: float = 300.0, min_interval_s: float = 1.0,
                 max_interval_s: float = 30.0, recheck_s: float = 60.0) -> None:
        self.target, self.name, self.platform = target, f"{PLATFORM}:{target}", PLATFORM
        self.api, self.timeout_s, self.wait_s = api, timeout_s, wait_s
        self.min_interval_s, self.max_interval_s = min_interval_s, max_interval_s
        self.recheck_s = recheck_s
        self._credential = credential
        self._counters = SourceCounters()
        # Kept across runs, so a reconnect resumes where the chat was left.
        self._chat_id: str | None = None if VIDEO_ID.fullmatch(target) else target
        self._page_token: str | None = None

    def status(self) -> SourceStatus:
        return self._counters.status()

    def run(self, emit: Emit, stop: threading.Event) -> None:
        error = None
        try:
            auth = self._credential.client_args()
            with httpx.Client(base_url=self.api, timeout=self.timeout_s, **auth) as client:
                self._session(client, emit, stop)
        except _Stopped:
            pass
        except _ChatEnded:
            error = "chat ended"
            log.info("chat source %s: the chat ended", self.name)
        except _Fatal as exc:
            error = str(exc)
            log.error("chat source %s: %s", self.name, error)
        except YouTubeDown as exc:
            error = str(exc)
            raise
        finally:
            self._counters.down(error)

    def _session(self, client: httpx.Client, emit: Emit, stop: threading.Event) -> None:
        if self._chat_id is None:
            self._chat_id = self._find_chat(client, stop)
        while not stop.is_set():
            backlog = self._page_token is None
            params = {"liveChatId": self._chat_id, "part": "snippet,authorDetails"}
            if self._page_token:
                params["pageToken"] = self._page_token
            page = self._request(client, "liveChat/messages", params, stop)
            self._counters.up()
            ended = self._deliver(page.get("items"), emit, backlog)
            token = page.get("nextPageToken")  # without one, the next page is a fresh backlog
            self._page_token = token if isinstance(token, str) and token else None
            if ended or page.get("offlineAt"):
                raise _ChatEnded
            if stop.wait(self._interval(page.get("pollingIntervalMillis"))):
                raise _Stopped

    def _find_chat(self, client: httpx.Client, stop: threading.Event) -> str:
        while True:
            params = {"part": "liveStreamingDetails", "id": self.target}
            page = self._request(client, "videos", params, stop)
            items = page.get("items")
            if not isinstance(items, list):
                raise YouTubeDown("YouTube API videos: the response has no items list")
            if not items:
                raise _Fatal(f"video {self.target} not found")
            chat = _get(items[0], "liveStreamingDetails", "activeLiveChatId")
            if isinstance(chat, str) and chat:
                return chat
            self._hold(f"video {self.target} is not live / has no active chat; checking again in "
                       f"{self.recheck_s:g} s", self.recheck_s, stop)

    def _deliver(self, items: object, emit: Emit, backlog: bool) -> bool:
        """Emit a page's messages (none from the backlog); True when the chat ended."""
        if not isinstance(items, list):
            self._counters.malformed()
            return False
        ended, now = False, time.time()
        for raw in items:
            parsed = parse_item(raw, now)
            if parsed is Item.MALFORMED:
                self._counters.malformed()
            elif parsed is Item.END:
                ended = True
            elif parsed is not Item.SKIP and not backlog:
                emit(parsed)
                if isinstance(parsed, ChatMessage):
                    self._counters.received()
        return ended

    def _interval(self, millis: object) -> float:
        ok = isinstance(millis, int | float) and not isinstance(millis, bool) and math.isfinite(millis)
        seconds = millis / 1000 if ok else DEFAULT_INTERVAL_S
        return min(self.max_interval_s, max(self.min_interval_s, seconds))

    def _hold(self, why: str, seconds: float, stop: threading.Event) -> None:
        """Down, saying ``why``, for ``seconds`` (or until stopped)."""
        log.warning("chat source %s: %s", self.name, why)
        self._counters.down(why)
        if stop.wait(seconds):
            raise _Stopped

    def _request(self, client: httpx.Client, path: str, params: dict, stop: threading.Event) -> dict:
        """GET ``path``'s JSON object; waits out an exhausted quota, raises for the rest."""
        while True:
            try:
                response = client.get(path, params=params)
            except httpx.HTTPError as exc:
                why = self._scrub(f"YouTube API {path} unreachable ({describe(exc)})")
                raise YouTubeDown(why) from None
            code = response.status_code
            if response.is_success:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    raise YouTubeDown(f"YouTube API {path}: HTTP {code} without a JSON object")
                return body
            reason, message = _error_of(response)
            if reason in QUOTA_REASONS:
                self._hold(f"YouTube API quota exceeded ({reason}); asking again in {self.wait_s:g} s",
                           self.wait_s, stop)
                continue
            if reason == "liveChatEnded":
                raise _ChatEnded
            if code >= 500 or code == 429:
                raise YouTubeDown(f"YouTube API {path}: HTTP {code} ({reason or 'no reason given'})")
            raise _Fatal(self._scrub(self._explain(path, code, reason, message)))

    def _explain(self, path: str, code: int, reason: str, message: str) -> str:
        if reason == "liveChatNotFound":
            return f"live chat {self._chat_id} not found (liveChatNotFound)"
        if reason == "liveChatDisabled":
            return f"live chat {self._chat_id} is disabled (liveChatDisabled)"
        if reason == "forbidden":
            return (f"YouTube API {path}: forbidden; the credential in {self._credential.env} "
                    "may not allow this")
        if code == 401 or reason == "keyInvalid" or "API key" in message:
            return (f"YouTube rejected the credential in {self._credential.env} "
                    f"(HTTP {code}, {reason or message})")
        return f"YouTube API {path}: HTTP {code} ({reason or message or 'no reason given'})"

    def _scrub(self, text: str) -> str:
        return self._credential.hide(_URL_QUERY.sub(r"\1", text))


def from_spec(spec: ChatSpec) -> YouTubeSource:
    api = spec.option("api", DEFAULT_API)
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", api):
        raise spec.error(f"api={api!r} must be an http(s) URL without a query")
    timeout_s, wait_s = spec.number("timeout", 10.0), spec.number("wait", 300.0)
    for key, value in (("timeout", timeout_s), ("wait", wait_s)):
        if not (math.isfinite(value) and value > 0):
            raise spec.error(f"{key}={value:g} must be a positive number of seconds")
    if not re.fullmatch(r"[A-Za-z0-9_.=+/-]+", spec.target):
        raise spec.error(f"{spec.target!r} is not a video id or live chat id")
    credential = Credential.from_env()
    if credential is None:
        raise spec.error(f"no YouTube credential: set {KEY_ENV} (an API key) or {TOKEN_ENV} "
                         "(an OAuth access token)")
    return YouTubeSource(spec.target, credential, api=api.rstrip("/"), timeout_s=timeout_s,
                         wait_s=wait_s)

