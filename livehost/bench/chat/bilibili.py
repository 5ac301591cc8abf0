"""A Bilibili live broadcast server on 127.0.0.1: the real packet protocol over WebSocket. It
checks the auth packet (room id, protocol version; or, for the open platform, the auth body
it handed out), answers it, answers and records heartbeats, and sends commands the way the
platform does — several packets in one frame, compressed as the client asked (protover 3:
brotli). With an ``OpenAccount`` it also serves the open platform's signed start, heartbeat
and end calls over HTTP, checking every signature.

The command builders (``danmu``, ``gift``...) make the platform's JSON, realistic in shape, for
the tests and ``parse_throughput``."""

from __future__ import annotations

import hashlib
import hmac
import http
import json
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from livehost.sources.bilibili import read_command
from livehost.sources.bilibili_packets import (
    AUTH,
    AUTH_REPLY,
    BINARY,
    BROTLI,
    COMMAND,
    HEARTBEAT,
    HEARTBEAT_REPLY,
    PLAIN,
    ZLIB,
    decode,
    encode,
    pack,
)
from livehost.sources.signing import lower_keys

DANMU_SUFFIX = ":4:0:2:2:2:0"  # what the live server appends to DANMU_MSG nowadays


# -- commands as the platform sends them -------------------------------------------------------


