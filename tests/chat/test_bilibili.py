"""Bilibili: the packet codec, the command mapping, and the source against the local broadcast
server (livehost.bench.chat.bilibili) — auth, heartbeats, the watchdog, packed frames of every
version, malformed input, outages under the real supervisor, and the open platform's signed
route."""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import struct
import threading
import time
import zlib

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import wait_for

from livehost.bench.chat import bilibili as bench
from livehost.bench.chat.bilibili import OpenAccount, Server
from livehost.errors import LivehostError
from livehost.media.frames import ChatMessage
from livehost.sources import bilibili_packets as wire
from livehost.sources.base import ChatRemoval
from livehost.sources.bilibili import BilibiliSource, read_command, sign
from livehost.sources.bilibili_packets import BROTLI, COMMAND, PLAIN, ZLIB, decode, encode, pack
from livehost.sources.specs import parse_chat
from livehost.sources.supervisor import SourceSupervisor

NOW = 1_700_000_000.0
FAST = "&heartbeat=0.2&watchdog=0.8"


def read(command: dict) -> list:
    result = read_command(json.dumps(command, ensure_ascii=False).encode(), NOW)
    assert not result.malformed and not result.unknown, command
    return list(result.events)


def fields(msg: ChatMessage, *names: str) -> tuple:
    return tuple(getattr(msg, name) for name in names)


# -- packets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ver", [PLAIN, ZLIB, BROTLI])
def test_frames_of_several_packets_decode_in_order(ver):
    commands = [{"cmd": "A", "n": i} for i in range(5)]
    popularity = struct.pack(">I", 7)
    frame = encode(wire.HEARTBEAT_REPLY, popularity) + pack(bench.packets(commands), ver)
    got, malformed = decode(frame)
    assert malformed == 0
    assert got[0] == wire.Packet(wire.HEARTBEAT_REPLY, popularity, wire.BINARY, 1)
    assert [p.json() for p in got[1:]] == commands
    assert all(p.op == COMMAND and p.ver == PLAIN for p in got[1:])


def test_lying_lengths_are_skipped_without_looping_or_allocating():
    good = encode(COMMAND, {"cmd": "X"}, PLAIN)
    header = wire.HEADER.pack
    big = wire.MAX_INFLATED
    cases = {  # frame, packets still read, pieces malformed
        "length past the frame": (good + header(0xFFFFFFFF, 16, PLAIN, COMMAND, 1) + b"{}", 1, 1),
        "header length 0": (header(20, 0, PLAIN, COMMAND, 1) + b"abcd", 0, 1),
        "header length past the packet": (header(20, 32, PLAIN, COMMAND, 1) + b"abcd", 0, 1),
        "torn header": (good + good[:10], 1, 1),
        "bad zlib": (encode(COMMAND, b"\x78\x9cnot zlib", ZLIB) + good, 1, 1),
        "truncated zlib": (encode(COMMAND, zlib.compress(good * 50)[:-8], ZLIB), 0, 1),
        "bad brotli": (encode(COMMAND, b"\xffnot brotli at all", BROTLI) + good, 1, 1),
        "zlib bomb": (encode(COMMAND, zlib.compress(b"\0" * (big + 1)), ZLIB), 0, 1),
        "brotli bomb": (encode(COMMAND, brotli.compress(b"\0" * (big * 4)), BROTLI), 0, 1),
        "nested compression": (pack([pack([good], ZLIB)], BROTLI) + good, 1, 1),
    }
    for why, (frame, packets, malformed) in cases.items():
        started = time.perf_counter()
        got, bad = decode(frame)
        assert (len(got), bad) == (packets, malformed), why
        assert time.perf_counter() - started < 1.0, why


# -- commands to messages ----------------------------------------------------------------------


def test_danmaku_with_suffix_and_ids():
    [msg] = read(bench.danmu("主播好", "小明", 42, "abc123", ts_ms=1_700_000_000_123))
    assert msg == ChatMessage(platform="bilibili", user="小明", text="主播好", received_at=NOW,
                              id="bilibili:dm:abc123", user_id="42",
                              platform_time=1_700_000_000.123)
    # Without id_str: the check token, else a digest of who said what when (stable, so
    # a redelivered danmaku dedupes).
    plain = bench.danmu("hi", "Ann", 7, "", suffix="")
    assert read(plain)[0].id == f"bilibili:dm:{plain['info'][9]['ct']}"
    plain["info"][9] = None
    first, again = read(plain)[0].id, read(plain)[0].id
    assert first == again and first.startswith("bilibili:dm:h")


