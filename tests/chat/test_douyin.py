"""Douyin's live data push: the signature (the platform's published vector), the payload of
each message type, dedupe and the bounded inbox; then end to end through the real API
server, the real supervisor and signed pushes over HTTP."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import wait_for
from push_harness import oversized_post, p95, reply_times, serve

from livehost.bench.chat import douyin as sender
from livehost.errors import LivehostError
from livehost.sources.base import HookSource, SourceStatus
from livehost.sources.douyin import DouyinSource, parse_batch, signature
from livehost.sources.specs import parse_chat

SECRET = "douyin-test-push-secret"


def test_signature_is_the_published_vector():
    fields = {"x-nonce-str": "123456", "x-timestamp": "456789", "x-roomid": "268",
              "x-msg-type": "user_group"}
    assert signature(fields, "abc123你好".encode(), "123abc") == "GAkalGmhzqlUGQO/TgvMug=="


def test_from_spec_needs_the_secret_and_keeps_it_out_of_sight(monkeypatch):
    monkeypatch.delenv("DOUYIN_WEBHOOK_SECRET", raising=False)
    with pytest.raises(LivehostError, match="DOUYIN_WEBHOOK_SECRET"):
        parse_chat("douyin")
    monkeypatch.setenv("DOUYIN_WEBHOOK_SECRET", SECRET)
    source = parse_chat("douyin")
    assert isinstance(source, HookSource)
    assert (source.name, source.path) == ("douyin", "/hooks/douyin")
    assert SECRET not in repr(source) and SECRET not in repr(source.status())
    other = parse_chat("douyin?path=/hooks/dy2")
    assert (other.name, other.path) == ("douyin:/hooks/dy2", "/hooks/dy2")
    for spec, why in [("douyin?path=hooks", "must be a URL path"),
                      ("douyin?path=/api/chat", "API server's own routes"),
                      ("douyin?room=1", "unknown option 'room'"), ("douyin:123", "takes no target")]:
        with pytest.raises(LivehostError, match=why):
            parse_chat(spec)


def test_each_message_type_maps_to_its_kind():
    comment = parse_batch("live_comment", sender.encode([
        {**sender.comment("小明", " 这个多少钱 ", "m1"), "timestamp": 1_700_000_000_250},
        {**sender.comment("Bo", "hi", 42), "timestamp": 1_700_000_000}]))
    assert [(m.user, m.text, m.kind, m.id) for m in comment.messages] == [
        ("小明", "这个多少钱", "chat", "douyin:m1"), ("Bo", "hi", "chat", "douyin:42")]
    first, second = comment.messages
    assert first.platform == "douyin" and first.user_id.startswith("_000") and first.amount is None
    assert (first.platform_time, second.platform_time) == (1_700_000_000.25, 1_700_000_000.0)

    gifts = parse_batch("live_gift", sender.encode([sender.gift("Ann", "g1", num=3, value_fen=2990)]))
    (g,) = gifts.messages
    assert (g.kind, g.amount, g.currency, g.text, g.user) == ("gift", 29.9, "CNY", "", "Ann")

    fans = parse_batch("live_fansclub", sender.encode([
        sender.fansclub("Cy", "f1", reason=2, level=1), sender.fansclub("Di", "f2", reason=1, level=7),
        sender.fansclub("Ed", "f3", reason=16)]))
    assert [(m.user, m.kind, m.text) for m in fans.messages] == [
        ("Cy", "member", ""), ("Di", "system", "fans club level 7")]
    assert (fans.ignored, fans.malformed) == (1, 0)

    likes = parse_batch("live_like", sender.encode([{"msg_id": "l1", "like_num": 12}] * 3))
    assert (likes.messages, likes.ignored) == ([], 3)
    assert parse_batch("live_new_thing", b"[{}]").ignored == 1


def test_a_malformed_item_is_skipped_and_the_rest_kept():
    body = sender.encode([sender.comment("A", "one", "1"), {"msg_id": "2", "content": "no user"},
                          sender.comment("B", "", "3"), 7, sender.comment("C", "three", "4"),
                          {**sender.gift("D", "5"), "gift_num": 0}])
    batch = parse_batch("live_comment", body)
    assert [m.text for m in batch.messages] == ["one", "three"] and batch.malformed == 4
    for bad, why in [(b"not json", "not valid JSON"), (b'"a string"', "must be a JSON array"),
                     (b"[" * 100_000, "not valid JSON"), (b"\xff\xfe", "not valid JSON")]:
        with pytest.raises(ValueError, match=why):
            parse_batch("live_comment", bad)


def signed(msg_type: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    return sender.signed_headers(msg_type, body, secret)


def test_receive_checks_the_signature_without_telling_the_secret():
    source = DouyinSource(SECRET)
    body = sender.encode([sender.comment("A", "hi", "1")])
    for headers, sent in [(signed("live_comment", body, "wrong"), body),
                          ({**signed("live_comment", body), "x-roomid": "999"}, body),
                          (signed("live_comment", body), body + b" ")]:
        reply = source.receive(headers, sent)
        assert reply.status == 401 and "x-signature does not match" in reply.body["error"]
        assert SECRET not in json.dumps(reply.body)
    headers = signed("live_comment", body)
    del headers["x-nonce-str"]
    assert source.receive(headers, body).body == {"error": "douyin: missing header x-nonce-str"}
    upper = {k.upper(): v for k, v in signed("live_comment", body).items()}
    assert source.receive(upper, body).status == 200  # header names are case-insensitive
    assert source.status() == SourceStatus(up=False, received=0, malformed=0)


def test_a_redelivered_msg_id_is_answered_but_not_passed_on_twice():
    source = DouyinSource(SECRET, remember_ids=3)
    got, stop = [], threading.Event()

    def push(*ids: str):
        body = sender.encode([sender.comment("A", f"text {i}", i) for i in ids])
        return source.receive(signed("live_comment", body), body)

    assert push("1", "2", "2").body == {"ok": True, "accepted": 2, "duplicates": 1, "malformed": 0,
                                        "ignored": 0}
    assert push("1").body["duplicates"] == 1
    push("3", "4", "5")  # remembers only 3 ids: "1" is forgotten
    assert push("1").body["accepted"] == 1
    thread = threading.Thread(target=source.run, args=(got.append, stop))
    thread.start()
    wait_for(lambda: len(got) == 6, 5, "the messages")
    stop.set()
    thread.join(2)
    assert [m.id for m in got] == ["douyin:1", "douyin:2", "douyin:3", "douyin:4", "douyin:5", "douyin:1"]
    assert source.status() == SourceStatus(up=False, received=6)


def test_a_full_inbox_is_503_and_the_push_can_be_retried():
    source = DouyinSource(SECRET, inbox=1)
    first = sender.encode([sender.comment("A", "one", "1")])
    second = sender.encode([sender.comment("B", "two", "2")])
    assert source.receive(signed("live_comment", first), first).status == 200
    busy = source.receive(signed("live_comment", second), second)
    assert busy.status == 503 and "busy" in busy.body["error"]
    got, stop = [], threading.Event()
    thread = threading.Thread(target=source.run, args=(got.append, stop))
    thread.start()
    wait_for(lambda: got, 5, "the first push")
    assert source.receive(signed("live_comment", second), second).body["accepted"] == 1  # not a "duplicate"
    wait_for(lambda: len(got) == 2, 5, "the retried push")
    stop.set()
    thread.join(2)
    assert [m.text for m in got] == ["one", "two"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20)
comment_keys = st.sampled_from(["msg_id", "sec_openid", "nickname", "content", "timestamp",
                                "sec_gift_id", "gift_num", "gift_value", "fansclub_reason_type"])
near_items = st.dictionaries(comment_keys, json_values, max_size=9)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(["live_comment", "live_gift", "live_fansclub", "live_like", ""]),
       st.lists(json_values | near_items, max_size=8), st.binary(max_size=40))
def test_fuzz_no_exception_escapes_the_parser(msg_type, items, noise):
    batch = parse_batch(msg_type, json.dumps(items).encode())
    assert len(batch.messages) + batch.malformed + batch.ignored == len(items)  # each item accounted
    assert all(m.id.startswith("douyin:") and m.user and m.user_id for m in batch.messages)
    try:
        parse_batch(msg_type, noise)
    except ValueError:
        pass


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.booleans(), near_items), max_size=10))
def test_fuzz_valid_comments_are_all_kept_in_order(rows):
    items, expected = [], []
    for n, (valid, junk) in enumerate(rows):
        items.append(sender.comment(f"user{n}", f"text {n}", f"valid-{n}") if valid else junk)
        if valid:
            expected.append(f"douyin:valid-{n}")
    batch = parse_batch("live_comment", json.dumps(items).encode())
    assert [m.id for m in batch.messages if m.id.startswith("douyin:valid-")] == expected


# -- end to end: the real API server, the real supervisor, signed pushes over HTTP ----------

@pytest.fixture
def served():
    source = DouyinSource(SECRET)
    with serve(source) as served:
        push = sender.Server(served.url, SECRET)
        push.start()
        yield served, push, source
        push.stop()


def test_a_signed_push_is_answered_200_and_emitted(served):
    served, push, _ = served
    reply = push.send_chat("小明", "主播好", "7400000000000000001")
    assert reply.status_code == 200 and reply.json()["accepted"] == 1
    wait_for(lambda: served.got, 5, "the comment")
    (msg,) = served.got
    assert (msg.platform, msg.user, msg.text, msg.id) == ("douyin", "小明", "主播好", "douyin:7400000000000000001")
    push.push("live_gift", [sender.gift("Ann", "g-1", num=2, value_fen=200)])
    push.push("live_fansclub", [sender.fansclub("Bo", "f-1")])
    wait_for(lambda: len(served.got) == 3, 5, "the gift and the membership")
    assert [(m.kind, m.amount) for m in served.got[1:]] == [("gift", 2.0), ("member", None)]
    assert served.supervisor.status()["douyin"] == SourceStatus(up=True, received=3)
    assert push.connections == 3


def test_a_bad_signature_is_401_json_and_nothing_is_emitted(served):
    served, push, _ = served
    body = sender.encode([sender.comment("Mallory", "forged", "x1")])
    reply = push.post("live_comment", body, {**signed("live_comment", body), "x-signature": "AAAA"})
    assert reply.status_code == 401 and reply.headers["content-type"].startswith("application/json")
    assert "x-signature does not match" in reply.json()["error"] and SECRET not in reply.text
    push.send_chat("A", "after", "x2")
    wait_for(lambda: served.got, 5, "the good push")
    assert served.texts() == ["after"]


def test_a_duplicate_msg_id_is_emitted_once(served):
    served, push, _ = served
    for _ in range(3):
        assert push.send_chat("A", "once", "dup-1").status_code == 200
    push.send_chat("A", "marker", "dup-2")
    wait_for(lambda: "marker" in served.texts(), 5, "the marker")
    assert served.texts() == ["once", "marker"]


def test_a_batch_with_a_malformed_item_keeps_the_rest(served):
    served, push, source = served
    reply = push.push("live_comment", [sender.comment("A", "one", "b1"), {"msg_id": "b2"},
                                       sender.comment("B", "two", "b3")])
    assert reply.status_code == 200 and (reply.json()["accepted"], reply.json()["malformed"]) == (2, 1)
    wait_for(lambda: len(served.got) == 2, 5, "the good items")
    assert served.texts() == ["one", "two"] and source.status().malformed == 1


def test_an_oversized_body_is_413(served):
    served, _, source = served
    reply = oversized_post(served.url, source.path)
    assert reply.status_code == 413 and "larger than" in reply.json()["error"]


def test_a_batch_of_100_is_answered_well_under_2_s(served, record_property):
    served, push, _ = served
    n, batch = 200, 100

    def send(i: int):
        return push.push("live_comment", [sender.comment(f"观众{j % 50}", f"弹幕 {i}-{j}", f"p{i}-{j}")
                                          for j in range(batch)])

    times = reply_times(send, n)
    wait_for(lambda: len(served.got) == n * batch, 20, "every pushed comment")
    record_property("douyin_p95_ms", round(p95(times) * 1000, 1))
    print(f"douyin: {n} pushes of {batch}: p95 {p95(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    assert p95(times) < 2.0 and max(times) < 2.0


def test_parse_throughput_is_measured():
    assert sender.parse_throughput(2000) > 1000
