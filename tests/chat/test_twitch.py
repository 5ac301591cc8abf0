"""The Twitch chat source: the IRCv3 parser and Twitch's commands, fuzzed; then end to end
against the local Twitch-dialect server, under the real supervisor."""

import datetime
import ipaddress
import logging
import re
import ssl
import statistics
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import wait_for

from livehost.bench.chat import twitch as bench
from livehost.errors import LivehostError
from livehost.media.frames import ChatMessage
from livehost.sources.base import ChatRemoval
from livehost.sources.irc import LineFramer, MalformedLine, parse, unescape_tag
from livehost.sources.specs import parse_chat
from livehost.sources.supervisor import SourceSupervisor
from livehost.sources.twitch import TwitchRefused, TwitchSource, read_line, translate

NOW = 1_800_000_000.0


def event(line: str | bytes):
    raw = line if isinstance(line, bytes) else line.encode()
    return translate(read_line(raw), NOW)


# --- the parser -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, value", [
    (r"a\sb", "a b"), (r"a\:b", "a;b"), (r"a\\b", "a\\b"), (r"\r\n", "\r\n"),
    ("end\\", "end"),  # a lone backslash at the end is dropped
    (r"\a\b", "ab"),  # an unknown escape keeps its character
    (r"\\\s", "\\ "), (r"x=y=z", "x=y=z"), ("", ""),
])
def test_tag_unescaping(raw, value):
    assert unescape_tag(raw) == value


def test_equals_sign_inside_a_tag_value_is_kept():
    msg = parse(r"@a=b=c;empty=;bare;e=x\sy= :nick!nick@host PRIVMSG #chan :hi there")
    assert dict(msg.tags) == {"a": "b=c", "empty": "", "bare": "", "e": "x y="}
    assert (msg.command, msg.params, msg.nick) == ("PRIVMSG", ("#chan", "hi there"), "nick")


def test_trailing_parameter_keeps_colons_and_spaces():
    msg = parse(":n!n@h PRIVMSG #c ::) see you :at 5  ")
    assert msg.params == ("#c", ":) see you :at 5  ")
    assert parse("PING").params == ()
    assert parse("ping :tmi.twitch.tv").command == "PING"


@pytest.mark.parametrize("line", [
    "", "@tags-only", ":prefix-only", "@a=b :prefix", "PRIV-MSG #c :x", "12 x", "!!! :x", "@=x PING",
    ":n!n@h 1234 x",
])
def test_malformed_lines_raise_malformed_line(line):
    with pytest.raises(MalformedLine):
        parse(line)


def test_framer_splits_several_lines_in_one_read_and_joins_split_ones():
    framer = LineFramer()
    assert framer.feed(b"PING :a\r\nPING :b\n\r\n\nPING :c\r\nPI") == [b"PING :a", b"PING :b", b"PING :c"]
    assert framer.feed(b"NG :d\r") == []
    assert framer.feed(b"\n") == [b"PING :d"]
    whole = b"@id=1 :n!n@h PRIVMSG #c :split across reads\r\n"
    got = [line for i in range(len(whole)) for line in framer.feed(whole[i:i + 1])]
    assert got == [whole[:-2]]


def test_overlong_lines_are_dropped_and_memory_stays_bounded():
    framer = LineFramer(max_line=100)
    assert framer.feed(b"x" * 150 + b"\r\nPING :ok\r\n") == [None, b"PING :ok"]
    assert framer.feed(b"y" * 80) == []
    assert framer.feed(b"y" * 80) == [None]  # reported once, while it is still arriving
    for _ in range(100):
        assert framer.feed(b"y" * 1000) == []
        assert len(framer._buf) <= 100
    assert framer.feed(b"yyy\r\nPING :after\r\n") == [b"PING :after"]


# --- Twitch's commands -------------------------------------------------------------------