def test_anonymous_viewers_keep_masked_names_and_get_distinct_ids():
    ann, bo = bench.danmu("一", "用***", 1001, "a"), bench.danmu("二", "用***", 1002, "b")
    for command in (ann, bo):  # what an anonymous connection sees: uid 0, the uid's CRC kept
        command["info"][2][0] = 0
    [one], [two] = read(ann), read(bo)
    assert one.user == two.user == "用***"
    assert one.user_id == f"crc:{zlib.crc32(b'1001')}"
    assert two.user_id == f"crc:{zlib.crc32(b'1002')}"
    # A ban names the real uid: it withdraws both forms.
    assert read(bench.blocked("用***", 1001)) == [
        ChatRemoval("bilibili", user_id="1001", reason="banned"),
        ChatRemoval("bilibili", user_id=one.user_id, reason="banned")]


def test_gifts_superchats_members_and_follows():
    [gold] = read(bench.gift("Bo", 2, "辣条", 5, 100, tid="t1"))
    assert fields(gold, "kind", "user", "text", "amount", "currency", "id", "user_id") == \
        ("gift", "Bo", "辣条", 0.5, "CNY", "bilibili:gift:t1", "2")
    [silver] = read(bench.gift("Cy", 3, "小心心", 1, 0, "silver"))
    assert fields(silver, "kind", "amount", "currency") == ("gift", None, "")
    untimed = bench.gift("Cy", 3, "小心心", 1, 0, "silver")
    del untimed["data"]["timestamp"]
    assert read(untimed)[0].platform_time is None
    [combo] = read(bench.combo("Bo", 2, "辣条", 30, "combo-9"))
    assert fields(combo, "kind", "text", "amount", "id") == \
        ("gift", "辣条", None, "bilibili:combo:combo-9")
    [sc] = read(bench.superchat("Di", 4, "唱首歌吧", 50, 77))
    assert fields(sc, "kind", "user", "text", "amount", "currency", "id") == \
        ("superchat", "Di", "唱首歌吧", 50.0, "CNY", "bilibili:sc:77")
    assert read(bench.superchat_deleted(77, 78)) == [ChatRemoval("bilibili", id="bilibili:sc:77"),
                                                     ChatRemoval("bilibili", id="bilibili:sc:78")]
    [member] = read(bench.guard("Ed", 5, level=3, num=2, price=198000))
    assert fields(member, "kind", "user", "text", "amount", "currency") == \
        ("member", "Ed", "舰长", 396.0, "CNY")
    [follow] = read(bench.interact("Fay", 6, msg_type=2))
    assert fields(follow, "kind", "user", "user_id", "text") == ("follow", "Fay", "6", "")
    assert read(bench.interact("Gus", 7, msg_type=1)) == []  # entering the room says nothing


def test_open_platform_commands():
    [dm] = read(bench.open_danmu("你好", "Ann", "open-1", "m-1"))
    assert fields(dm, "user", "text", "user_id", "id", "kind") == \
        ("Ann", "你好", "open-1", "bilibili:dm:m-1", "chat")
    gift = {"cmd": "LIVE_OPEN_PLATFORM_SEND_GIFT", "data": {
        "uname": "Bo", "open_id": "open-2", "gift_name": "小花花", "gift_num": 3, "price": 1000,
        "r_price": 900, "paid": True, "msg_id": "g-1", "timestamp": 1}}
    [paid] = read(gift)
    assert fields(paid, "kind", "text", "amount", "currency", "id") == \
        ("gift", "小花花", 2.7, "CNY", "bilibili:gift:g-1")
    gift["data"]["paid"] = False
    assert read(gift)[0].amount is None
    sc = {"cmd": "LIVE_OPEN_PLATFORM_SUPER_CHAT", "data": {
        "uname": "Cy", "open_id": "open-3", "message": "加油", "rmb": 30, "message_id": 5,
        "timestamp": 1}}
    assert [fields(m, "kind", "text", "amount", "id") for m in read(sc)] == \
        [("superchat", "加油", 30.0, "bilibili:sc:5")]
    assert read({"cmd": "LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL", "data": {"message_ids": [5]}}) == \
        [ChatRemoval("bilibili", id="bilibili:sc:5")]
    guard = {"cmd": "LIVE_OPEN_PLATFORM_GUARD", "data": {
        "user_info": {"uname": "Di", "open_id": "open-4"}, "guard_level": 2, "guard_num": 1,
        "guard_unit": "月", "price": 1998000, "msg_id": "x", "timestamp": 1}}
    assert [fields(m, "kind", "user", "user_id", "text", "amount") for m in read(guard)] == \
        [("member", "Di", "open-4", "提督", 1998.0)]


