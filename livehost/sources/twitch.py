"""Twitch chat, read over IRC with the Twitch tags and commands (``twitch:CHANNEL``).

Anonymous (a ``justinfan`` nick) unless TWITCH_OAUTH_TOKEN is set: then ``PASS oauth:...``
with the nick from TWITCH_NICK or the ``nick=`` option. Options: ``server=HOST:PORT``
(default irc.chat.twitch.tv:6697), ``tls=0|1`` (default 1), ``watchdog=SECONDS`` (default 360:
after that long with nothing received, PING; no answer within a few seconds and the
connection counts as dead).

Chat (PRIVMSG; bits make it paid, in "bits"), subscriptions and gifted subs (member), raids
(raid) and other USERNOTICEs (system) become ChatMessages with ids "twitch:<msg-id>".
Moderation withdraws from the queue: CLEARMSG one message, CLEARCHAT with a user that
user's messages; CLEARCHAT of the whole room is ignored, as a ChatRemoval names one message
or one user. A server that does not grant the Twitch capabilities (a plain IRC server) still
works: its lines are untagged.
"""

from __future__ import annotations

import logging
import os
import random
import re
import socket
import ssl
import threading
import time

from livehost.media.frames import ChatMessage

from .base import ChatRemoval, Emit, SourceCounters, SourceStatus
from .irc import IrcMessage, LineFramer, MalformedLine, parse
from .specs import ChatSpec
from .supervisor import describe

log = logging.getLogger(__name__)

DEFAULT_SERVER = "irc.chat.twitch.tv:6697"
CAPS = "twitch.tv/tags twitch.tv/commands"
MEMBER_EVENTS = frozenset({"sub", "resub", "subgift", "submysterygift"})
POLL_S = 0.25  # socket timeout: how soon `stop` is noticed
CONNECT_TIMEOUT_S = 5.0
JOIN_TIMEOUT_S = 30.0  # connected but not in the channel by then: try again
PONG_WAIT_S = 5.0  # the watchdog's PING must be answered within this (or the watchdog, if less)
# NOTICEs that mean this connection will never read the channel.
FATAL_NOTICES = frozenset({"msg_channel_suspended", "msg_banned"})
# Numeric replies that refuse the nick, the password or the channel.
FATAL_NUMERICS = frozenset({"432", "433", "464", "465", "403", "471", "473", "474", "475"})
_CHANNEL = re.compile(r"[a-z0-9_]{1,25}")


class TwitchRefused(ConnectionError):
    """The server turned the login or the channel down; the text is the server's."""


def _msg_id(value: str | None) -> str:
    return f"twitch:{value}" if value else ""