PRIVMSG = (r"@badge-info=subscriber/8;badges=moderator/1,subscriber/6;bits=0;color=#1E90FF;"
           r"display-name=Ann\sLee;emotes=25:0-4,12-16/1902:6-10;first-msg=1;flags=;"
           r"id=b34ccfc7-4977-403a-8a94-33c6bac34fb8;mod=1;reply-parent-msg-id=abc;room-id=1337;"
           r"subscriber=1;tmi-sent-ts=1507246572675;turbo=0;user-id=1337;user-type=mod "
           r":ann!ann@ann.tmi.twitch.tv PRIVMSG #dallas :Kappa Keepo Kappa")


def test_tagged_privmsg_with_emotes():
    msg = event(PRIVMSG)
    assert msg == ChatMessage(
        platform="twitch", user="Ann Lee", text="Kappa Keepo Kappa", received_at=NOW,
        id="twitch:b34ccfc7-4977-403a-8a94-33c6bac34fb8", kind="chat", user_id="1337",
        platform_time=1507246572.675)
    tags = read_line(PRIVMSG.encode()).tags
    assert tags["badges"] == "moderator/1,subscriber/6" and tags["emotes"] == "25:0-4,12-16/1902:6-10"


def test_bits_make_a_paid_chat_message():
    msg = event(PRIVMSG.replace("bits=0", "bits=100").replace(":Kappa Keepo Kappa", ":cheer100 great"))
    assert (msg.kind, msg.amount, msg.currency, msg.text) == ("chat", 100.0, "bits", "cheer100 great")
    garbled = event(PRIVMSG.replace("bits=0", "bits=lots"))
    assert (garbled.amount, garbled.currency) == (None, "")


def test_untagged_privmsg_and_action():
    msg = event(":bob!~bob@127.0.0.1 PRIVMSG #dallas :\x01ACTION waves\x01")
    assert (msg.user, msg.user_id, msg.text, msg.id, msg.platform_time) == ("bob", "bob", "waves", "", None)
    assert event(":bob!b@h PRIVMSG #dallas :   ") is None  # nothing to answer
    with pytest.raises(MalformedLine):
        event(":bob!b@h PRIVMSG #dallas")


def test_bytes_that_are_not_utf8_do_not_lose_the_message():
    msg = event(b":bob!b@h PRIVMSG #c :caf\xe9 \xf0\x9f\x98 ok \xe4\xbd\xa0\xe5\xa5\xbd")
    assert msg.text == "caf\ufffd \ufffd ok 你好"


def usernotice(msg_id: str, text: str = "", channel: str = "dallas", **tags: str) -> str:
    tags = {"display-name": "Ronni", "login": "ronni", "user-id": "42", "id": "n1",
            "msg-id": msg_id, "system-msg": r"ronni\ssubscribed\sat\sTier\s1.", "tmi-sent-ts": "1000",
            **tags}
    rest = " :" + text if text else ""
    return "@" + ";".join(f"{k}={v}" for k, v in tags.items()) + f" :tmi.twitch.tv USERNOTICE #{channel}{rest}"


@pytest.mark.parametrize("msg_id, kind", [
    ("sub", "member"), ("resub", "member"), ("subgift", "member"), ("submysterygift", "member"),
    ("raid", "raid"), ("announcement", "system"), ("bitsbadgetier", "system"),
])
def test_usernotice_kinds(msg_id, kind):
    msg = event(usernotice(msg_id))
    assert (msg.kind, msg.user, msg.user_id, msg.id, msg.platform_time) == (kind, "Ronni", "42", "twitch:n1", 1.0)
    assert msg.text == "ronni subscribed at Tier 1."  # no words of their own: Twitch's line


def test_usernotice_text_is_the_users_message_and_a_raid_names_the_raider():
    assert event(usernotice("resub", "love it ; here")).text == "love it ; here"
    raid = event(usernotice("raid", **{"msg-param-displayName": "Big\\sRaider",
                                       "system-msg": r"15\sraiders\sfrom\sBig\sRaider\shave\sjoined!"}))
    assert (raid.kind, raid.user, raid.text) == ("raid", "Big Raider", "15 raiders from Big Raider have joined!")


