"""A local server speaking Twitch's IRC dialect on 127.0.0.1 (plain TCP, or TLS given an
``ssl.SSLContext``): it checks the login a client sends (CAP REQ, then PASS and NICK, then JOIN
of its one channel) the way Twitch does, grants the tags capability, and sends tagged chat to
every client that joined. Threads: one accepting, one per client."""

from __future__ import annotations

import queue
import re
import socket
import ssl
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field

from livehost.sources.irc import IrcMessage, LineFramer, MalformedLine, escape_tag
from livehost.sources.twitch import read_line, translate

HOST = "tmi.twitch.tv"
SUPPORTED_CAPS = ("twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership")
_ANONYMOUS = re.compile(r"justinfan[0-9]+")
_POLL_S = 0.1
_TLS_POLL_S = 0.02  # a TLS client's thread also does its writes: how long they may wait


def tagged(tags: dict[str, str], rest: str) -> str:
    return "@" + ";".join(f"{k}={escape_tag(v)}" for k, v in tags.items()) + " " + rest


def user_id_of(user: str) -> str:
    return str(zlib.crc32(user.encode()))


def privmsg_line(channel: str, user: str, text: str, msg_id: str, *, bits: int = 0,
                 sent_ms: int | None = None) -> str:
    """A PRIVMSG as Twitch sends it with the tags capability."""
    login = re.sub(r"[^a-z0-9_]", "", user.lower()) or "viewer"
    tags = {"badge-info": "subscriber/8", "badges": "subscriber/6,premium/1", "bits": str(bits),
            "client-nonce": uuid.uuid4().hex, "color": "#1E90FF", "display-name": user,
            "emotes": "", "first-msg": "0", "flags": "", "id": msg_id, "mod": "0",
            "returning-chatter": "0", "room-id": "12826", "subscriber": "1",
            "tmi-sent-ts": str(sent_ms if sent_ms is not None else int(time.time() * 1000)),
            "turbo": "0", "user-id": user_id_of(user), "user-type": ""}
    if not bits:
        del tags["bits"]
    return tagged(tags, f":{login}!{login}@{login}.{HOST} PRIVMSG #{channel} :{text}")


def untagged(line: str) -> str:
    return line.partition(" ")[2] if line.startswith("@") else line


@dataclass
class Handshake:
    """What one client sent to log in, in order."""

    caps: tuple[str, ...] = ()  # from CAP REQ
    password: str | None = None  # from PASS
    nick: str = ""
    channel: str = ""  # the JOIN that got the client into the channel
    order: list[str] = field(default_factory=list)  # commands as they came


