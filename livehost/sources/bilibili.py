"""Bilibili live chat (弹幕), gifts, super chats and memberships from a room's broadcast
WebSocket: ``bilibili:ROOM_ID``.

Two routes reach the same packet protocol (see ``bilibili_packets``):

- The public broadcast server (default ``wss://broadcastlv.chat.bilibili.com/sub``, another
  with ``?ws=URL``), joined anonymously. ROOM_ID is the room's real (long) id: the short ids
  some rooms show in their address are not resolved here. Anonymous viewers get what Bilibili
  shows logged-out users: names masked (``用***``) and uid 0. Names are kept as given. So
  that the masked viewers do not all count as one user for the queue's per-user limits, a
  message with uid 0 gets the user id ``crc:<n>``, from the CRC-32 of the sender's uid that
  each danmaku still carries. A token in BILIBILI_TOKEN (the auth packet's ``key``; with
  BILIBILI_UID for a logged-in viewer) is sent as given and never logged.
- The open platform (``?app_id=ID``): the app's access key in BILIBILI_ACCESS_KEY_ID /
  BILIBILI_ACCESS_KEY_SECRET and the streamer's identity code in BILIBILI_IDENTITY_CODE. A
  signed HTTP call (``/v2/app/start`` on ``?api=URL``, default the open platform's) returns the
  WebSocket address and auth body; the session is kept alive every 20 s and ended on the way
  out. Names arrive unmasked; users are told apart by their ``open_id``.

The connection sends a heartbeat every ``heartbeat`` seconds (30); no data at all for
``watchdog`` seconds (70: two heartbeats missed) raises, and the supervisor reconnects.
Unreadable packets and commands are skipped and counted as malformed; commands this module
does not map are counted in ``unknown``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from livehost.errors import LivehostError
from livehost.media.frames import ChatMessage

from .base import ChatRemoval, Emit, SourceCounters, SourceStatus
from .bilibili_packets import AUTH, AUTH_REPLY, COMMAND, HEARTBEAT, decode, encode
from .specs import ChatSpec
from .supervisor import describe

log = logging.getLogger(__name__)

PLATFORM = "bilibili"
DEFAULT_WS = "wss://broadcastlv.chat.bilibili.com/sub"
OPEN_API = "https://live-open.biliapi.com"
# The app's access key id and secret, and the streamer's identity code
OPEN_VARIABLES = ("BILIBILI_ACCESS_KEY_ID", "BILIBILI_ACCESS_KEY_SECRET", "BILIBILI_IDENTITY_CODE")
MAX_REPLY = 1 << 20  # bytes of an open-platform reply read (real ones are about 1 KiB)
POLL_S = 0.25  # how often a quiet connection looks at stop, heartbeat and watchdog
GUARD_NAMES = {1: "总督", 2: "提督", 3: "舰长"}  # guard_level → the membership's name
COINS_PER_CNY = 1000  # gold coins (金瓜子): what paid gifts and memberships are priced in

Event = ChatMessage | ChatRemoval


# -- commands to messages -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Read:
    """What one command gave: ``events`` for the host (none for a command that carries nothing
    for it); ``unknown`` when this module does not map the command; ``malformed`` when it
    could not be read."""

    events: tuple[Event, ...] = ()
    unknown: bool = False
    malformed: bool = False


_MALFORMED, _UNKNOWN = Read(malformed=True), Read(unknown=True)
# What broken input raises when read as if it were well formed (RecursionError: JSON nested
# deeper than the parser goes).
_BAD_INPUT = (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError)


def read_command(body: bytes, received_at: float) -> Read:
    """One command packet's body (JSON with a ``cmd``, maybe suffixed: ``DANMU_MSG:4:0:2``)."""
    try:
        command = json.loads(body.decode("utf-8"))
        name = command["cmd"].partition(":")[0]
    except _BAD_INPUT:
        return _MALFORMED
    mapper = _MAPPERS.get(name)
    if mapper is None:
        return _UNKNOWN
    try:
        return Read(tuple(mapper(command, received_at)))
    except _BAD_INPUT:
        return _MALFORMED


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a text")
    return value