def test_moderation_becomes_removals():
    assert event("@login=ronni;room-id=;target-msg-id=abc-1;tmi-sent-ts=1 :tmi.twitch.tv CLEARMSG #dallas :bad") \
        == ChatRemoval("twitch", id="twitch:abc-1", reason="deleted")
    assert event("@ban-duration=350;room-id=1;target-user-id=987;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #dallas :ronni") \
        == ChatRemoval("twitch", user_id="987", reason="timed out")
    assert event("@room-id=1;target-user-id=987 :tmi.twitch.tv CLEARCHAT #dallas :ronni") \
        == ChatRemoval("twitch", user_id="987", reason="banned")
    assert event(":tmi.twitch.tv CLEARCHAT #dallas :Ronni") == ChatRemoval("twitch", user_id="ronni", reason="banned")
    assert event("@room-id=1 :tmi.twitch.tv CLEARCHAT #dallas") is None  # the whole room: ignored
    assert event(":tmi.twitch.tv CLEARMSG #dallas :x") is None  # untagged: nothing to withdraw


def test_server_chatter_is_not_chat():
    for line in (":tmi.twitch.tv 001 justinfan1 :Welcome, GLHF!", "PING :tmi.twitch.tv",
                 "@emote-only=0;room-id=1 :tmi.twitch.tv ROOMSTATE #dallas", ":tmi.twitch.tv RECONNECT"):
        assert event(line) is None


# --- fuzzing --------------------------------------------------------------------------------

_KEY = st.from_regex(r"\A\+?([a-z]{1,6}\.[a-z]{2,3}/)?[a-z][a-z0-9-]{0,12}\Z")
_VALUE = st.text(st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(list("\\; =:\r\n"))))
_TEXT = st.text(st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from(list(" :;@\\="))),
                min_size=1).filter(lambda t: t.strip())
_LOGIN = st.from_regex(r"\A[a-z0-9_]{1,25}\Z")
_TWITCH_TAGS = ("display-name", "user-id", "id", "badges", "emotes", "tmi-sent-ts", "color")


def escape(value: str) -> str:
    """IRCv3 tag escaping, written out from the spec (independent of the code under test)."""
    out = []
    for char in value:
        out.append({";": r"\:", " ": r"\s", "\\": "\\\\", "\r": r"\r", "\n": r"\n"}.get(char, char))
    return "".join(out)


@st.composite
def privmsgs(draw):
    tags = draw(st.dictionaries(_KEY, _VALUE, max_size=6))
    tags.update(draw(st.fixed_dictionaries({}, optional={k: _VALUE for k in _TWITCH_TAGS})))
    login, text = draw(_LOGIN), draw(_TEXT)
    head = "@" + ";".join(f"{k}={escape(v)}" for k, v in tags.items()) + " " if tags else ""
    return f"{head}:{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #chan :{text}", tags, login, text


def read_all(framer: LineFramer, data: bytes) -> tuple[list, int]:
    """What the source does with bytes, minus the socket: events and the malformed count."""
    events, malformed = [], 0
    for line in framer.feed(data):
        try:
            events.append(translate(read_line(line), NOW))
        except MalformedLine:
            malformed += 1
    return events, malformed


_IRCISH = st.lists(st.one_of(st.binary(max_size=30), st.sampled_from(
    [b"@", b";", b"=", b" ", b" :", b":", b"\\", b"\r\n", b"\n", b"PRIVMSG", b"USERNOTICE", b"CLEARCHAT",
     b"CLEARMSG", b"#c", b"n!n@h", b"msg-id=raid", b"bits=", b"target-user-id=", b"\xff", b"\x01ACTION "])),
    max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_IRCISH, st.lists(st.integers(1, 64), max_size=10))
def test_fuzzed_bytes_never_raise_anything_but_malformed(data, cuts):
    framer, start = LineFramer(max_line=256), 0
    for size in cuts + [len(data)]:
        read_all(framer, data[start:start + size])
        start += size