def test_unknown_and_malformed_commands_are_told_apart():
    assert read_command(b'{"cmd": "WATCHED_CHANGE", "data": {}}', NOW).unknown
    assert read_command(b'{"cmd": "SUPER_CHAT_MESSAGE_JPN", "data": {}}', NOW).unknown
    gift = {"uname": "a", "uid": 1, "giftName": "g", "num": float("nan"), "price": 1}
    superchat = {"price": -5, "message": "x", "uid": 1, "user_info": {"uname": "a"}}
    bodies = [b"not json", b"\xff\xfe", b"[1, 2]", b'{"cmd": 5}', b'{"nocmd": 1}',
              b'{"cmd": "DANMU_MSG", "info": []}',
              b'{"cmd": "DANMU_MSG", "info": [[], 5, [1, "a"]]}',
              json.dumps({"cmd": "SEND_GIFT", "data": gift}).encode(),  # NaN: JSON allows it
              json.dumps({"cmd": "SUPER_CHAT_MESSAGE", "data": superchat}).encode(),
              b"[" * 100_000]
    for body in bodies:
        result = read_command(body, NOW)
        assert result.malformed and not result.events, body[:60]


# -- fuzz --------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=20)
_CMDS = ["DANMU_MSG", "DANMU_MSG:4:0:2:2:2:0", "SEND_GIFT", "COMBO_SEND", "SUPER_CHAT_MESSAGE",
         "SUPER_CHAT_MESSAGE_DELETE", "GUARD_BUY", "INTERACT_WORD", "ROOM_BLOCK_MSG",
         "LIVE_OPEN_PLATFORM_DM", "LIVE_OPEN_PLATFORM_SEND_GIFT", "LIVE_OPEN_PLATFORM_SUPER_CHAT",
         "LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL", "LIVE_OPEN_PLATFORM_GUARD", "OTHER"]
# Built once: hypothesis replays draws, so the same example must give the same bytes.
_FRAMES = [pack(bench.packets([bench.danmu("hi", "Ann", 1, "x")] * 3), ver)
           for ver in (PLAIN, ZLIB, BROTLI)]
_REAL = [bench.danmu("t", "u", 1, "i"), bench.gift("u", 1, "g", 1, 100),
         bench.combo("u", 1, "g", 2, "c"), bench.superchat("u", 1, "t", 30, 1), bench.guard("u", 1),
         bench.interact("u", 1), bench.blocked("u", 1), bench.open_danmu("t", "u", "o", "m"),
         bench.superchat_deleted(1)]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_decode_never_raises(data):
    packets, malformed = decode(data)
    assert malformed >= 0 and all(isinstance(p.body, bytes) for p in packets)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzz_decode_of_damaged_real_frames(data):
    frame = bytearray(data.draw(st.sampled_from(_FRAMES)))
    for _ in range(data.draw(st.integers(1, 4))):
        frame[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    packets, _ = decode(bytes(frame[:data.draw(st.integers(0, len(frame)))]))
    for packet in packets:
        _check(read_command(packet.body, NOW))


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        children = node.items()
    else:
        children = enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*path, key))


def _check(result):
    assert not (result.malformed and result.events)
    for event in result.events:
        assert isinstance(event, ChatMessage | ChatRemoval) and event.platform == "bilibili"
        if isinstance(event, ChatMessage):
            assert isinstance(event.user, str) and isinstance(event.text, str)
            assert event.id.startswith("bilibili:")
            assert event.amount is None or event.amount > 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"cmd": st.sampled_from(_CMDS), "data": _json, "info": _json}))