class _Client:
    def __init__(self, server: Server, sock: socket.socket) -> None:
        self.server, self.sock = server, sock
        self.handshake = Handshake()
        self.tags = self.registered = self.joined = False
        self._send_lock = threading.Lock()
        # An SSL socket must not be read and written from two threads at once: for TLS the
        # client's own thread does the writes too, from this outbox.
        self._outbox: queue.SimpleQueue[bytes] | None = queue.SimpleQueue() if server.tls else None

    def send(self, *lines: str) -> None:
        data = "".join(f"{line if self.tags else untagged(line)}\r\n" for line in lines).encode()
        self.send_bytes(data)

    def send_bytes(self, data: bytes) -> None:
        if self._outbox is not None:
            self._outbox.put(data)
            return
        with self._send_lock:
            self.sock.sendall(data)

    def _flush(self) -> None:
        while self._outbox is not None and not self._outbox.empty():
            self.sock.sendall(self._outbox.get_nowait())

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes our reader and tells the peer at once
        except OSError:
            pass
        self.sock.close()

    def serve(self) -> None:
        framer = LineFramer()
        try:
            if self.server.tls is not None:
                self.sock.settimeout(5.0)
                self.sock = self.server.tls.wrap_socket(self.sock, server_side=True)
                self.sock.settimeout(_TLS_POLL_S)
            while not self.server._closing.is_set():
                self._flush()
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                for line in framer.feed(data):
                    try:
                        msg = read_line(line)
                    except MalformedLine:
                        self.server.malformed += 1
                        continue
                    if not self.handle(msg):
                        self._flush()
                        return
        except (OSError, ValueError):
            return  # closed under us (drop, stop), or a failed TLS handshake
        finally:
            self.server._forget(self)
            self.close()

    def handle(self, msg: IrcMessage) -> bool:
        """False: the server hangs up (a refused login)."""
        hs, server, command = self.handshake, self.server, msg.command
        if not self.joined:
            hs.order.append(command)
        if command == "CAP" and msg.param(0) == "REQ":
            hs.caps = tuple(msg.param(-1).split())
            granted = all(cap in SUPPORTED_CAPS for cap in hs.caps)
            self.tags = granted and "twitch.tv/tags" in hs.caps
            self.send(f":{HOST} CAP * {'ACK' if granted else 'NAK'} :{msg.param(-1)}")
        elif command == "PASS":
            hs.password = msg.param(0)
        elif command == "NICK":
            hs.nick = msg.param(0)
            return self.login()
        elif command == "JOIN":
            return self.join(msg.param(0))
        elif command == "PING":
            server.client_pings += 1
            if server.answer_pings:
                self.send(f":{HOST} PONG {HOST} :{msg.param(-1)}")
        elif command == "PONG":
            server.pongs += 1
        elif command not in ("USER", "CAP", "PART", "QUIT"):
            self.send(f":{HOST} 421 {hs.nick or '*'} {command} :Unknown command")
        return True

    def login(self) -> bool:
        hs, server = self.handshake, self.server
        if server.token is not None:
            ok = hs.password == f"oauth:{server.token}" and hs.nick == server.nick
            why = "Login authentication failed"
        else:
            ok = hs.password is None and bool(_ANONYMOUS.fullmatch(hs.nick))
            why = "Improperly formatted auth"
        if not ok:
            self.send(f":{HOST} NOTICE * :{why}")
            return False
        nick = hs.nick
        self.send(f":{HOST} 001 {nick} :Welcome, GLHF!", f":{HOST} 002 {nick} :Your host is {HOST}",
                  f":{HOST} 003 {nick} :This server is rather new", f":{HOST} 004 {nick} :-",
                  f":{HOST} 375 {nick} :-", f":{HOST} 372 {nick} :You are in a maze of twisty passages.",
                  f":{HOST} 376 {nick} :>")
        self.registered = True
        return True

    def join(self, channel: str) -> bool:
        hs, server = self.handshake, self.server
        if not self.registered:
            self.send(f":{HOST} NOTICE * :Improperly formatted auth")
            return False
        if channel != f"#{server.channel}":
            self.send(tagged({"msg-id": "msg_channel_suspended"},
                             f":{HOST} NOTICE {channel} :This channel does not exist or has been suspended."))
            return True
        nick = hs.nick
        hs.channel = channel
        self.send(f":{nick}!{nick}@{nick}.{HOST} JOIN {channel}",
                  f":{nick}.{HOST} 353 {nick} = {channel} :{nick}",
                  f":{nick}.{HOST} 366 {nick} {channel} :End of /NAMES list",
                  tagged({"emote-only": "0", "followers-only": "-1", "r9k": "0", "room-id": "12826",
                          "slow": "0", "subs-only": "0"}, f":{HOST} ROOMSTATE {channel}"))
        with server._lock:
            self.joined = True
            server.connections += 1
            server.handshakes.append(hs)
        return True