@settings(max_examples=150, deadline=None)
@given(st.lists(privmsgs(), min_size=1, max_size=5), st.lists(st.integers(1, 300), max_size=8))
def test_every_generated_privmsg_comes_out_intact(messages, cuts):
    data = b"".join(line.encode() + b"\r\n" for line, *_ in messages)
    framer, events, start = LineFramer(), [], 0
    for size in cuts + [len(data)]:
        got, malformed = read_all(framer, data[start:start + size])
        events += got
        start += size
        assert malformed == 0
    assert len(events) == len(messages)
    for (line, tags, login, text), msg in zip(messages, events):
        assert dict(read_line(line.encode()).tags) == tags
        assert msg.text == text
        assert msg.user == (tags.get("display-name") or login)
        assert msg.user_id == (tags.get("user-id") or login)
        assert msg.id == (f"twitch:{tags['id']}" if tags.get("id") else "")


# --- specs -----------------------------------------------------------------------------------


def test_spec_options(monkeypatch):
    monkeypatch.delenv("TWITCH_OAUTH_TOKEN", raising=False)
    source = parse_chat("twitch:#SomeChannel?server=127.0.0.1:6667&tls=0&watchdog=30")
    assert (source.name, source.host, source.port, source.tls, source.watchdog_s, source.nick) == \
        ("twitch:somechannel", "127.0.0.1", 6667, False, 30.0, None)
    default = parse_chat("twitch:foo")
    assert (default.host, default.port, default.tls) == ("irc.chat.twitch.tv", 6697, True)
    for spec, why in [("twitch:foo?bogus=1", "bogus"), ("twitch:foo?server=nowhere", "HOST:PORT"),
                      ("twitch:foo?tls=maybe", "tls"), ("twitch:foo?watchdog=0", "watchdog"),
                      ("twitch:no-such!", "channel"), ("twitch:foo?nick=bot", "TWITCH_OAUTH_TOKEN")]:
        with pytest.raises(LivehostError, match=why):
            parse_chat(spec)


def test_token_needs_a_nick_and_never_shows(monkeypatch):
    monkeypatch.setenv("TWITCH_OAUTH_TOKEN", "s3cr3t-token")
    monkeypatch.delenv("TWITCH_NICK", raising=False)
    with pytest.raises(LivehostError, match="TWITCH_NICK") as err:
        parse_chat("twitch:foo")
    assert "s3cr3t" not in str(err.value)
    monkeypatch.setenv("TWITCH_NICK", "MyBot")
    source = parse_chat("twitch:foo")
    assert source.nick == "mybot" and "s3cr3t" not in repr(source)


# --- end to end against the local server --------------------------------------------------


class Inbox:
    def __init__(self):
        self.items, self.at = [], []

    def __call__(self, item):
        self.at.append(time.perf_counter())
        self.items.append(item)

    def wait(self, n: int, timeout: float = 5.0):
        wait_for(lambda: len(self.items) >= n, timeout, f"{n} chat events", every=0.002)
        return self.items[n - 1]


@pytest.fixture
def server():
    srv = bench.Server("livehost")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def running(server, monkeypatch):
    """The source for ``server`` under the real supervisor: (supervisor, inbox)."""
    monkeypatch.delenv("TWITCH_OAUTH_TOKEN", raising=False)
    started = []

    def start(extra: str = ""):
        inbox = Inbox()
        sup = SourceSupervisor([parse_chat(server.spec + extra)], inbox)
        sup.start()
        started.append(sup)
        wait_for(lambda: server.connections >= 1, 5, "the source to join")
        return sup, inbox

    yield start
    for sup in started:
        assert sup.stop(timeout=2.0)


def only(sup):
    (status,) = sup.status().values()
    return status