def _number(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0  # a garbled optional tag is treated as absent, the message still counts


def _sent_at(tags) -> float | None:
    ms = _number(tags.get("tmi-sent-ts"))
    return ms / 1000.0 if ms > 0 else None


def read_line(line: bytes | None) -> IrcMessage:
    """One framed line (None: dropped as overlong) to a message; raises MalformedLine.
    Bytes that are not UTF-8 become U+FFFD rather than losing the message."""
    if line is None:
        raise MalformedLine("line too long")
    return parse(line.decode("utf-8", "replace"))


def _privmsg(msg: IrcMessage, received_at: float) -> ChatMessage | None:
    if len(msg.params) < 2:
        raise MalformedLine("PRIVMSG without a channel and a text")
    text = msg.params[-1]
    if text.startswith("\x01ACTION "):  # "/me waves"
        text = text[len("\x01ACTION "):].rstrip("\x01")
    if not text.strip():
        return None
    tags, login = msg.tags, msg.nick
    user_id = tags.get("user-id") or login
    if not user_id:
        raise MalformedLine("PRIVMSG from nobody")
    bits = _number(tags.get("bits"))
    return ChatMessage(
        platform="twitch", user=tags.get("display-name") or login, text=text,
        received_at=received_at, id=_msg_id(tags.get("id")), kind="chat", user_id=user_id,
        amount=bits if bits > 0 else None, currency="bits" if bits > 0 else "",
        platform_time=_sent_at(tags))


def _usernotice(msg: IrcMessage, received_at: float) -> ChatMessage:
    tags = msg.tags
    event = tags.get("msg-id", "")
    kind = "member" if event in MEMBER_EVENTS else "raid" if event == "raid" else "system"
    login = tags.get("login", "")
    user = tags.get("display-name") or login
    if event == "raid":
        user = tags.get("msg-param-displayName") or user
    # The user's own words when they wrote some (a resub message), else Twitch's line.
    text = msg.params[1] if len(msg.params) > 1 else tags.get("system-msg", "")
    return ChatMessage(
        platform="twitch", user=user, text=text, received_at=received_at,
        id=_msg_id(tags.get("id")), kind=kind, user_id=tags.get("user-id") or login,
        platform_time=_sent_at(tags))


def _clearchat(msg: IrcMessage, _received_at: float) -> ChatRemoval | None:
    if len(msg.params) < 2:
        return None  # the whole room cleared: see the module docstring
    user_id = msg.tags.get("target-user-id") or msg.params[1].lower()
    return ChatRemoval("twitch", user_id=user_id,
                       reason="timed out" if "ban-duration" in msg.tags else "banned")


def _clearmsg(msg: IrcMessage, _received_at: float) -> ChatRemoval | None:
    target = msg.tags.get("target-msg-id")
    return ChatRemoval("twitch", id=_msg_id(target), reason="deleted") if target else None


_TRANSLATE = {"PRIVMSG": _privmsg, "USERNOTICE": _usernotice, "CLEARCHAT": _clearchat,
              "CLEARMSG": _clearmsg}


def translate(msg: IrcMessage, received_at: float) -> ChatMessage | ChatRemoval | None:
    """The chat event a message stands for; None for the rest (server chatter). Raises
    MalformedLine for a chat command missing its parameters."""
    handler = _TRANSLATE.get(msg.command)
    return handler(msg, received_at) if handler else None


def split_server(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")  # [::1]:6667
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"server={value!r} must be HOST:PORT")
    return host, int(port)


class TwitchSource:
    platform = "twitch"

    def __init__(self, channel: str, *, server: str = DEFAULT_SERVER, tls: bool = True,
                 nick: str | None = None, token: str | None = None,
                 watchdog_s: float = 360.0) -> None:
        self.channel = channel.lstrip("#").lower()
        self.name = f"twitch:{self.channel}"
        self.server = server
        self.host, self.port = split_server(server)
        self.tls, self.watchdog_s = tls, watchdog_s
        self.nick = nick.lower() if nick else None  # None: a fresh justinfan per connection
        self._password = None
        if token:
            self._password = token if token.startswith("oauth:") else f"oauth:{token}"
        self._counters = SourceCounters()

    def __repr__(self) -> str:  # never the token
        return f"TwitchSource({self.name!r}, server={self.server!r})"

    def status(self) -> SourceStatus:
        return self._counters.status()

    def run(self, emit: Emit, stop: threading.Event) -> None:
        error = None
        try:
            while not stop.is_set():
                self._session(emit, stop)  # returns on stop, or when asked to reconnect
        except Exception as exc:
            error = self._redact(describe(exc))
            raise
        finally:
            self._counters.down(error)

    def _redact(self, text: str) -> str:
        return text.replace(self._password, "oauth:***") if self._password else text

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise ConnectionError(f"cannot connect to {self.server}: {exc.strerror or exc}") from None
        try:
            if self.tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(POLL_S)
        except BaseException:
            sock.close()
            raise
        return sock

    def _session(self, emit: Emit, stop: threading.Event) -> None:
        with self._connect() as sock:
            _Session(self, sock, emit).serve(stop)


class _Session:
    """One connection: log in, join, then read until stopped, told to reconnect, or dead."""

    def __init__(self, source: TwitchSource, sock: socket.socket, emit: Emit) -> None:
        self.source, self.sock, self.emit = source, sock, emit
        self.counters = source._counters
        self.nick = source.nick or f"justinfan{random.randint(1000, 999_999)}"
        self.room = f"#{source.channel}"
        self.framer = LineFramer()
        self.joined = self.reconnect = self.cap_ended = False

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def serve(self, stop: threading.Event) -> None:
        src = self.source
        login = [f"CAP REQ :{CAPS}"]
        if src._password:
            login.append(f"PASS {src._password}")
        # USER completes registration on standard servers; Twitch ignores it.
        login += [f"NICK {self.nick}", f"USER {self.nick} 8 * :{self.nick}"]
        self.send(*login)
        started = last_heard = time.monotonic()
        pinged_at: float | None = None
        pong_wait = min(PONG_WAIT_S, src.watchdog_s)
        while not stop.is_set() and not self.reconnect:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                now = time.monotonic()
                if not self.joined and now - started > JOIN_TIMEOUT_S:
                    raise TimeoutError(f"not in #{src.channel} {JOIN_TIMEOUT_S:.0f} s after "
                                       f"connecting to {src.server}") from None
                if pinged_at is None and now - last_heard >= src.watchdog_s:
                    self.send("PING :livehost")
                    pinged_at = now
                elif pinged_at is not None and now - pinged_at >= pong_wait:
                    raise TimeoutError(f"nothing from {src.server} for {now - last_heard:.0f} s, "
                                       "and no answer to a PING") from None
                continue
            if not data:
                raise ConnectionError(f"{src.server} closed the connection")
            last_heard, pinged_at = time.monotonic(), None
            for line in self.framer.feed(data):
                self.handle(line)
                if self.reconnect:
                    break

    def handle(self, line: bytes | None) -> None:
        try:
            msg = read_line(line)
            event = translate(msg, time.time())
        except MalformedLine as exc:
            self.counters.malformed()
            log.debug("%s: skipped a malformed line (%s)", self.source.name, exc)
            return
        if event is not None:
            if msg.param(0).lower() != self.room:
                return  # a private message, or another room's: not this channel's chat
            self.emit(event)
            if isinstance(event, ChatMessage):
                self.counters.received()
            return
        self.control(msg)

    def control(self, msg: IrcMessage) -> None:
        src, command = self.source, msg.command
        if command == "PING":
            self.send(f"PONG :{msg.param(-1)}")
        elif command == "CAP" and msg.param(1) in ("ACK", "NAK") and not self.cap_ended:
            self.cap_ended = True  # a standard server holds registration until CAP END
            self.send("CAP END")
        elif command == "001":
            self.send(f"JOIN #{src.channel}")
        elif command == "JOIN" and msg.nick.lower() == self.nick and msg.param(0).lower() == self.room:
            self.joined = True
            self.counters.up()
            log.info("chat source %s: joined #%s on %s", src.name, src.channel, src.server)
        elif command == "RECONNECT":
            self.reconnect = True  # Twitch is about to restart this server: go at once
        elif command == "NOTICE":
            self.notice(msg)
        elif command == "ERROR":
            raise ConnectionError(f"{src.server} closed the link: {src._redact(msg.param(-1))}")
        elif command in FATAL_NUMERICS:
            raise TwitchRefused(f"{src.server} refused ({command}): {src._redact(msg.param(-1))}")

    def notice(self, msg: IrcMessage) -> None:
        src, text = self.source, self.source._redact(msg.param(-1))
        if msg.tags.get("msg-id") in FATAL_NOTICES:
            raise TwitchRefused(f"#{src.channel} cannot be read: {text}")
        # Before the channel is joined, a NOTICE to "*" is a refused login (Twitch's way);
        # "***" ones are the progress notes some servers send while connecting.
        if not self.joined and msg.param(0) == "*" and not text.startswith("***"):
            hint = " (check TWITCH_OAUTH_TOKEN and TWITCH_NICK)" if src._password else ""
            raise TwitchRefused(f"{src.server} refused the login: {text}{hint}")
        log.debug("%s: notice: %s", src.name, text)


def from_spec(spec: ChatSpec) -> TwitchSource:
    channel = spec.target.lstrip("#").lower()
    if not _CHANNEL.fullmatch(channel):
        raise spec.error(f"{spec.target!r} is not a Twitch channel name (letters, digits, _; at most 25)")
    token = os.environ.get("TWITCH_OAUTH_TOKEN", "").strip() or None
    nick = spec.option("nick") or (os.environ.get("TWITCH_NICK", "").strip() or None if token else None)
    if token and not nick:
        raise spec.error("TWITCH_OAUTH_TOKEN is set but no nick: set TWITCH_NICK or add nick=")
    if nick and not token:
        raise spec.error("nick= needs TWITCH_OAUTH_TOKEN (without a token chat is read anonymously)")
    watchdog = spec.number("watchdog", 360.0)
    if not watchdog > 0:
        raise spec.error(f"watchdog={watchdog:g} must be more than 0 seconds")
    try:
        return TwitchSource(channel, server=spec.option("server", DEFAULT_SERVER),
                            tls=spec.flag("tls", True), nick=nick, token=token, watchdog_s=watchdog)
    except ValueError as exc:
        raise spec.error(str(exc)) from None
