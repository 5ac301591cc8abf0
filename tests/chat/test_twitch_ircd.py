"""The Twitch source against a real IRC server (ngIRCd) on loopback: it refuses the Twitch
capabilities (so every line is untagged), PINGs before registering and when idle, and is
killed and restarted mid-stream."""

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from loopback import free_port, wait_for

from livehost.sources.specs import parse_chat
from livehost.sources.supervisor import SourceSupervisor

NGIRCD = shutil.which("ngircd") or shutil.which("/usr/sbin/ngircd")
pytestmark = pytest.mark.skipif(NGIRCD is None, reason="ngircd is not installed (apt-get install ngircd)")

CONFIG = """\
[Global]
Name = irc.livehost.test
Info = livehost test server
AdminInfo1 = livehost tests
AdminInfo2 = loopback only
AdminEMail = nobody@localhost
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = "livehost test"
IncludeDir = {dir}
[Limits]
MaxNickLength = 30
MaxConnectionsIP = 0
PingTimeout = 5
PongTimeout = 5
[Options]
DNS = no
Ident = no
PAM = no
RequireAuthPing = yes
"""


class Ngircd:
    """ngIRCd in the foreground (-n) on one port, restartable on that same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.conf = tmp / "ngircd.conf"
        (tmp / "conf.d").mkdir()
        self.conf.write_text(CONFIG.format(port=self.port, dir=tmp / "conf.d"))
        self.log = tmp / "ngircd.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([NGIRCD, "-n", "-f", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._listening, 5, f"ngircd listening on {self.port}", every=0.05)

    def _listening(self) -> bool:
        assert self.proc.poll() is None, f"ngircd exited: {self.log.read_text()[-500:]}"
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(5)


class Client:
    """A plain IRC client: registers (answering ngIRCd's PINGs), joins, talks."""

    def __init__(self, port: int, nick: str, channel: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.settimeout(None)  # the reader waits as long as the server is quiet
        self.nick, self.lines, self.pings = nick, [], 0
        self._buf = b""
        threading.Thread(target=self._read, daemon=True).start()
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        wait_for(lambda: self._seen(f" 001 {nick} "), 5, f"{nick} registered")
        self.send(f"JOIN {channel}")
        wait_for(lambda: self._seen(f"JOIN :{channel}"), 5, f"{nick} in {channel}")

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def _seen(self, part: str) -> bool:
        return any(part in line for line in self.lines)

    def _read(self) -> None:
        try:
            while data := self.sock.recv(4096):
                *lines, self._buf = (self._buf + data).split(b"\r\n")
                for line in map(bytes.decode, lines):
                    self.lines.append(line)
                    if line.startswith("PING "):
                        self.pings += 1
                        self.send("PONG " + line[5:])
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def ircd(tmp_path):
    server = Ngircd(tmp_path)
    server.start()
    yield server
    if server.proc.poll() is None:
        server.kill()


@pytest.fixture
def source(ircd, monkeypatch):
    """Start the source for #livehost under the supervisor: (supervisor, received list)."""
    monkeypatch.delenv("TWITCH_OAUTH_TOKEN", raising=False)
    sups = []

    def start(extra: str = ""):
        got = []
        sup = SourceSupervisor([parse_chat(f"twitch:livehost?server=127.0.0.1:{ircd.port}&tls=0{extra}")], got.append)
        sup.start()
        sups.append(sup)
        wait_for(lambda: status(sup).up, 5, "the source in #livehost")
        return sup, got

    yield start
    for sup in sups:
        assert sup.stop(timeout=2.0)


def status(sup):
    (one,) = sup.status().values()
    return one


def test_untagged_chat_arrives_and_the_watchdog_is_answered(ircd, source):
    sup, got = source("&watchdog=1")
    alice = Client(ircd.port, "alice", "#livehost")
    alice.send("PRIVMSG #livehost :hello from a real IRC server", "PRIVMSG #livehost :\x01ACTION waves\x01")
    wait_for(lambda: len(got) == 2, 5, "alice's messages")
    assert [(m.platform, m.user, m.user_id, m.text, m.kind) for m in got] == [
        ("twitch", "alice", "alice", "hello from a real IRC server", "chat"),
        ("twitch", "alice", "alice", "waves", "chat")]
    time.sleep(3)  # quiet: the source PINGs ngIRCd every second and gets its PONGs
    assert (status(sup).restarts, status(sup).malformed, status(sup).up) == (0, 0, True)
    alice.close()


def test_answers_the_idle_pings_of_the_server(ircd, source):
    sup, got = source()  # the default watchdog: ngIRCd does the pinging
    bob = Client(ircd.port, "bob", "#livehost")
    pings = bob.pings
    time.sleep(11.5)  # more than PingTimeout + PongTimeout
    assert bob.pings > pings, "ngIRCd sent no idle PING in the time"
    bob.send("PRIVMSG #livehost :still there?")
    wait_for(lambda: got, 3, "bob's message after the quiet spell")
    assert got[0].text == "still there?" and status(sup).restarts == 0
    assert "Ping timeout" not in ircd.log.read_text()
    bob.close()


def test_server_killed_and_restarted_mid_stream(ircd, source):
    sup, got = source()
    carol = Client(ircd.port, "carol", "#livehost")
    for i in range(5):
        carol.send(f"PRIVMSG #livehost :before {i}")
    wait_for(lambda: len(got) == 5, 5, "the messages before the crash")
    ircd.kill()
    carol.close()
    wait_for(lambda: not status(sup).up, 3, "the source to notice")
    ircd.start()
    back = time.monotonic()
    wait_for(lambda: status(sup).up, 10, "the source back in #livehost")
    print(f"\nback {time.monotonic() - back:.1f} s after ngIRCd restarted")
    assert status(sup).restarts >= 1
    carol = Client(ircd.port, "carol", "#livehost")
    carol.send("PRIVMSG #livehost :after the restart")
    wait_for(lambda: len(got) == 6, 5, "the message after the restart")
    assert [m.text for m in got] == [f"before {i}" for i in range(5)] + ["after the restart"]
    carol.close()