def _number(value: object) -> float:
    """A finite, non-negative number (JSON also has NaN, Infinity and booleans)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    if not math.isfinite(value) or value < 0:
        raise ValueError("not a count or price")
    return float(value)


def _user_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("not a user id")
    return str(value)


def _seconds(value: object) -> float | None:
    """A timestamp the platform may leave out: None when it did (or sent junk)."""
    try:
        return _number(value) or None
    except (TypeError, ValueError):
        return None


def _paid(cny: float) -> dict:
    """A message's amount fields: CNY when something was paid, none when nothing was."""
    return {"amount": cny, "currency": "CNY"} if cny > 0 else {}


def _key(prefix: str, value: object, fallback: object) -> str:
    """``bilibili:PREFIX:value``, or a digest of ``fallback`` when the platform gave no id."""
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return f"{PLATFORM}:{prefix}:{value}"
    digest = hashlib.sha1(json.dumps(fallback, sort_keys=True, default=str).encode()).hexdigest()
    return f"{PLATFORM}:{prefix}:h{digest[:16]}"


def _message(now: float, user: str, text: str, msg_id: str, user_id: str, **extra) -> ChatMessage:
    return ChatMessage(platform=PLATFORM, user=user, text=text, id=msg_id, user_id=user_id,
                       received_at=now, **extra)


def _danmu(command: dict, now: float) -> list[Event]:
    info = command["info"]
    meta, sender = info[0], info[2]
    uid, text = _user_id(sender[0]), _text(info[1])
    user_id = uid if uid != "0" else _anonymous_id(meta)
    platform_time = _seconds(meta[4]) if len(meta) > 4 else None
    return [_message(now, _text(sender[1]), text, _danmu_id(info), user_id,
                     platform_time=platform_time / 1000 if platform_time else None)]


def _anonymous_id(meta: list) -> str:
    """``crc:<n>`` from the hex CRC-32 of the sender's uid (info[0][7]); "" without one."""
    try:
        return f"crc:{int(meta[7], 16)}"
    except (IndexError, TypeError, ValueError):
        return ""


def _danmu_id(info: list) -> str:
    """The danmaku's own id (``id_str`` in its extra JSON), else its check token, else a digest."""
    try:
        extra = json.loads(info[0][15]["extra"])
        return _key("dm", _text(extra["id_str"]), None)
    except _BAD_INPUT:
        pass
    check = info[9] if len(info) > 9 and isinstance(info[9], dict) else {}
    return _key("dm", check.get("ct"), info[:3])


def _gift(command: dict, now: float) -> list[Event]:
    data = command["data"]
    count = _number(data["num"])
    total = _number(data["total_coin"] if "total_coin" in data else data["price"] * count)
    # Silver coins are free gifts: thanked, never "paid".
    paid = total / COINS_PER_CNY if data.get("coin_type") == "gold" else 0
    return [_message(now, _text(data["uname"]), _text(data["giftName"]),
                     _key("gift", data.get("tid") or data.get("rnd"), data), _user_id(data["uid"]),
                     kind="gift", platform_time=_seconds(data.get("timestamp")), **_paid(paid))]


def _combo(command: dict, now: float) -> list[Event]:
    # The summary of a combo: each of its gifts came as a SEND_GIFT with its price already, so
    # the summary is thanked but carries no amount (it would count the money twice).
    data = command["data"]
    combo = data.get("batch_combo_id") or data.get("combo_id")
    return [_message(now, _text(data["uname"]), _text(data["gift_name"]),
                     _key("combo", combo, data), _user_id(data["uid"]), kind="gift")]