def test_fuzz_mapper_never_raises_on_junk(command):
    _check(read_command(json.dumps(command).encode(), NOW))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mapper_never_raises_on_damaged_real_commands(data):
    command = json.loads(json.dumps(data.draw(st.sampled_from(_REAL))))
    paths = [path for path in _paths(command) if path]
    for _ in range(data.draw(st.integers(1, 3))):
        path, node = data.draw(st.sampled_from(paths)), command
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = data.draw(_json)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier swap replaced this branch
    _check(read_command(json.dumps(command).encode(), NOW))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=20),
                          st.integers(0, 2**40), st.text(max_size=12)), min_size=1, max_size=6),
       st.sampled_from([PLAIN, ZLIB, BROTLI]), st.sampled_from(["", ":4:0:2:2:2:0", ":1"]))
def test_fuzz_every_valid_danmaku_comes_out(rows, ver, suffix):
    commands = [bench.danmu(text, user, uid, msg_id, suffix=suffix)
                for text, user, uid, msg_id in rows]
    packets, malformed = decode(pack(bench.packets(commands), ver))
    assert malformed == 0
    got = [event for p in packets for event in read_command(p.body, NOW).events]
    assert [(m.text, m.user) for m in got] == [(text, user) for text, user, _, _ in rows]
    assert all(m.user_id and m.id.startswith("bilibili:dm:") for m in got)


# -- specs -------------------------------------------------------------------------------------


def test_specs(monkeypatch):
    monkeypatch.setenv("BILIBILI_TOKEN", "tok-123")
    source = parse_chat("bilibili:21452505?ws=ws://127.0.0.1:9/sub&heartbeat=5&watchdog=12")
    assert isinstance(source, BilibiliSource)
    assert fields(source, "name", "room", "url", "heartbeat_s", "watchdog_s") == \
        ("bilibili:21452505", 21452505, "ws://127.0.0.1:9/sub", 5.0, 12.0)
    assert "tok-123" not in repr(source)
    default = parse_chat("bilibili:1")
    assert fields(default, "url", "heartbeat_s", "watchdog_s", "open_platform") == \
        ("wss://broadcastlv.chat.bilibili.com/sub", 30.0, 70.0, None)
    wrong = [("bilibili:abc", "ROOM_ID must be"), ("bilibili:1?ws=http://x", "ws://"),
             ("bilibili:1?heartbeat=80", "below watchdog"),
             ("bilibili:1?colour=red", "unknown option 'colour'"),
             ("bilibili:1?api=http://x", "give app_id"),
             ("bilibili:1?app_id=5&ws=ws://x", "does not go"),
             ("bilibili:1?app_id=5", "BILIBILI_ACCESS_KEY_ID")]
    for spec, why in wrong:
        with pytest.raises(LivehostError, match=why):
            parse_chat(spec)
    for name, value in OpenAccount().environ.items():
        monkeypatch.setenv(name, value)
    source = parse_chat("bilibili:1?app_id=5&api=http://127.0.0.1:9")
    assert source.open_platform.app_id == 5
    assert not any(secret in repr(source) for secret in OpenAccount().environ.values())


# -- against the local server --------------------------------------------------------------------


@pytest.fixture
def server():
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


class Running:
    """A source's run() in a thread, collecting what it emits."""

    def __init__(self, source) -> None:
        self.source, self.got, self.stop = source, [], threading.Event()
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.source.run(self.got.append, self.stop)
        except Exception as exc:  # noqa: BLE001 (the test reads it)
            self.error = exc

    def messages(self, n: int, timeout: float = 5.0) -> list:
        wait_for(lambda: len(self.got) >= n, timeout, f"{n} messages", every=0.01)
        return self.got

    def close(self) -> float:
        """Stops the source; how long it took."""
        started = time.monotonic()
        self.stop.set()
        self.thread.join(5)
        return time.monotonic() - started


def start(server: Server, options: str = "") -> Running:
    running = Running(parse_chat(server.spec + options))
    wait_for(lambda: server.connections, 5, "the source to connect")
    return running


def kinds(events: list) -> list[tuple[str, str]]:
    return [(e.kind, e.text) if isinstance(e, ChatMessage) else ("removal", e.id) for e in events]