def danmu(text: str, user: str, uid: int = 0, msg_id: str = "", ts_ms: int | None = None,
          suffix: str = DANMU_SUFFIX) -> dict:
    """A DANMU_MSG with the layout of a real one (info[0] meta, [1] text, [2] sender...)."""
    ts_ms = int(time.time() * 1000) if ts_ms is None else ts_ms
    crc = f"{zlib.crc32(str(uid).encode()):08x}"
    extra = {"send_from_me": False, "mode": 0, "color": 16777215, "dm_type": 0, "font_size": 25,
             "player_mode": 1, "content": text, "user_hash": str(int(crc, 16)),
             "emoticon_unique": "", "direction": 0, "id_str": msg_id, "reply_uname": "",
             "hit_combo": 0}
    face = "https://i0.hdslb.com/bfs/face/member/noface.jpg"
    meta = [0, 1, 25, 16777215, ts_ms, secrets.randbits(31), 0, crc, 0, 0, 0, "", 0, "{}", "{}",
            {"mode": 0, "show_player_type": 0, "extra": json.dumps(extra, ensure_ascii=False),
             "user": {"uid": uid, "base": {"name": user, "face": face}}},
            {"activity_identity": "", "activity_source": 0, "not_show": 0}, 0]
    medal = [21, "粉丝团", "主播", 21452505, 1725515, "", 0]
    check = {"ts": ts_ms // 1000, "ct": crc.upper()}
    info = [meta, text, [uid, user, 0, 0, 0, 10000, 1, ""], medal, [12, 0, 6406234, ">50000", 0],
            ["", ""], 0, 0, None, check, 0, 0, None, None, 0, 105, [12], None]
    return {"cmd": "DANMU_MSG" + suffix, "info": info, "dm_v2": ""}


def gift(user: str, uid: int, name: str, num: int, price: int, coin_type: str = "gold",
         tid: str | None = None) -> dict:
    """A SEND_GIFT; ``price`` per gift in coins (gold: 1000 = 1 CNY; silver: free)."""
    tid = tid or f"{int(time.time() * 1000)}{secrets.randbits(20)}"
    return {"cmd": "SEND_GIFT", "data": {
        "action": "投喂", "batch_combo_id": "", "coin_type": coin_type, "giftId": 31036,
        "giftName": name, "giftType": 0, "num": num, "price": price, "total_coin": price * num,
        "rnd": tid, "tid": tid,
        "timestamp": int(time.time()), "uid": uid, "uname": user, "face": "", "guard_level": 0,
        "medal_info": {"medal_level": 0, "medal_name": "", "anchor_roomid": 0, "target_id": 0}}}


def combo(user: str, uid: int, name: str, total: int, combo_id: str) -> dict:
    return {"cmd": "COMBO_SEND", "data": {
        "action": "投喂", "batch_combo_id": combo_id, "combo_id": combo_id, "combo_num": total,
        "gift_id": 31036, "gift_name": name, "gift_num": 0, "total_num": total, "uid": uid,
        "uname": user, "combo_total_coin": 100 * total}}


def superchat(user: str, uid: int, text: str, price: int, sc_id: int) -> dict:
    return {"cmd": "SUPER_CHAT_MESSAGE", "data": {
        "id": sc_id, "uid": uid, "price": price, "message": text, "message_trans": "",
        "start_time": int(time.time()), "end_time": int(time.time()) + 60, "time": 60,
        "gift": {"gift_id": 12000, "gift_name": "醒目留言", "num": 1},
        "user_info": {"uname": user, "face": "", "guard_level": 0, "user_level": 10}}}


def superchat_deleted(*sc_ids: int) -> dict:
    return {"cmd": "SUPER_CHAT_MESSAGE_DELETE", "data": {"ids": list(sc_ids)}, "roomid": 21452505}


def guard(user: str, uid: int, level: int = 3, num: int = 1, price: int = 198000) -> dict:
    return {"cmd": "GUARD_BUY", "data": {
        "uid": uid, "username": user, "guard_level": level, "num": num, "price": price,
        "gift_id": 10003, "gift_name": {1: "总督", 2: "提督", 3: "舰长"}[level],
        "start_time": int(time.time()), "end_time": int(time.time())}}


def interact(user: str, uid: int, msg_type: int = 2) -> dict:
    """INTERACT_WORD: 1 entered the room, 2 followed, 3 shared."""
    return {"cmd": "INTERACT_WORD", "data": {"msg_type": msg_type, "uid": uid, "uname": user,
                                             "timestamp": int(time.time()), "roomid": 21452505}}


def blocked(user: str, uid: int) -> dict:
    return {"cmd": "ROOM_BLOCK_MSG", "uid": str(uid), "uname": user,
            "data": {"dmscore": 30, "operator": 1, "uid": uid, "uname": user}}


def open_danmu(text: str, user: str, open_id: str, msg_id: str) -> dict:
    return {"cmd": "LIVE_OPEN_PLATFORM_DM", "data": {
        "uname": user, "open_id": open_id, "uface": "", "timestamp": int(time.time()),
        "room_id": 21452505, "msg": text, "msg_id": msg_id, "guard_level": 0,
        "fans_medal_wearing_status": False, "fans_medal_name": "", "fans_medal_level": 0,
        "emoji_img_url": "", "dm_type": 0}}


def packets(commands: Iterable[dict]) -> list[bytes]:
    """Each command as a plain command packet (what compressed frames bundle)."""
    return [encode(COMMAND, command, PLAIN) for command in commands]


# -- the open platform's HTTP side -----------------------------------------------------------


@dataclass(frozen=True)
class OpenAccount:
    """The app and streamer an open-platform server accepts (the source reads these from its
    environment variables, as in ``environ``)."""

    app_id: int = 1650000000
    key_id: str = "local-key-id"
    secret: str = "local-key-secret"
    code: str = "LOCALCODE12"

    @property
    def environ(self) -> dict[str, str]:
        return {"BILIBILI_ACCESS_KEY_ID": self.key_id, "BILIBILI_ACCESS_KEY_SECRET": self.secret,
                "BILIBILI_IDENTITY_CODE": self.code}


def _signature_ok(headers: dict[str, str], body: bytes, account: OpenAccount) -> bool:
    """The open platform's check: every x-bili-* header, sorted, as name:value lines under
    HMAC-SHA256; the body's MD5 and the key id must match too. ``headers``: lower-case names."""
    signed = sorted((name, value) for name, value in headers.items() if name.startswith("x-bili-"))
    text = "\n".join(f"{name}:{value}" for name, value in signed)
    expected = hmac.new(account.secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    fields = dict(signed)
    return (hmac.compare_digest(headers.get("authorization", ""), expected)
            and fields.get("x-bili-content-md5") == hashlib.md5(body).hexdigest()
            and fields.get("x-bili-accesskeyid") == account.key_id
            and fields.get("x-bili-signature-method") == "HMAC-SHA256")


# -- the server --------------------------------------------------------------------------------


class Server:
    """The broadcast server for ``room``; with ``open_account``, the open platform's too."""

    def __init__(self, room: int = 21452505, open_account: OpenAccount | None = None) -> None:
        self.room, self.open_account = room, open_account
        self.auth_code = 0  # the auth reply's code: non-zero refuses every client
        self.answer_heartbeats = True  # False: stay silent (a dead link, for the watchdog)
        self.connections = 0  # clients let in, ever
        self.auths: list[dict | str] = []  # every auth body received, parsed where JSON
        self.heartbeats: list[float] = []  # when each heartbeat arrived (monotonic)
        self.calls: list[tuple[str, dict]] = []  # open platform calls with a good signature
        self.refused_calls: list[str] = []  # ...and those that did not
        self._lock = threading.Lock()
        self._clients: dict[ServerConnection, int] = {}  # connection → its protover
        self._down_until = 0.0
        self._games: dict[str, str] = {}  # game id → the auth body handed out for it
        self._ws = self._http = None
        self._threads: list[threading.Thread] = []

    # lifecycle

    def start(self) -> None:
        self._ws = serve(self._handle, "127.0.0.1", 0, process_request=self._admit,
                         compression=None, ping_interval=None, close_timeout=1)
        self._spawn(self._ws.serve_forever)
        if self.open_account is not None:
            self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._http_handler())
            self._http.daemon_threads = True
            self._spawn(self._http.serve_forever)

    def stop(self) -> None:
        for server in (self._ws, self._http):
            if server is not None:
                server.shutdown()
        self.drop(0.0)
        if self._http is not None:
            self._http.server_close()
        for thread in self._threads:
            thread.join(5)

    def _spawn(self, target) -> None:
        thread = threading.Thread(target=target, name="bilibili-server", daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._ws.socket.getsockname()[1]}/sub"

    @property
    def spec(self) -> str:
        if self.open_account is None:
            return f"bilibili:{self.room}?ws={self.ws_url}"
        api = f"http://127.0.0.1:{self._http.server_address[1]}"
        return f"bilibili:{self.room}?app_id={self.open_account.app_id}&api={api}"

    # sending

    def send_chat(self, user: str, text: str, msg_id: str) -> None:
        uid = zlib.crc32(user.encode()) % 10**9 + 1
        if self.open_account is None:
            self.send([danmu(text, user, uid, msg_id)])
        else:
            self.send([open_danmu(text, user, f"open-{uid}", msg_id)])

    def send(self, commands: Iterable[dict], ver: int | None = None) -> None:
        """The commands in one frame to every client, packed as ``ver`` (else as each asked)."""
        plain = packets(commands)
        with self._lock:
            clients = list(self._clients.items())
        for conn, asked in clients:
            self._send(conn, pack(plain, self._version(asked if ver is None else ver)))

    def send_raw(self, frame: bytes | str) -> None:
        with self._lock:
            clients = list(self._clients)
        for conn in clients:
            self._send(conn, frame)

    @staticmethod
    def _version(asked: int) -> int:
        return asked if asked in (ZLIB, BROTLI) else PLAIN

    @staticmethod
    def _send(conn: ServerConnection, frame: bytes | str) -> None:
        try:
            conn.send(frame)
        except ConnectionClosed:
            pass  # it is leaving: its handler cleans up

    def drop(self, down_s: float) -> None:
        """An outage: close every connection, refuse new ones for ``down_s`` seconds."""
        with self._lock:
            self._down_until = time.monotonic() + down_s
            clients = list(self._clients)
        for conn in clients:
            conn.close(1001, "going away")

    # the WebSocket side

    def _admit(self, conn: ServerConnection, request):
        if time.monotonic() < self._down_until:
            return conn.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "down for maintenance\n")
        return None

    def _handle(self, conn: ServerConnection) -> None:
        try:
            frame = conn.recv(timeout=5)
            first = decode(frame)[0] if isinstance(frame, bytes) else []
            if not first or first[0].op != AUTH:
                return
            protover = self._check_auth(first[0].body)
            code = self.auth_code if protover is not None else -101
            conn.send(encode(AUTH_REPLY, {"code": code}))
            if code != 0:
                return
            with self._lock:
                if time.monotonic() < self._down_until:
                    return
                self._clients[conn] = protover
                self.connections += 1
            for frame in conn:
                for packet in decode(frame)[0] if isinstance(frame, bytes) else ():
                    if packet.op == HEARTBEAT:
                        self.heartbeats.append(time.monotonic())
                        if self.answer_heartbeats:
                            conn.send(encode(HEARTBEAT_REPLY, struct.pack(">I", 1), BINARY))
        except (ConnectionClosed, TimeoutError):
            pass
        finally:
            with self._lock:
                self._clients.pop(conn, None)

    def _check_auth(self, body: bytes) -> int | None:
        """The client's protover when its auth packet is right for this server, else None."""
        text = body.decode("utf-8", "replace")
        if self.open_account is not None:
            self.auths.append(text)
            with self._lock:
                return BROTLI if text in self._games.values() else None
        try:
            auth = json.loads(text)
        except ValueError:
            return None
        self.auths.append(auth)
        ok = (isinstance(auth, dict) and auth.get("roomid") == self.room
              and auth.get("protover") in (PLAIN, BINARY, ZLIB, BROTLI))
        return auth["protover"] if ok else None

    # the open platform's HTTP side

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                reply = server._open_call(self.path, lower_keys(self.headers), body)
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # quiet
                pass

        return Handler

    def _open_call(self, path: str, headers: dict, body: bytes) -> dict:
        account = self.open_account
        if not _signature_ok(headers, body, account):
            self.refused_calls.append(path)
            return _reply(4004, "signature mismatch")
        try:
            payload = json.loads(body)
        except ValueError:
            return _reply(4000, "the body is not JSON")
        self.calls.append((path, payload))
        with self._lock:
            if path == "/v2/app/start":
                if payload.get("code") != account.code or payload.get("app_id") != account.app_id:
                    return _reply(7007, "identity code or app id wrong")
                game_id = secrets.token_hex(8)
                auth = json.dumps({"roomid": self.room, "key": secrets.token_hex(16)})
                self._games[game_id] = auth
                return _reply(0, "0", {
                    "game_info": {"game_id": game_id},
                    "websocket_info": {"auth_body": auth, "wss_link": [self.ws_url]},
                    "anchor_info": {"room_id": self.room, "uname": "主播", "uface": "", "uid": 1,
                                    "open_id": "anchor"}})
            if payload.get("game_id") not in self._games:
                return _reply(7003, "game ended")
            if path == "/v2/app/end":
                del self._games[payload["game_id"]]
            return _reply(0, "0")