def _superchat(command: dict, now: float) -> list[Event]:
    data = command["data"]
    return [_message(now, _text(data["user_info"]["uname"]), _text(data["message"]),
                     _key("sc", data.get("id"), data), _user_id(data["uid"]), kind="superchat",
                     platform_time=_seconds(data.get("start_time")),
                     **_paid(_number(data["price"])))]  # in CNY


def _superchat_deleted(command: dict, now: float) -> list[Event]:
    ids = command["data"]["ids"]
    return [ChatRemoval(PLATFORM, id=_key("sc", _user_id(sc), None)) for sc in ids]


def _guard(command: dict, now: float) -> list[Event]:
    data = command["data"]
    level = data.get("guard_level")
    name = data.get("gift_name") or GUARD_NAMES.get(level, "大航海")
    coins = _number(data["price"]) * _number(data.get("num", 1))  # price is per month
    return [_message(now, _text(data["username"]), _text(name), _key("guard", None, data),
                     _user_id(data["uid"]), kind="member",
                     platform_time=_seconds(data.get("start_time")),
                     **_paid(coins / COINS_PER_CNY))]


def _interact(command: dict, now: float) -> list[Event]:
    data = command["data"]
    if data.get("msg_type") != 2:  # 1 entered the room, 3 shared it...: nothing to say
        return []
    return [_message(now, _text(data["uname"]), "", _key("follow", None, data),
                     _user_id(data["uid"]), kind="follow",
                     platform_time=_seconds(data.get("timestamp")))]


def _blocked(command: dict, now: float) -> list[Event]:
    # A moderator banned a viewer: withdraw their waiting messages under both of their ids
    # (the uid, and the CRC form anonymous connections see).
    uid = _user_id(command["data"]["uid"])
    crc = zlib.crc32(uid.encode())
    return [ChatRemoval(PLATFORM, user_id=uid, reason="banned"),
            ChatRemoval(PLATFORM, user_id=f"crc:{crc}", reason="banned")]


def _open_user(data: dict) -> str:
    return _user_id(data.get("open_id") or data["uid"])


def _open_danmu(command: dict, now: float) -> list[Event]:
    data = command["data"]
    return [_message(now, _text(data["uname"]), _text(data["msg"]),
                     _key("dm", data.get("msg_id"), data), _open_user(data),
                     platform_time=_seconds(data.get("timestamp")))]


def _open_gift(command: dict, now: float) -> list[Event]:
    data = command["data"]
    # Coins per gift; r_price is what was paid after discounts.
    unit = _number(data["r_price"] if "r_price" in data else data["price"])
    coins = unit * _number(data["gift_num"]) if data.get("paid") is True else 0
    return [_message(now, _text(data["uname"]), _text(data["gift_name"]),
                     _key("gift", data.get("msg_id"), data), _open_user(data), kind="gift",
                     platform_time=_seconds(data.get("timestamp")), **_paid(coins / COINS_PER_CNY))]


def _open_superchat(command: dict, now: float) -> list[Event]:
    data = command["data"]
    return [_message(now, _text(data["uname"]), _text(data["message"]),
                     _key("sc", data.get("message_id"), data), _open_user(data), kind="superchat",
                     platform_time=_seconds(data.get("timestamp")), **_paid(_number(data["rmb"])))]


def _open_superchat_deleted(command: dict, now: float) -> list[Event]:
    return [ChatRemoval(PLATFORM, id=_key("sc", _user_id(sc), None))
            for sc in command["data"]["message_ids"]]


def _open_guard(command: dict, now: float) -> list[Event]:
    data = command["data"]
    user = data["user_info"]
    name = GUARD_NAMES.get(data.get("guard_level"), "大航海")
    coins = _number(data["price"]) * _number(data.get("guard_num", 1))
    return [_message(now, _text(user["uname"]), name, _key("guard", data.get("msg_id"), data),
                     _open_user(user), kind="member", platform_time=_seconds(data.get("timestamp")),
                     **_paid(coins / COINS_PER_CNY))]