def test_auth_heartbeats_and_every_kind_in_every_packing(server, monkeypatch):
    monkeypatch.setenv("BILIBILI_TOKEN", "sekrit-token")
    running = start(server, "&heartbeat=0.2")
    try:
        assert server.auths == [{"uid": 0, "roomid": server.room, "protover": 3, "platform": "web",
                                 "type": 2, "key": "sekrit-token"}]
        server.send_chat("Ann", "你好", "m1")
        assert running.messages(1)[0].text == "你好"
        server.send([bench.danmu("one", "Bo", 2, "d1"), bench.gift("Bo", 2, "辣条", 2, 100),
                     bench.interact("Cy", 3, 1)], ver=ZLIB)
        server.send([bench.superchat("Di", 4, "sc", 30, 9), bench.guard("Ed", 5),
                     bench.interact("Fay", 6, 2)], ver=PLAIN)
        unknown = {"cmd": "ONLINE_RANK_COUNT", "data": {"count": 5}}
        server.send([bench.combo("Bo", 2, "辣条", 10, "c1"),
                     bench.danmu("two", "Bo", 2, "d2", suffix=""), unknown,
                     bench.superchat_deleted(9)], ver=BROTLI)
        assert kinds(running.messages(9)[1:]) == [
            ("chat", "one"), ("gift", "辣条"), ("superchat", "sc"), ("member", "舰长"),
            ("follow", ""), ("gift", "辣条"), ("chat", "two"), ("removal", "bilibili:sc:9")]
        status = running.source.status()
        assert fields(status, "up", "received", "malformed") == (True, 9, 0)
        assert running.source.unknown == 1
        wait_for(lambda: len(server.heartbeats) >= 4, 3, "heartbeats every 0.2 s")
        gaps = [b - a for a, b in zip(server.heartbeats, server.heartbeats[1:])]
        assert all(0.15 < gap < 0.6 for gap in gaps), gaps
    finally:
        assert running.close() < 0.5
    assert running.error is None and not running.source.status().up


def test_malformed_frames_are_counted_and_skipped(server):
    running = start(server)
    try:
        bad = [b"\x00\x01", wire.HEADER.pack(2**31, 16, PLAIN, COMMAND, 1), "a text frame",
               encode(COMMAND, b"\x78\x9cjunk", ZLIB), encode(COMMAND, b"junk", BROTLI),
               encode(COMMAND, b"{not json", PLAIN),
               encode(COMMAND, {"cmd": "DANMU_MSG", "info": [1]}, PLAIN)]
        for frame in [*bad, encode(COMMAND, bench.danmu("ok", "Ann", 1, "x"), PLAIN)]:
            server.send_raw(frame)
        assert [m.text for m in running.messages(1)] == ["ok"]
        assert running.source.status().malformed == len(bad)
        assert running.source.status().up and server.connections == 1
    finally:
        running.close()


def test_refused_auth_is_a_clear_error_without_the_token(server, monkeypatch):
    monkeypatch.setenv("BILIBILI_TOKEN", "sekrit-token")
    server.auth_code = -101
    source = parse_chat(server.spec)
    with pytest.raises(LivehostError, match=r"refused .*code -101") as error:
        source.run(lambda m: None, threading.Event())
    assert "sekrit" not in str(error.value) and "sekrit" not in source.status().error
    assert server.auths[0]["key"] == "sekrit-token"


def test_wrong_room_is_refused(server):
    source = parse_chat(server.spec.replace(f"bilibili:{server.room}", "bilibili:99"))
    with pytest.raises(LivehostError, match="code -101"):
        source.run(lambda m: None, threading.Event())


def test_watchdog_raises_when_the_link_goes_quiet(server):
    server.answer_heartbeats = False
    source = parse_chat(server.spec + FAST)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="no data for 0.8 s"):
        source.run(lambda m: None, threading.Event())
    assert 0.8 <= time.monotonic() - started < 2.0
    assert len(server.heartbeats) >= 3  # it kept beating; the server stayed silent


def test_heartbeat_replies_keep_the_watchdog_quiet(server):
    running = start(server, FAST)
    try:
        time.sleep(2.0)
        assert running.thread.is_alive() and running.error is None and server.connections == 1
    finally:
        running.close()


def test_reconnects_by_itself_after_an_outage(server):
    got = []
    supervisor = SourceSupervisor([parse_chat(server.spec)], got.append)
    supervisor.start()
    try:
        wait_for(lambda: server.connections == 1, 5, "the first connection")
        server.send_chat("Ann", "before", "b1")
        wait_for(lambda: got, 5, "the first message")
        dropped = time.monotonic()
        server.drop(2.0)
        wait_for(lambda: server.connections == 2, 10, "the reconnection")
        assert 2.0 <= time.monotonic() - dropped < 10.0
        server.send_chat("Bo", "after", "a1")
        wait_for(lambda: len(got) == 2, 5, "a message after the outage")
        assert [m.text for m in got] == ["before", "after"]
        status = supervisor.status()[f"bilibili:{server.room}"]
        assert status.up and status.restarts >= 1
    finally:
        assert supervisor.stop(2.0)