def _reply(code: int, message: str, data: dict | None = None) -> dict:
    return {"code": code, "message": message, "request_id": secrets.token_hex(4),
            "data": data or {}}


# -- figures -----------------------------------------------------------------------------------


def wire_frames(n: int, batch: int = 8) -> list[bytes]:
    """``n`` messages as a busy room sends them: brotli frames of ``batch`` commands, mostly
    danmaku, a gift every 10th, a super chat every 50th."""
    commands = []
    for i in range(n):
        if i % 50 == 49:
            commands.append(superchat(f"观众{i}", 1000 + i, "主播今天吃了吗？", 30, i))
        elif i % 10 == 9:
            commands.append(gift(f"观众{i}", 1000 + i, "小花花", 1, 100))
        else:
            commands.append(danmu(f"弹幕消息第{i}条，主播好！", f"观众{i}", 1000 + i, f"id{i}"))
    return [pack(packets(commands[i:i + batch]), BROTLI) for i in range(0, n, batch)]


def parse_throughput(n: int) -> float:
    """Messages/s that decoding and mapping sustain on ``n`` messages of wire data, one thread."""
    frames = wire_frames(n)
    started = time.perf_counter()
    count = 0
    for frame in frames:
        for packet in decode(frame)[0]:
            count += len(read_command(packet.body, 0.0).events)
    elapsed = time.perf_counter() - started
    if count != n:
        raise AssertionError(f"parsed {count} messages of {n}")
    return n / elapsed