_MAPPERS: dict[str, Callable[[dict, float], list[Event]]] = {
    "DANMU_MSG": _danmu,
    "SEND_GIFT": _gift,
    "COMBO_SEND": _combo,
    "SUPER_CHAT_MESSAGE": _superchat,
    "SUPER_CHAT_MESSAGE_DELETE": _superchat_deleted,
    "GUARD_BUY": _guard,
    "INTERACT_WORD": _interact,
    "ROOM_BLOCK_MSG": _blocked,
    "LIVE_OPEN_PLATFORM_DM": _open_danmu,
    "LIVE_OPEN_PLATFORM_SEND_GIFT": _open_gift,
    "LIVE_OPEN_PLATFORM_SUPER_CHAT": _open_superchat,
    "LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL": _open_superchat_deleted,
    "LIVE_OPEN_PLATFORM_GUARD": _open_guard,
}


# -- the open platform -------------------------------------------------------------------


def sign(body: bytes, key_id: str, secret: str, *, nonce: str, timestamp: int) -> dict[str, str]:
    """The open platform's request headers: the ``x-bili-*`` ones, sorted, as ``name:value``
    lines signed with HMAC-SHA256 under the access key secret (hex, in Authorization)."""
    headers = {
        "x-bili-accesskeyid": key_id,
        "x-bili-content-md5": hashlib.md5(body).hexdigest(),
        "x-bili-signature-method": "HMAC-SHA256",
        "x-bili-signature-nonce": nonce,
        "x-bili-signature-version": "1.0",
        "x-bili-timestamp": str(timestamp),
    }
    text = "\n".join(f"{name}:{headers[name]}" for name in sorted(headers))
    headers["Authorization"] = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return headers


@dataclass(frozen=True, slots=True)
class Game:
    """An open-platform session: where to connect and what to authenticate with."""

    game_id: str
    urls: tuple[str, ...]
    auth_body: str = field(default="", repr=False)  # a credential
    room_id: int = 0