def test_frame_to_emit_latency(server):
    stamps: list[float] = []
    source = parse_chat(server.spec)
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(lambda m: stamps.append(time.perf_counter()),
                                                       stop))
    thread.start()
    try:
        wait_for(lambda: server.connections, 5, "the source to connect")
        delays = []
        for i in range(1, 101):
            sent = time.perf_counter()
            server.send_chat("Ann", f"m{i}", f"id{i}")
            wait_for(lambda n=i: len(stamps) >= n, 2, "the message", every=0.0005)
            delays.append(stamps[-1] - sent)
        p50, p95 = statistics.median(delays), statistics.quantiles(delays, n=20)[-1]
        print(f"bilibili frame-to-emit latency: p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
        assert p95 < 0.05
    finally:
        stop.set()
        thread.join(5)


def test_parse_throughput():
    rate = bench.parse_throughput(4000)
    print(f"bilibili parse_throughput: {rate:,.0f} messages/s")
    assert rate > 2000


# -- the open platform ---------------------------------------------------------------------------


def test_sign_headers():
    body = b'{"a":1}'
    headers = sign(body, "kid", "secret", nonce="42", timestamp=1700000000)
    md5 = hashlib.md5(body).hexdigest()
    signed = (f"x-bili-accesskeyid:kid\nx-bili-content-md5:{md5}\n"
              "x-bili-signature-method:HMAC-SHA256\nx-bili-signature-nonce:42\n"
              "x-bili-signature-version:1.0\nx-bili-timestamp:1700000000")
    signature = hmac.new(b"secret", signed.encode(), hashlib.sha256).hexdigest()
    assert headers == {"x-bili-accesskeyid": "kid", "x-bili-content-md5": md5,
                       "x-bili-signature-method": "HMAC-SHA256", "x-bili-signature-nonce": "42",
                       "x-bili-signature-version": "1.0", "x-bili-timestamp": "1700000000",
                       "Authorization": signature}


@pytest.fixture
def open_server(monkeypatch):
    account = OpenAccount()
    for name, value in account.environ.items():
        monkeypatch.setenv(name, value)
    srv = Server(open_account=account)
    srv.start()
    yield srv
    srv.stop()


def test_open_platform_route(open_server):
    source = parse_chat(open_server.spec)
    source.keepalive_s = 0.2
    running = Running(source)
    try:
        wait_for(lambda: open_server.connections, 5, "the source to connect")
        account = OpenAccount()
        assert open_server.calls[0] == ("/v2/app/start",
                                        {"code": account.code, "app_id": account.app_id})
        open_server.send_chat("Ann", "开放平台你好", "om-1")
        [msg] = running.messages(1)
        assert fields(msg, "user", "text", "id") == ("Ann", "开放平台你好", "bilibili:dm:om-1")
        assert msg.user_id.startswith("open-")
        wait_for(lambda: [path for path, _ in open_server.calls].count("/v2/app/heartbeat") >= 2, 3,
                 "session heartbeats")
    finally:
        assert running.close() < 1.0
    assert open_server.calls[-1][0] == "/v2/app/end" and not open_server.refused_calls
    game_ids = {body.get("game_id") for _, body in open_server.calls[1:]}
    assert len(game_ids) == 1 and None not in game_ids


def test_open_platform_wrong_secret_is_refused(open_server, monkeypatch):
    monkeypatch.setenv("BILIBILI_ACCESS_KEY_SECRET", "not-the-secret")
    source = parse_chat(open_server.spec)
    with pytest.raises(LivehostError, match=r"refused /v2/app/start \(code 4004"):
        source.run(lambda m: None, threading.Event())
    assert open_server.refused_calls == ["/v2/app/start"] and open_server.connections == 0
    assert "not-the-secret" not in source.status().error


def test_open_platform_session_lost_raises(open_server):
    source = parse_chat(open_server.spec)
    source.keepalive_s = 0.2
    running = Running(source)
    try:
        wait_for(lambda: open_server.connections, 5, "the source to connect")
        with open_server._lock:
            open_server._games.clear()  # the platform forgot the session
        wait_for(lambda: running.error is not None, 3, "the source to notice")
        assert "code 7003" in str(running.error)
    finally:
        running.close()