def test_handshake_and_tagged_replay(server, running):
    sup, inbox = running()
    (hs,) = server.handshakes
    assert hs.caps == ("twitch.tv/tags", "twitch.tv/commands")
    assert re.fullmatch(r"justinfan[0-9]+", hs.nick) and hs.password is None and hs.channel == "#livehost"
    assert hs.order.index("CAP") < hs.order.index("NICK") < hs.order.index("JOIN")
    wait_for(lambda: only(sup).up, 2, "status up")

    server.send_chat("Ann Lee", "hello; there \\ =x", "m1")
    server.send_chat("bob", "cheer100 take my bits", "m2", bits=100)
    server.send_line(usernotice("resub", "six months!", channel="livehost"))
    server.send_line("@target-msg-id=m1 :tmi.twitch.tv CLEARMSG #livehost :hello")
    inbox.wait(4)
    first, paid, member, removal = inbox.items
    assert (first.user, first.text, first.id, first.user_id) == ("Ann Lee", "hello; there \\ =x", "twitch:m1",
                                                                 bench.user_id_of("Ann Lee"))
    assert abs(first.platform_time - time.time()) < 5
    assert (paid.amount, paid.currency) == (100.0, "bits")
    assert (member.kind, member.text, member.user) == ("member", "six months!", "Ronni")
    assert removal == ChatRemoval("twitch", id="twitch:m1", reason="deleted")
    assert (only(sup).received, only(sup).malformed) == (3, 0)


def test_lines_split_and_bunched_and_malformed_on_the_wire(server, running):
    sup, inbox = running()
    line = bench.privmsg_line("livehost", "carol", "split in two", "s1").encode() + b"\r\n"
    server.send_bytes(line[:37])
    time.sleep(0.3)  # the source reads the first half alone
    elsewhere = b":x!x@x PRIVMSG justinfan1 :a private word\r\n:x!x@x PRIVMSG #other :another room\r\n"
    server.send_bytes(line[37:] + b"\xff\xfe junk\r\n:x PRIVMSG\r\n" + elsewhere + line.replace(b"s1", b"s2") * 2)
    inbox.wait(3)
    assert [m.id for m in inbox.items] == ["twitch:s1", "twitch:s2", "twitch:s2"]
    assert inbox.items[0].text == "split in two"
    assert only(sup).malformed == 2 and only(sup).up


def test_ping_pong(server, running):
    running()
    server.ping()
    wait_for(lambda: server.pongs == 1, 2, "the source's PONG")


def test_reconnect_is_honoured_at_once(server, running):
    sup, inbox = running()
    began = time.monotonic()
    server.reconnect()
    wait_for(lambda: server.connections == 2, 2, "the source to reconnect")
    assert time.monotonic() - began < 1.0
    assert only(sup).restarts == 0  # it reconnected by itself, not through a crash
    server.send_chat("dave", "after the reconnect", "r1")
    assert inbox.wait(1).text == "after the reconnect"
    time.sleep(0.2)
    assert len(inbox.items) == 1


def test_drop_and_back_reconnects_by_itself(server, running):
    sup, inbox = running()
    server.drop(1.5)
    wait_for(lambda: not only(sup).up, 2, "the source to notice the outage")
    back = time.monotonic() + 1.5
    wait_for(lambda: server.connections == 2, 12, "the source back after the outage")
    assert time.monotonic() - back < 10
    assert only(sup).restarts >= 1
    wait_for(lambda: only(sup).up, 2, "status up again")
    server.send_chat("erin", "still here?", "d1")
    assert inbox.wait(1).text == "still here?"


def test_stop_is_quick(server, running):
    sup, _ = running()
    began = time.monotonic()
    assert sup.stop(timeout=2.0)
    assert time.monotonic() - began < 0.6


def test_watchdog_pings_a_quiet_server_and_gives_up_on_a_dead_one(server, running, caplog):
    sup, _ = running("&watchdog=0.5")
    wait_for(lambda: server.client_pings >= 2, 3, "watchdog PINGs")
    assert only(sup).restarts == 0  # answered: still the first connection
    server.answer_pings = False
    with caplog.at_level(logging.WARNING):
        wait_for(lambda: server.connections >= 2, 5, "a reconnect after the unanswered PING")
    assert "no answer to a PING" in caplog.text


