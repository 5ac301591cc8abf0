"""The chat queue's rules, on a manual clock."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from pydantic import ValidationError

from livehost.media.frames import ChatMessage
from livehost.sources.classify import is_question, mention_pattern, normalize
from livehost.sources.queue import ChatQueue, QueueConfig, QueueTtl


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def msg(user: str, text: str, **kw) -> ChatMessage:
    return ChatMessage(platform="test", user=user, text=text, **kw)


def make(**cfg):
    clock, drops, events = Clock(), [], []
    queue = ChatQueue(QueueConfig(**cfg), clock=clock, on_drop=lambda m, r: drops.append((m.text, r)),
                      on_event=events.append)
    return queue, clock, drops, events


def answers(queue: ChatQueue) -> list[str]:
    out = []
    while (pick := queue.next()) is not None:
        assert pick.kind == "answer"
        out.append(pick.message.text)
    return out


def test_categories_come_out_in_priority_order_and_fifo_within_one():
    queue, *_ = make(mention_names=("Ava",))
    for m in [msg("a", "nice stream"), msg("b", "hey Ava"), msg("c", "is it waterproof"),
              msg("d", "love it", amount=5.0, currency="EUR"), msg("e", "second chatter"),
              msg("op", "announce the sale", kind="operator"), msg("f", "how much?")]:
        queue.offer(m)
    assert answers(queue) == ["announce the sale", "love it", "is it waterproof", "how much?",
                              "hey Ava", "nice stream", "second chatter"]


def test_order_is_configurable():
    queue, *_ = make(order=("question", "chatter", "operator", "paid", "mention"))
    queue.offer(msg("op", "operator line", kind="operator"))
    queue.offer(msg("a", "just chatting"))
    queue.offer(msg("b", "what is it?"))
    assert answers(queue) == ["what is it?", "just chatting", "operator line"]


def test_order_must_name_every_category_once():
    with pytest.raises(ValidationError, match="exactly once"):
        QueueConfig(order=("operator", "paid", "question", "mention"))


def test_pick_says_why_it_won():
    queue, *_ = make()
    queue.offer(msg("a", "thanks for the demo", kind="superchat", amount=2.0))
    pick = queue.next()
    assert (pick.kind, pick.category, pick.ids) == ("answer", "paid", (pick.message.id,))


def test_offer_assigns_ids_and_reports_chat_events():
    queue, _, _, events = make()
    given = queue.offer(msg("a", "hello", id="tw-1"))
    assigned = queue.offer(msg("b", "another"))
    assert given == "tw-1" and assigned and assigned != given
    assert [e["id"] for e in events] == ["tw-1", assigned]
    assert events[0] == {"event": "chat", "id": "tw-1", "platform": "test", "user": "a",
                         "text": "hello", "kind": "chat", "amount": None}
    assert queue.next().message.id == "tw-1"


def test_same_text_within_the_window_is_a_duplicate():
    queue, clock, drops, _ = make(duplicate_window_s=30)
    queue.offer(msg("a", "Hello!!"))
    queue.offer(msg("b", "hello"))
    queue.offer(msg("c", "  HELLO  "))
    assert drops == [("hello", "duplicate"), ("  HELLO  ", "duplicate")]
    clock.advance(31)
    queue.offer(msg("d", "hello"))
    assert queue.depth == 1  # the first went stale meanwhile (30 s), the new one is in
    assert queue.drops == {"duplicate": 2, "stale": 1}


def test_a_user_over_the_rate_limit_is_dropped():
    queue, clock, drops, _ = make(rate_limit_count=2, rate_limit_window_s=10)
    for i in range(4):
        queue.offer(msg("spammer", f"message {i}"))
    queue.offer(msg("other", "message from someone else"))
    assert drops == [("message 2", "rate_limited"), ("message 3", "rate_limited")]
    clock.advance(10.5)
    queue.offer(msg("spammer", "later message"))
    assert queue.drops == {"rate_limited": 2}


def test_operator_and_paid_skip_dedupe_and_rate_limits():
    queue, _, drops, _ = make(rate_limit_count=1)
    for _ in range(3):
        queue.offer(msg("op", "same", kind="operator"))
        queue.offer(msg("fan", "same", amount=1.0))
    assert drops == [] and queue.depth == 6


def test_overflow_evicts_the_oldest_of_the_lowest_category():
    queue, _, drops, _ = make(max_depth=3)
    queue.offer(msg("a", "chat one"))
    queue.offer(msg("b", "chat two"))
    queue.offer(msg("c", "why though?"))
    queue.offer(msg("d", "what now?"))  # full: the oldest chatter goes
    assert drops == [("chat one", "overflow")]
    queue.offer(msg("e", "chat three"))  # the lowest is chatter again: the oldest chatter
    assert drops[-1] == ("chat two", "overflow")
    assert answers(queue) == ["why though?", "what now?", "chat three"]


def test_stale_after_the_category_ttl():
    queue, clock, drops, _ = make(ttl=QueueTtl(chatter=30, question=120))
    queue.offer(msg("a", "hi all"))
    queue.offer(msg("b", "does it ship abroad?"))
    clock.advance(31)
    assert queue.next().message.text == "does it ship abroad?"
    assert drops == [("hi all", "stale")]
    queue.offer(msg("c", "what sizes are there?"))
    clock.advance(121)
    assert queue.next() is None and drops[-1] == ("what sizes are there?", "stale")


def test_paid_messages_are_thanked_when_they_expire_or_are_evicted():
    queue, clock, drops, _ = make(max_depth=2, ttl=QueueTtl(paid=60), thanks_gather_s=0,
                                  thanks_every_s=0)
    queue.offer(msg("Ann", "great show", amount=5.0))
    queue.offer(msg("Bo", "keep going", amount=2.0))
    queue.offer(msg("Cy", "more please", kind="superchat", amount=1.0))  # evicts Ann's
    clock.advance(61)  # Bo's and Cy's expire
    pick = queue.next()
    assert pick.kind == "thanks" and pick.batched == 3 and len(pick.ids) == 3
    assert pick.text == "Thanks Ann, Bo and 1 other for the support!"
    assert drops == []


def test_gifts_are_thanked_in_one_batch_at_most_every_k_seconds():
    queue, clock, drops, _ = make(thanks_gather_s=3, thanks_every_s=20)
    for user in ["Ann", "Bo", "Cy", "Di", "Ed"]:
        queue.offer(msg(user, "roses", kind="gift", amount=1.0))
    queue.offer(msg("Ann", "roses", kind="gift"))  # the same giver again: still five people
    queue.offer(msg("Fay", "", kind="follow"))
    queue.offer(msg("Gus", "what is the price?"))
    assert queue.next().kind == "answer"  # gathering: the question goes first
    clock.advance(3)
    pick = queue.next()
    assert pick.kind == "thanks" and pick.batched == 7
    assert pick.text == "Thanks Ann, Bo and 3 others for the roses! Thanks Fay for the follow!"
    queue.offer(msg("Hal", "lion", kind="gift"))
    clock.advance(10)
    assert queue.next() is None  # 10 s since the last batch
    clock.advance(10)
    assert queue.next().text == "Thanks Hal for the lion!"
    assert drops == [] and queue.stats()["thanked"] == 8


def test_thanks_in_chinese():
    queue, *_ = make(language="zh", thanks_gather_s=0, thanks_every_s=0)
    for user in ["小明", "小红", "阿强"]:
        queue.offer(msg(user, "玫瑰", kind="gift"))
    assert queue.next().text == "谢谢小明、小红等3位朋友送的玫瑰！"


def test_a_due_thanks_goes_before_chat_but_after_the_operator():
    queue, *_ = make(thanks_gather_s=0, thanks_every_s=0)
    queue.offer(msg("Ann", "rose", kind="gift"))
    queue.offer(msg("a", "what is it?"))
    queue.offer(msg("op", "say hi", kind="operator"))
    assert [queue.next().kind for _ in range(3)] == ["answer", "thanks", "answer"]


def test_idle_script_rotates_never_repeats_and_loses_to_chat():
    queue, clock, *_ = make(idle_after_s=20, idle_lines=(
        "Try the kettle.", "Try the kettle.", "Free shipping today."))
    assert queue.next() is None
    clock.advance(20)
    lines = []
    for _ in range(4):
        pick = queue.next()
        assert pick.kind == "idle" and pick.message is None
        lines.append(pick.text)
        clock.advance(20)
    assert all(a != b for a, b in itertools.pairwise(lines))
    assert set(lines) == {"Try the kettle.", "Free shipping today."}
    queue.offer(msg("a", "hello there"))
    assert queue.next().kind == "answer"
    assert queue.next() is None  # just picked: quiet time starts over
    clock.advance(19)
    queue.reset_idle()
    clock.advance(19)
    assert queue.next() is None
    clock.advance(1)
    assert queue.next().kind == "idle"


def test_remove_withdraws_a_waiting_message():
    queue, _, drops, _ = make()
    mid = queue.offer(msg("a", "something rude"))
    queue.offer(msg("b", "something nice"))
    assert queue.remove(mid) and not queue.remove(mid) and not queue.remove("never-seen")
    assert drops == [("something rude", "removed")]
    assert answers(queue) == ["something nice"]


def test_remove_user_withdraws_a_banned_users_messages_on_that_platform_only():
    queue, _, drops, _ = make()
    queue.offer(msg("troll", "spam one", user_id="t1"))
    queue.offer(msg("ann", "is it in stock?", user_id="a1"))
    queue.offer(msg("troll", "spam two?", user_id="t1"))
    queue.offer(dataclasses.replace(msg("troll", "elsewhere", user_id="t1"), platform="other"))
    assert queue.remove_user("test", "t1") == 2 and queue.remove_user("test", "t1") == 0
    assert sorted(d[0] for d in drops) == ["spam one", "spam two?"] and {d[1] for d in drops} == {"removed"}
    assert sorted(answers(queue)) == ["elsewhere", "is it in stock?"]


def test_redelivered_ids_and_ignored_kinds():
    queue, _, drops, events = make()
    queue.offer(msg("a", "hello", id="m1"))
    queue.offer(msg("a", "hello", id="m1"))
    queue.offer(msg("sys", "chat was cleared", kind="system"))
    assert queue.depth == 1 and len(events) == 2
    assert drops == [("chat was cleared", "ignored")]
    assert queue.stats()["redelivered"] == 1


def test_bookkeeping_is_bounded_under_a_flood():
    queue, clock, *_ = make(max_depth=20, max_tracked=64)
    for i in range(20_000):
        queue.offer(msg(f"user{i}", f"message number {i}"))
        clock.advance(0.001)
    stats = queue.stats()
    assert stats["depth"] == 20
    assert all(n <= 64 for n in stats["tracked"].values())
    assert stats["offered"] == 20_000 and sum(stats["drops"].values()) == 20_000 - 20


def test_a_failing_callback_never_breaks_the_queue():
    def explode(*_):
        raise RuntimeError("callback bug")

    queue = ChatQueue(QueueConfig(max_depth=1), on_drop=explode, on_event=explode)
    queue.offer(msg("a", "one"))
    queue.offer(msg("b", "two"))
    assert queue.next().message.text == "two" and queue.drops == {"overflow": 1}


@pytest.mark.parametrize("text", ["is it waterproof", "How much 😀😀", "price?", "价格多少？",
                                  "这个有没有红色的", "能发货吗", "那蓝色的呢", "Really?!"])
def test_questions(text):
    assert is_question(text)


@pytest.mark.parametrize("text", ["nice stream", "this is great", "好漂亮", "I love it!", "island"])
def test_not_questions(text):
    assert not is_question(text)


def test_mentions_match_whole_latin_names_and_cjk_anywhere():
    pattern = mention_pattern(["Ava", "小美"])
    assert pattern.search("hi @ava!") and pattern.search("AVA you rock")
    assert pattern.search("小美你好") and not pattern.search("lava lamp")
    assert mention_pattern([" ", ""]) is None


def test_normalize():
    assert normalize("Hello,   WORLD!!") == normalize("hello world") == "hello world"
    assert normalize("😀😀") == "😀😀"
