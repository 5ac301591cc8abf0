"""The real ``livehost run`` reading Twitch, YouTube, Bilibili, Douyin and a signed webhook at
once, each against its local protocol server (the push ones posting to the host's API server):
every platform's chat lands in the one queue (its ``chat`` events), the status shows each
source, an outage of one shows it down with a reason and heals by itself while the others go
on, and a Twitch moderator's CLEARMSG withdraws a waiting message.

One host for the module; the language model's address is one nothing listens on, so answers
are the quick fallback line and no model is loaded."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pytest
from e2e_host import EventStream, HostProcess, free_port, wait_for

from livehost.bench.chat import bilibili, douyin, twitch, webhook, youtube
from livehost.bench.chat.run import FOREIGN_CREDENTIALS

pytestmark = pytest.mark.slow

NAMES = {"twitch": "twitch:livehost", "youtube": f"youtube:{youtube.VIDEO_ID}",
         "bilibili": "bilibili:21452505", "douyin": "douyin", "webhook": "webhook"}
OUTAGE_S = 5.0


@dataclass
class Live:
    host: HostProcess
    events: EventStream
    servers: dict  # platform -> its local server (or, for push platforms, sender)

    def sources(self) -> dict:
        return self.host.status()["sources"]

    def source_if(self, platform: str, *, up: bool) -> dict | None:
        """The platform's status when its ``up`` is as given, else None."""
        status = self.sources()[NAMES[platform]]
        return status if status["up"] == up else None

    def chat_event(self, platform: str, user: str, text: str, timeout: float = 10.0) -> dict:
        return self.events.wait(
            lambda e: e["event"] == "chat" and e["platform"] == platform and e["user"] == user
            and e["text"] == text, timeout, f"{platform} chat {text!r} from {user}")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    pulled = {"twitch": twitch.Server("livehost"), "youtube": youtube.Server(),
              "bilibili": bilibili.Server(21452505)}
    secret = {"DOUYIN_WEBHOOK_SECRET": secrets.token_hex(16),
              "LIVEHOST_WEBHOOK_SECRET": secrets.token_hex(16)}
    pushed, host, events = {}, None, None
    try:
        for server in pulled.values():
            server.start()
        chats = [arg for server in pulled.values() for arg in ("--chat", server.spec)]
        host = HostProcess(tmp_path_factory.mktemp("all-platforms"), *chats, "--chat", "douyin",
                           "--chat", "webhook", "--llm", f"openai:http://127.0.0.1:{free_port()}/v1")
        for name in FOREIGN_CREDENTIALS:
            host.env.pop(name, None)
        host.env.update({**pulled["youtube"].env, **secret})
        pushed = {"douyin": douyin.Server(host.url, secret["DOUYIN_WEBHOOK_SECRET"]),
                  "webhook": webhook.Server(host.url, secret["LIVEHOST_WEBHOOK_SECRET"])}
        host.start()
        events = host.events()
        for sender in pushed.values():
            sender.start()
        live = Live(host, events, {**pulled, **pushed})
        wait_for(lambda: all_up(live), 60, "every chat source to be up")
        # A source may see itself in before its server counts it in (and sends it chat); and
        # YouTube's first page is the backlog the source skips: speak once every server agrees.
        wait_for(lambda: all(s.connections for s in pulled.values()), 10, "the servers' view")
        yield live
    finally:
        if events is not None:
            events.close()
        if host is not None:
            host.close()
        for server in [*pulled.values(), *pushed.values()]:
            server.stop()


def all_up(live: Live) -> dict:
    sources = live.sources()
    return sources if all(sources.get(n, {}).get("up") for n in NAMES.values()) else {}


def test_every_platform_is_read_into_the_one_queue(live):
    sources = live.sources()
    assert set(sources) == set(NAMES.values())
    assert all(s["up"] and s["error"] is None and s["restarts"] == 0
               for s in sources.values()), sources
    sent = {p: (f"{p.title()}Fan", f"hello from {p}, what a stream") for p in NAMES}
    for platform, (user, text) in sent.items():
        live.servers[platform].send_chat(user, text, f"first-{platform}")
    for platform, (user, text) in sent.items():
        event = live.chat_event(platform, user, text)
        assert event["kind"] == "chat"
        # prefixed by platform, so ids never collide across platforms (bilibili adds a kind)
        assert event["id"].startswith(f"{platform}:") and event["id"].endswith(f":first-{platform}")
    received = {name: s["received"] for name, s in live.sources().items()}
    assert received == dict.fromkeys(NAMES.values(), 1)


def test_an_outage_shows_down_then_heals_while_the_others_flow(live):
    wait_for(lambda: all_up(live), 30, "every chat source to be up")
    server = live.servers["twitch"]
    before = server.connections
    server.drop(OUTAGE_S)
    down = wait_for(lambda: live.source_if("twitch", up=False), 3, "twitch to show down")
    assert "127.0.0.1" in down["error"], down  # the reason names what went away
    others = [p for p in NAMES if p != "twitch"]
    for platform in others:
        live.servers[platform].send_chat("Steady", f"{platform} goes on", f"during-{platform}")
    for platform in others:
        live.chat_event(platform, "Steady", f"{platform} goes on")
    assert server.connections == before and not live.sources()[NAMES["twitch"]]["up"], \
        "the others must have flowed while twitch was still down"
    healed = wait_for(lambda: live.source_if("twitch", up=True), OUTAGE_S + 12,
                      "twitch to be up again by itself")
    assert healed["error"] is None and healed["restarts"] >= 1
    wait_for(lambda: server.connections == before + 1, 5, "the server to count twitch in again")
    server.send_chat("Back", "twitch is back", "after-outage")
    live.chat_event("twitch", "Back", "twitch is back")
    assert all(s["up"] for s in live.sources().values())


def test_a_twitch_clearmsg_withdraws_the_waiting_message(live):
    wait_for(lambda: live.source_if("twitch", up=True), 20, "twitch to be up")
    server = live.servers["twitch"]
    # Questions go before chatter: with these ahead, the chatter line is still waiting when
    # the moderator deletes it (the same connection, so the deletion comes right after it).
    for i in range(5):
        server.send_chat(f"asker{i}", f"question {i}: how much is the blue kettle?", f"q{i}")
    spam = "buy followers at example dot com"
    server.send_chat("Spammer", spam, "spam-1")
    tags = {"login": "spammer", "room-id": "12826", "target-msg-id": "spam-1",
            "tmi-sent-ts": str(int(time.time() * 1000))}
    server.send_line(twitch.tagged(tags, f":{twitch.HOST} CLEARMSG #livehost :{spam}"))
    live.chat_event("twitch", "Spammer", spam)
    dropped = live.events.wait(lambda e: e["event"] == "dropped" and e["id"] == "twitch:spam-1",
                               10, "the deleted message dropped")
    assert dropped["reason"] == "removed"
    time.sleep(1.0)  # had it been answered instead, its answer would show by now
    assert not [e for e in live.events.events if e.get("to") == "twitch:spam-1"]
    queue = live.host.status()["queue"]
    assert queue["drops"].get("removed") == 1