def run_once(source: TwitchSource, timeout: float = 5.0) -> BaseException:
    """Run a source outside the supervisor until it raises; the exception."""
    errors, stop = [], threading.Event()

    def target():
        try:
            source.run(lambda item: None, stop)
        except OSError as exc:  # every way it goes down: refused, TLS, connection errors
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    stop.set()
    assert errors, "the source should have gone down"
    return errors[0]


def test_refused_login_is_clear_and_keeps_the_token_secret(monkeypatch, caplog):
    srv = bench.Server("livehost", token="right-token", nick="mybot")
    srv.start()
    try:
        monkeypatch.setenv("TWITCH_OAUTH_TOKEN", "wrong-token")
        with caplog.at_level(logging.DEBUG):
            source = parse_chat(srv.spec + "&nick=mybot")
            error = run_once(source)
        assert isinstance(error, TwitchRefused)
        assert "refused the login: Login authentication failed (check TWITCH_OAUTH_TOKEN" in str(error)
        status = source.status()
        assert not status.up and "Login authentication failed" in status.error
        assert "wrong-token" not in str(error) + status.error + caplog.text + repr(source)

        monkeypatch.setenv("TWITCH_OAUTH_TOKEN", "right-token")
        inbox, stop = Inbox(), threading.Event()
        source = parse_chat(srv.spec + "&nick=mybot")
        thread = threading.Thread(target=source.run, args=(inbox, stop), daemon=True)
        thread.start()
        wait_for(lambda: srv.connections == 1, 3, "the logged-in source to join")
        assert (srv.handshakes[0].password, srv.handshakes[0].nick) == ("oauth:right-token", "mybot")
        stop.set()
        thread.join(1)
        assert not thread.is_alive()
    finally:
        srv.stop()


def test_a_channel_that_does_not_exist_is_a_clear_error(server, monkeypatch):
    monkeypatch.delenv("TWITCH_OAUTH_TOKEN", raising=False)
    error = run_once(parse_chat(server.spec.replace("twitch:livehost", "twitch:nosuchchannel")))
    assert str(error) == "#nosuchchannel cannot be read: This channel does not exist or has been suspended."


def self_signed(tmp_path) -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 and the path of its certificate (the client's CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)


def test_tls_verifies_the_server_and_carries_chat(tmp_path, monkeypatch):
    monkeypatch.delenv("TWITCH_OAUTH_TOKEN", raising=False)
    context, ca = self_signed(tmp_path)
    srv = bench.Server("livehost", tls=context)
    srv.start()
    try:
        assert srv.spec.endswith("&tls=1")
        error = run_once(parse_chat(srv.spec))  # the system's CAs do not know this certificate
        assert isinstance(error, ssl.SSLCertVerificationError)
        monkeypatch.setenv("SSL_CERT_FILE", ca)
        inbox, stop = Inbox(), threading.Event()
        thread = threading.Thread(target=parse_chat(srv.spec).run, args=(inbox, stop), daemon=True)
        thread.start()
        wait_for(lambda: srv.connections == 1, 5, "the source to join over TLS")
        srv.send_chat("tls viewer", "over TLS", "t1")
        assert inbox.wait(1).text == "over TLS"
        stop.set()
        thread.join(1)
        assert not thread.is_alive()
    finally:
        srv.stop()


# --- figures ---------------------------------------------------------------------------------


def test_line_to_emit_latency(server, running):
    _, inbox = running()
    delays = []
    for i in range(200):
        written = server.send_chat(f"viewer{i}", f"message number {i}", f"l{i}")
        inbox.wait(i + 1, timeout=2)
        delays.append(inbox.at[i] - written)
    median = statistics.median(delays)
    print(f"\ntwitch line written -> emit: median {median * 1e3:.2f} ms, "
          f"p95 {sorted(delays)[189] * 1e3:.2f} ms over 200")
    assert 0 <= median < 0.05


def test_parse_throughput():
    rate = bench.parse_throughput(20_000)
    print(f"\ntwitch parse_throughput: {rate:,.0f} messages/s")
    assert rate > 5_000