class OpenPlatform:
    """The open platform's signed HTTP calls: start, heartbeat and end a session."""

    def __init__(self, app_id: int, key_id: str, secret: str, code: str, api: str = OPEN_API,
                 timeout_s: float = 10.0) -> None:
        self.app_id, self.api, self.timeout_s = app_id, api.rstrip("/"), timeout_s
        self._key_id, self._secret, self._code = key_id, secret, code

    def __repr__(self) -> str:
        return f"OpenPlatform(app_id={self.app_id}, api={self.api!r})"

    def start(self) -> Game:
        data = self._call("/v2/app/start", {"code": self._code, "app_id": self.app_id})
        try:
            socket = data["websocket_info"]
            urls = tuple(_text(url) for url in socket["wss_link"])
            game = Game(str(data["game_info"]["game_id"]), urls, _text(socket["auth_body"]),
                        int(data.get("anchor_info", {}).get("room_id", 0)))
        except _BAD_INPUT:
            raise ConnectionError("bilibili open platform: the start reply lacks websocket_info"
                                  ) from None
        if not urls:
            raise ConnectionError("bilibili open platform: the start reply names no server")
        return game

    def heartbeat(self, game_id: str) -> None:
        self._call("/v2/app/heartbeat", {"game_id": game_id})

    def end(self, game_id: str) -> None:
        self._call("/v2/app/end", {"app_id": self.app_id, "game_id": game_id})

    def _call(self, path: str, payload: dict) -> dict:
        body = json.dumps(payload).encode()
        headers = sign(body, self._key_id, self._secret, nonce=secrets.token_hex(8),
                       timestamp=int(time.time()))
        headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        request = urllib.request.Request(self.api + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reply = json.loads(response.read(MAX_REPLY))
        except urllib.error.HTTPError as exc:
            raise ConnectionError(f"bilibili open platform {path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectionError(f"bilibili open platform {path}: {describe(exc)}") from None
        except ValueError:
            raise ConnectionError(f"bilibili open platform {path}: the reply is not JSON") from None
        if not isinstance(reply, dict):
            raise ConnectionError(f"bilibili open platform {path}: the reply is not an object")
        if reply.get("code") != 0:
            code, why = reply.get("code"), str(reply.get("message", ""))[:120]
            raise LivehostError(f"bilibili open platform refused {path} (code {code}: {why})")
        data = reply.get("data")
        return data if isinstance(data, dict) else {}


# -- the source ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Session:
    url: str
    auth: bytes = field(repr=False)  # the auth packet's body: a credential, never logged
    failure: str | None = None  # set by the open platform's keepalive when the session ended


class BilibiliSource:
    def __init__(self, room: int, *, url: str = DEFAULT_WS, token: str = "", uid: int = 0,
                 open_platform: OpenPlatform | None = None, heartbeat_s: float = 30.0,
                 watchdog_s: float = 70.0, keepalive_s: float = 20.0,
                 name: str | None = None) -> None:
        self.room, self.url, self.open_platform = room, url, open_platform
        self.heartbeat_s, self.watchdog_s, self.keepalive_s = heartbeat_s, watchdog_s, keepalive_s
        self.name = name or f"{PLATFORM}:{room}"
        self.unknown = 0  # commands not mapped (read by one thread, so no lock)
        self._token, self._uid = token, uid
        self._counters = SourceCounters()
        self._starts = 0  # rotates through the open platform's servers across reconnects

    def __repr__(self) -> str:
        return (f"BilibiliSource(room={self.room}, url={self.url!r}, "
                f"open_platform={self.open_platform!r})")

    def status(self) -> SourceStatus:
        return self._counters.status()

    def run(self, emit: Emit, stop: threading.Event) -> None:
        try:
            with self._session() as session, connect(
                    session.url, open_timeout=5, close_timeout=1, ping_interval=None,
                    compression=None) as ws:
                ws.send(encode(AUTH, session.auth))
                self._serve(ws, session, emit, stop)
        except ConnectionClosed as exc:
            self._counters.down("the server closed the connection")
            raise ConnectionError(f"bilibili room {self.room}: the server closed the connection "
                                  f"({exc})") from None
        except Exception as exc:
            self._counters.down(describe(exc))
            raise
        self._counters.down()

    @contextmanager
    def _session(self) -> Iterator[_Session]:
        if self.open_platform is None:
            body = {"uid": self._uid, "roomid": self.room, "protover": 3, "platform": "web",
                    "type": 2}
            if self._token:
                body["key"] = self._token
            yield _Session(self.url, json.dumps(body).encode())
            return
        game = self.open_platform.start()
        if game.room_id and game.room_id != self.room:
            log.warning("bilibili: the identity code is room %d's, not %d", game.room_id, self.room)
        session = _Session(game.urls[self._starts % len(game.urls)], game.auth_body.encode())
        self._starts += 1
        ended = threading.Event()
        keepalive = threading.Thread(target=self._keep_alive, args=(game, session, ended),
                                     name=f"{self.name}-keepalive", daemon=True)
        keepalive.start()
        try:
            yield session
        finally:
            ended.set()
            try:
                self.open_platform.end(game.game_id)
            except Exception as exc:  # noqa: BLE001 (the platform times it out by itself)
                log.debug("bilibili open platform: ending the session failed (%s)", describe(exc))

    def _keep_alive(self, game: Game, session: _Session, ended: threading.Event) -> None:
        while not ended.wait(self.keepalive_s):
            try:
                self.open_platform.heartbeat(game.game_id)
            except Exception as exc:  # noqa: BLE001 (handed to the reading thread, which raises)
                session.failure = describe(exc)
                return

    def _serve(self, ws: ClientConnection, session: _Session, emit: Emit,
               stop: threading.Event) -> None:
        """Read frames until ``stop``; raises when the connection is refused, ends or goes quiet."""
        last_data = time.monotonic()
        next_beat: float | None = None  # heartbeats start once the server let us in
        while not stop.is_set():
            now = time.monotonic()
            if session.failure is not None:
                raise ConnectionError(f"bilibili open platform heartbeat: {session.failure}")
            if now - last_data > self.watchdog_s:
                what = "no auth reply" if next_beat is None else "no data"
                raise TimeoutError(f"bilibili room {self.room}: {what} for {self.watchdog_s:g} s")
            if next_beat is not None and now >= next_beat:
                ws.send(encode(HEARTBEAT))
                next_beat = now + self.heartbeat_s
            try:
                frame = ws.recv(timeout=POLL_S)
            except TimeoutError:
                continue
            last_data = time.monotonic()
            if self._frame(frame, emit) and next_beat is None:
                self._counters.up()
                next_beat = last_data

    def _frame(self, frame: bytes | str, emit: Emit) -> bool:
        """Emits what a frame holds; True when it held the (successful) auth reply."""
        if isinstance(frame, str):  # the protocol is binary only
            self._counters.malformed()
            return False
        packets, malformed = decode(frame)
        for _ in range(malformed):
            self._counters.malformed()
        authed = False
        received_at = time.time()
        for packet in packets:
            if packet.op == COMMAND:
                read = read_command(packet.body, received_at)
                if read.malformed:
                    self._counters.malformed()
                self.unknown += read.unknown
                for event in read.events:
                    emit(event)
                    self._counters.received()
            elif packet.op == AUTH_REPLY:
                self._check_auth(packet.body)
                authed = True
        return authed

    def _check_auth(self, body: bytes) -> None:
        try:
            code = json.loads(body.decode("utf-8")).get("code")
        except _BAD_INPUT:
            code = "unreadable"
        if code != 0:
            hint = ("the identity code and app" if self.open_platform
                    else "the room id and BILIBILI_TOKEN")
            raise LivehostError(f"bilibili room {self.room}: the server refused to let us in "
                                f"(auth reply code {code}); check {hint}")


def from_spec(spec: ChatSpec) -> BilibiliSource:
    if not spec.target.isdigit() or int(spec.target) <= 0:
        raise spec.error(f"ROOM_ID must be a room's number, not {spec.target!r}")
    room = int(spec.target)
    heartbeat, watchdog = spec.number("heartbeat", 30.0), spec.number("watchdog", 70.0)
    if not 0 < heartbeat < watchdog:
        raise spec.error("heartbeat= must be above 0 and below watchdog= (seconds)")
    url, app_id, api = spec.option("ws"), spec.option("app_id"), spec.option("api")
    common = {"heartbeat_s": heartbeat, "watchdog_s": watchdog, "name": f"{PLATFORM}:{spec.target}"}
    if app_id is None:
        if api is not None:
            raise spec.error("api= is for the open platform: give app_id= too")
        if url is not None and not url.startswith(("ws://", "wss://")):
            raise spec.error(f"ws={url!r} must be a ws:// or wss:// address")
        uid = os.environ.get("BILIBILI_UID", "0").strip() or "0"
        if not uid.isdigit():
            raise spec.error("the environment variable BILIBILI_UID must be a number")
        token = os.environ.get("BILIBILI_TOKEN", "").strip()
        return BilibiliSource(room, url=url or DEFAULT_WS, token=token, uid=int(uid), **common)
    if url is not None:
        raise spec.error("ws= does not go with app_id=: the open platform names the server")
    if not app_id.isdigit():
        raise spec.error(f"app_id={app_id!r} must be the app's number")
    credentials = []
    for variable in OPEN_VARIABLES:
        credentials.append(os.environ.get(variable, "").strip())
        if not credentials[-1]:
            raise spec.error(f"the open platform needs the environment variable {variable}")
    platform = OpenPlatform(int(app_id), *credentials, api=api or OPEN_API)
    return BilibiliSource(room, open_platform=platform, **common)