class Server:
    def __init__(self, channel: str = "livehost", *, token: str | None = None,
                 nick: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.channel, self.token, self.nick, self.tls = channel, token, nick, tls
        self.port = 0
        self.connections = 0  # clients that logged in and joined the channel
        self.handshakes: list[Handshake] = []  # theirs, in order
        self.client_pings = 0  # PINGs the clients sent
        self.pongs = 0  # PONGs the clients sent (answers to ping())
        self.malformed = 0
        self.answer_pings = True  # False: a server that went silent (for watchdogs)
        self._lock = threading.Lock()
        self._clients: list[_Client] = []
        self._listener: socket.socket | None = None
        self._closing = threading.Event()  # set by stop()
        self._down_until = 0.0

    @property
    def spec(self) -> str:
        return f"twitch:{self.channel}?server=127.0.0.1:{self.port}&tls={int(self.tls is not None)}"

    def start(self) -> None:
        self._listen()

    def stop(self) -> None:
        self._closing.set()
        self._close_all()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))  # after drop(): the same port again
        listener.listen(16)
        listener.settimeout(_POLL_S)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="twitch-server", daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self._closing.is_set() and self._listener is listener:
                try:
                    sock, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                sock.settimeout(_POLL_S)
                client = _Client(self, sock)
                with self._lock:
                    self._clients.append(client)
                threading.Thread(target=client.serve, name="twitch-client", daemon=True).start()

    def _forget(self, client: _Client) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)

    def _close_all(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            clients, self._clients = self._clients, []
        if listener is not None:
            listener.close()
        for client in clients:
            client.close()

    def drop(self, down_s: float) -> None:
        """Hang up on everyone and refuse connections (the port closed) for ``down_s``."""
        self._close_all()
        timer = threading.Timer(down_s, lambda: None if self._closing.is_set() else self._listen())
        timer.daemon = True
        timer.start()

    def _joined(self) -> list[_Client]:
        with self._lock:
            return [c for c in self._clients if c.joined]

    def send_line(self, line: str) -> float:
        """One line to every joined client (tags stripped for those without the capability);
        returns time.perf_counter() as the writing starts."""
        written = time.perf_counter()
        for client in self._joined():
            try:
                client.send(line)
            except OSError:
                pass  # that client is going away; its reader cleans up
        return written

    def send_bytes(self, data: bytes) -> None:
        """Bytes exactly as given (partial lines, several lines, invalid UTF-8...)."""
        for client in self._joined():
            try:
                client.send_bytes(data)
            except OSError:
                pass

    def send_chat(self, user: str, text: str, msg_id: str, *, bits: int = 0) -> float:
        return self.send_line(privmsg_line(self.channel, user, text, msg_id, bits=bits))

    def ping(self) -> None:
        self.send_line(f"PING :{HOST}")

    def reconnect(self) -> None:
        """What Twitch sends before restarting a server: the connection stays open here, so
        only a client that honours it reconnects."""
        self.send_line(f":{HOST} RECONNECT")


def wire_data(n: int, channel: str = "livehost") -> bytes:
    """``n`` realistic tagged chat lines: varied users and lengths, some with bits, emotes
    and characters that need escaping in tags."""
    texts = ("hi!", "what's the price of the blue one?", "LUL LUL LUL", "Kappa nice stream",
             "こんにちは、元気ですか？", "can you say hello to my friend; she just arrived")
    lines = []
    for i in range(n):
        user = f"Viewer {i % 300}" if i % 7 == 0 else f"viewer_{i % 300}"
        line = privmsg_line(channel, user, texts[i % len(texts)] + f" #{i}", str(uuid.UUID(int=i)),
                            bits=100 if i % 50 == 0 else 0, sent_ms=1_700_000_000_000 + i)
        lines.append(line.replace("emotes=;", "emotes=25:0-4,12-16/1902:6-10;") if i % 3 == 0 else line)
    return "".join(f"{line}\r\n" for line in lines).encode()


def parse_throughput(n: int) -> float:
    """Messages/s one thread frames, parses and turns into ChatMessages, from ``n`` lines of
    realistic wire data read in 4 KiB pieces (as a socket hands them over)."""
    data = wire_data(n)
    chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    framer, got = LineFramer(), 0
    began = time.perf_counter()
    for chunk in chunks:
        for line in framer.feed(chunk):
            if translate(read_line(line), 0.0) is not None:
                got += 1
    elapsed = time.perf_counter() - began
    if got != n:
        raise RuntimeError(f"twitch bench: {got} of {n} messages parsed")
    return n / elapsed
