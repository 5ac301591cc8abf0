"""The generic signed webhook: signing, the 5-minute window and replay refusal on a manual
clock, each item of a body checked alone; then end to end through the real API server, the
real supervisor and signed posts over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import wait_for
from push_harness import oversized_post, p95, reply_times, serve

from livehost.bench.chat import webhook as sender
from livehost.errors import LivehostError
from livehost.sources.base import HookSource, SourceStatus
from livehost.sources.specs import parse_chat
from livehost.sources.webhook import HEADER, WebhookSource, parse_items, read_header, sign

SECRET = "webhook-test-secret"
NOW = 1_750_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def post(source: WebhookSource, items, t: int = NOW, secret: str = SECRET, header: str | None = None):
    body = items if isinstance(items, bytes) else json.dumps(items).encode()
    return source.receive({HEADER: header or sign(secret, body, t)}, body)


def test_sign_is_hmac_sha256_of_t_dot_body():
    body = b'{"user":"a","text":"hi"}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, body, 1_700_000_000) == f"t=1700000000,v1={expected}"
    assert read_header(f"t=1700000000, v1={expected.upper()}") == (1_700_000_000, expected)
    for bad, why in [(None, "missing header X-Livehost-Signature"), ("", "missing header"),
                     ("v1=ab", "must read t=UNIX,v1=HEX"), ("t=soon,v1=ab", "must read"),
                     ("t=1", "must read")]:
        with pytest.raises(ValueError, match=why):
            read_header(bad)


def test_from_spec_needs_the_secret_and_keeps_it_out_of_sight(monkeypatch):
    monkeypatch.delenv("LIVEHOST_WEBHOOK_SECRET", raising=False)
    with pytest.raises(LivehostError, match="LIVEHOST_WEBHOOK_SECRET"):
        parse_chat("webhook")
    monkeypatch.setenv("LIVEHOST_WEBHOOK_SECRET", SECRET)
    source = parse_chat("webhook")
    assert isinstance(source, HookSource) and (source.name, source.path) == ("webhook", "/hooks/chat")
    assert SECRET not in repr(source)
    assert parse_chat("webhook?path=/hooks/shop").name == "webhook:/hooks/shop"
    with pytest.raises(LivehostError, match="unknown option 'secret'"):
        parse_chat("webhook?secret=x")


def test_the_window_is_five_minutes_either_way():
    clock = Clock()
    source = WebhookSource(SECRET, clock=clock)
    assert post(source, {"user": "a", "text": "edge"}, t=NOW - 300).status == 200
    assert post(source, {"user": "a", "text": "edge"}, t=NOW + 300).status == 200
    for t in (NOW - 301, NOW + 301):
        reply = post(source, {"user": "a", "text": "stale"}, t=t)
        assert reply.status == 401
        assert reply.body == {"error": "webhook: signature timestamp outside the 5-minute window"}
    clock.now += 301  # a new request signed at the old time: the window, not replay, refuses it
    assert "5-minute window" in post(source, {"user": "z", "text": "late"}, t=NOW).body["error"]


def test_a_wrong_signature_is_refused_without_telling_the_secret():
    source = WebhookSource(SECRET, clock=Clock())
    body = json.dumps({"user": "a", "text": "hi"}).encode()
    for header, sent in [(sign("wrong", body, NOW), body), (sign(SECRET, body, NOW), body + b" "),
                         (sign(SECRET, body, NOW - 1).replace(f"t={NOW - 1}", f"t={NOW}"), body),
                         (f"t={NOW},v1=zz", body)]:
        reply = source.receive({HEADER: header}, sent)
        assert reply.status == 401 and "does not match the body" in reply.body["error"]
        assert SECRET not in json.dumps(reply.body)
    assert source.receive({}, body).body == {"error": "webhook: missing header X-Livehost-Signature"}
    assert source.receive({HEADER.lower(): sign(SECRET, body, NOW)}, body).status == 200


def test_a_replayed_signature_is_refused_and_memory_is_bounded():
    source = WebhookSource(SECRET, clock=Clock(), remember_signatures=2)
    items = {"user": "a", "text": "hi"}
    assert post(source, items).status == 200
    replay = post(source, items)
    assert replay.status == 401 and "already used" in replay.body["error"]
    assert post(source, items, t=NOW + 1).status == 200  # a fresh signature of the same body
    post(source, {"user": "b", "text": "x"})
    post(source, {"user": "c", "text": "y"})  # remembers two: the first is forgotten
    assert post(source, items).status == 200
    # a forgery is refused before it could take a place in that memory
    assert post(source, {"user": "d", "text": "z"}, secret="wrong").status == 401
    assert post(source, {"user": "c", "text": "y"}).status == 401


def test_each_item_is_checked_alone_and_bad_ones_are_named():
    source = WebhookSource(SECRET, clock=Clock())
    reply = post(source, [
        {"user": "Ann", "text": "hi", "id": "1"},
        {"user": "Bo", "text": ""},
        {"user": "Cy", "text": "big tip", "kind": "superchat", "amount": 5, "currency": "EUR",
         "id": "o-7", "user_id": "cy#1", "platform": "shop"},
        {"user": "Di", "text": "say this", "kind": "operator"},
        {"user": "Ed", "text": "x", "colour": "red"},
        "nope",
        {"user": "Fi", "kind": "follow"},
    ])
    assert reply.status == 200 and reply.body["accepted"] == 3 and reply.body["malformed"] == 4
    assert [r["index"] for r in reply.body["rejected"]] == [1, 3, 4, 5]
    assert reply.body["rejected"][0]["error"] == "text: must not be empty"
    assert reply.body["rejected"][2]["error"] == "colour: unknown field"
    assert "kind" in reply.body["rejected"][1]["error"]
    got, stop = [], threading.Event()
    thread = threading.Thread(target=source.run, args=(got.append, stop))
    thread.start()
    wait_for(lambda: len(got) == 3, 5, "the good items")
    stop.set()
    thread.join(2)
    assert [(m.platform, m.id, m.user, m.user_id, m.kind, m.amount, m.currency) for m in got] == [
        ("webhook", "webhook:1", "Ann", "Ann", "chat", None, ""),
        ("shop", "shop:o-7", "Cy", "cy#1", "superchat", 5.0, "EUR"),
        ("webhook", "", "Fi", "Fi", "follow", None, "")]
    assert source.status() == SourceStatus(up=False, received=3, malformed=4)


def test_a_body_with_nothing_good_is_400():
    source = WebhookSource(SECRET, clock=Clock())
    reply = post(source, [{"user": ""}, {"text": "who?"}])
    assert reply.status == 400 and reply.body["error"].startswith("webhook: no valid item; [0] user:")
    assert len(reply.body["rejected"]) == 2
    for body, why in [(b"{not json", "not valid JSON"), (b"42", "must be a JSON object or an array")]:
        reply = post(source, body)
        assert reply.status == 400 and why in reply.body["error"]
    assert post(source, []).body == {"ok": True, "accepted": 0, "rejected": [], "malformed": 0}


def test_a_full_inbox_is_503_and_the_same_request_may_be_sent_again():
    source = WebhookSource(SECRET, clock=Clock(), inbox=1)
    assert post(source, {"user": "a", "text": "one"}).status == 200
    assert post(source, {"user": "b", "text": "two"}).status == 503
    got, stop = [], threading.Event()
    thread = threading.Thread(target=source.run, args=(got.append, stop))
    thread.start()
    wait_for(lambda: got, 5, "the first post")
    assert post(source, {"user": "b", "text": "two"}).status == 200  # not a "replay"
    wait_for(lambda: len(got) == 2, 5, "the retried post")
    stop.set()
    thread.join(2)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=16)
item_keys = st.sampled_from(["user", "text", "kind", "amount", "currency", "id", "user_id", "platform"])
near_items = st.dictionaries(item_keys, json_values | st.sampled_from(["chat", "gift", "operator"]),
                             max_size=8)


@settings(max_examples=120, deadline=None)
@given(st.lists(json_values | near_items, max_size=8), st.binary(max_size=40))
def test_fuzz_no_exception_escapes_the_parser(items, noise):
    parsed = parse_items(json.dumps(items).encode())
    assert len(parsed.messages) + len(parsed.rejected) == len(items)  # each item accounted for
    assert all(m.user and m.kind not in ("operator", "mic") for m in parsed.messages)
    try:
        parse_items(noise)
    except ValueError:
        pass


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.booleans(), near_items), max_size=10))
def test_fuzz_valid_items_are_all_kept_in_order(rows):
    items, expected = [], []
    for n, (valid, junk) in enumerate(rows):
        items.append({"user": f"u{n}", "text": f"text {n}", "id": f"valid-{n}"} if valid else junk)
        if valid:
            expected.append(f"webhook:valid-{n}")
    parsed = parse_items(json.dumps(items).encode())
    assert [m.id for m in parsed.messages if m.id.startswith("webhook:valid-")] == expected


# -- end to end: the real API server, the real supervisor, signed posts over HTTP -----------

@pytest.fixture
def served():
    source = WebhookSource(SECRET)
    with serve(source) as served:
        client = sender.Server(served.url, SECRET)
        client.start()
        yield served, client, source
        client.stop()


def test_a_signed_post_is_answered_200_and_emitted(served):
    served, client, _ = served
    reply = client.send_chat("Ann", "is the blue one in stock?", "m-1")
    assert reply.status_code == 200 and reply.json()["accepted"] == 1
    wait_for(lambda: served.got, 5, "the message")
    (msg,) = served.got
    assert (msg.platform, msg.user, msg.text, msg.id) == ("webhook", "Ann", "is the blue one in stock?",
                                                          "webhook:m-1")
    assert served.supervisor.status()["webhook"] == SourceStatus(up=True, received=1)


def test_bad_stale_and_replayed_signatures_are_401(served):
    served, client, _ = served
    body = sender.encode({"user": "Mallory", "text": "forged"})
    bad = client.post(body, signature=sign("wrong", body, int(client.clock())))
    assert bad.status_code == 401 and "does not match" in bad.json()["error"] and SECRET not in bad.text
    stale = client.post(body, t=int(client.clock()) - 301)
    assert stale.status_code == 401
    assert stale.json() == {"error": "webhook: signature timestamp outside the 5-minute window"}
    header = sign(SECRET, sender.encode({"user": "Bo", "text": "once"}), int(client.clock()))
    first = client.post(sender.encode({"user": "Bo", "text": "once"}), signature=header)
    again = client.post(sender.encode({"user": "Bo", "text": "once"}), signature=header)
    assert first.status_code == 200 and again.status_code == 401 and "already used" in again.json()["error"]
    client.send_chat("Cy", "marker", "m-2")
    wait_for(lambda: "marker" in served.texts(), 5, "the marker")
    assert served.texts() == ["once", "marker"]


def test_a_batch_with_a_malformed_item_keeps_the_rest(served):
    served, client, source = served
    reply = client.send([{"user": "A", "text": "one"}, {"user": "B", "text": 5}, {"user": "C", "text": "two"}])
    assert reply.status_code == 200
    assert reply.json()["rejected"] == [{"index": 1, "error": "text: Input should be a valid string"}]
    wait_for(lambda: len(served.got) == 2, 5, "the good items")
    assert served.texts() == ["one", "two"] and source.status().malformed == 1


def test_an_oversized_body_is_413(served):
    served, _, source = served
    reply = oversized_post(served.url, source.path)
    assert reply.status_code == 413 and "larger than" in reply.json()["error"]


def test_a_batch_of_100_is_answered_well_under_2_s(served, record_property):
    served, client, _ = served
    n, batch = 200, 100

    def send(i: int):
        return client.send([{"user": f"viewer{j % 50}", "text": f"message {i}-{j}", "id": f"{i}-{j}"}
                            for j in range(batch)])

    times = reply_times(send, n)
    wait_for(lambda: len(served.got) == n * batch, 20, "every posted message")
    record_property("webhook_p95_ms", round(p95(times) * 1000, 1))
    print(f"webhook: {n} posts of {batch}: p95 {p95(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    assert p95(times) < 2.0 and max(times) < 2.0


def test_parse_throughput_is_measured():
    assert sender.parse_throughput(2000) > 1000
