"""The chat queue's promises over random message streams (manual clock): every message ends
exactly one way, paid ones are never lost without thanks, the order holds, depth is bounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from livehost.media.frames import ChatMessage
from livehost.sources.queue import CATEGORIES, ChatQueue, QueueConfig, QueueTtl

KINDS = ["chat", "chat", "chat", "question", "superchat", "gift", "follow", "member", "operator",
         "system"]
TEXTS = ["hi", "Hi!", "what is it?", "price?", "hey Ava", "nice", "rose", "lion", "great stream",
         "这个多少钱", ""]
BATCHED = {"gift", "follow", "member", "raid"}

offer = st.tuples(st.just("offer"), st.sampled_from(KINDS), st.integers(0, 4),
                  st.sampled_from(TEXTS), st.one_of(st.none(), st.floats(0, 20)),
                  st.one_of(st.just(""), st.sampled_from(["dup-1", "dup-2"])))
tick = st.tuples(st.just("tick"), st.floats(0, 40))
take = st.tuples(st.just("next"))
remove = st.tuples(st.just("remove"), st.integers(0, 200))
operations = st.lists(st.one_of(offer, offer, tick, take, take, remove), max_size=80)

ttl = st.one_of(st.none(), st.floats(0, 60))
configs = st.builds(
    QueueConfig,
    order=st.permutations(CATEGORIES).map(tuple),
    mention_names=st.just(("Ava",)),
    max_depth=st.integers(1, 6),
    duplicate_window_s=st.floats(0, 30),
    rate_limit_count=st.integers(1, 3),
    rate_limit_window_s=st.floats(0, 30),
    ttl=st.builds(QueueTtl, operator=ttl, paid=ttl, question=ttl, mention=ttl, chatter=ttl),
    thanks_every_s=st.floats(0, 30),
    thanks_gather_s=st.floats(0, 10),
    idle_after_s=st.floats(0, 30),
    idle_lines=st.sampled_from([(), ("Buy the kettle.",), ("One.", "Two.", "One.")]),
)


@settings(max_examples=300, deadline=None)
@given(config=configs, ops=operations)
def test_every_message_ends_exactly_one_way_and_the_rules_hold(config: QueueConfig, ops):
    now = [0.0]
    dropped: list[tuple[str, str]] = []
    queue = ChatQueue(config, clock=lambda: now[0], on_drop=lambda m, r: dropped.append((m.id, r)))
    offered: dict[str, tuple[ChatMessage, int]] = {}  # id -> (message, offer order)
    answered: list[str] = []
    thanked: list[str] = []
    last_index: dict[str, int] = {}  # category -> offer order of its last answer
    last_thanks = None
    rank = {c: i for i, c in enumerate(config.order)}

    def take_one():
        nonlocal last_thanks
        pick = queue.next()
        lanes = queue.stats()["lanes"]
        if pick is None:
            return None
        if pick.kind == "answer":
            above = config.order[: rank[pick.category]]
            assert all(lanes[c] == 0 for c in above), "a higher category was waiting"
            index = offered[pick.message.id][1]
            assert index > last_index.get(pick.category, -1), "not first in, first out"
            last_index[pick.category] = index
            answered.append(pick.message.id)
        elif pick.kind == "thanks":
            assert lanes[config.order[0]] == 0
            if last_thanks is not None:
                assert now[0] - last_thanks >= config.thanks_every_s
            last_thanks = now[0]
            assert pick.batched == len(pick.ids) > 0
            thanked.extend(pick.ids)
        else:
            assert pick.kind == "idle" and sum(lanes.values()) == 0 and pick.text in config.idle_lines
        return pick

    for op in ops:
        if op[0] == "offer":
            _, kind, user, text, amount, mid = op
            m = ChatMessage(platform="p", user=f"u{user}", text=text, kind=kind, amount=amount, id=mid)
            redelivery = bool(mid) and mid in offered
            got = queue.offer(m)
            if not redelivery:
                offered[got] = (m, len(offered))
        elif op[0] == "tick":
            now[0] += op[1]
        elif op[0] == "next":
            take_one()
        elif offered:
            queue.remove(list(offered)[op[1] % len(offered)])
        assert queue.depth <= config.max_depth

    for _ in range(config.max_depth + 50):  # drain: wait out every gather and rate window
        stats = queue.stats()
        if stats["depth"] == 0 and stats["pending_thanks"] == 0:
            break
        now[0] += 1000.0
        take_one()
    stats = queue.stats()
    assert stats["depth"] == 0 and stats["pending_thanks"] == 0

    fates: dict[str, list[str]] = {}
    for mid in answered:
        fates.setdefault(mid, []).append("answered")
    for mid in thanked:
        fates.setdefault(mid, []).append("thanked")
    for mid, reason in dropped:
        fates.setdefault(mid, []).append(reason)
    assert set(fates) == set(offered), "a message vanished, or one appeared from nowhere"
    assert all(len(f) == 1 for f in fates.values()), "a message ended twice"
    for mid, (m, _) in offered.items():
        fate = fates[mid][0]
        if m.kind in BATCHED:
            assert fate == "thanked"
        elif m.kind not in config.ignore_kinds and queue.categorize(m) == "paid":
            assert fate in ("answered", "thanked", "removed"), f"paid message {fate}"
    assert sum(stats["drops"].values()) == len(dropped)
    assert stats["offered"] == len(offered)
