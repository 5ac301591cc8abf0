"""The input guard against the attack corpus (every attack blocked with its category, every
ordinary message allowed) and its rules one by one."""

import logging
import re

import pytest
from safety_corpus import load_attacks, load_benign

from livehost.brain.safety import Category, InputGuard
from livehost.persona import SafetySpec

ATTACKS = load_attacks()
BENIGN = load_benign()
CJK = re.compile(r"[\u3400-\u9fff]")


def test_corpus_covers_the_brief():
    kinds = [a.category for a in ATTACKS]
    attacks = [a for a in ATTACKS if a.category in ("injection", "jailbreak", "prompt_leak")]
    assert len(ATTACKS) >= 50 and len(attacks) >= 40
    assert sum(bool(CJK.search(a.text)) for a in attacks) >= 12
    assert sum(bool(a.note) for a in attacks) >= 10  # encoded and obfuscated ones
    assert {"abuse", "spam", "personal_data"} <= set(kinds)
    assert set(kinds) <= {c.value for c in Category}
    assert len(BENIGN) >= 30 and sum(bool(CJK.search(t)) for t in BENIGN) >= 10


@pytest.mark.parametrize("attack", ATTACKS, ids=str)
def test_attack_is_blocked_with_its_category(attack):
    verdict = InputGuard(SafetySpec()).check(attack.text, attack.user)
    assert not verdict.allowed
    assert verdict.category == attack.category, verdict.reason
    assert verdict.reason and attack.text not in verdict.reason


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_chat_passes(text):
    verdict = InputGuard(SafetySpec()).check(text, "viewer42")
    assert verdict.allowed, f"{verdict.category}: {verdict.reason}"


def test_too_long_and_empty():
    guard = InputGuard(SafetySpec(max_input_chars=50))
    assert guard.check("Is the big red kettle in stock, and how much is it?"[:50]).allowed
    assert guard.check("is it in stock? " * 4).category == "too_long"
    assert guard.check("").category == "empty"
    assert guard.check(" \u200b\u200d\ufeff \n").category == "empty"
    assert guard.check("👍").allowed


def test_the_same_message_again_and_again_is_spam():
    guard = InputGuard(SafetySpec())
    assert guard.check("how much is it?", "ann").allowed
    assert guard.check("How much is it??", "ann").allowed  # asked twice: still a question
    assert guard.check("how much is it?", "bob").allowed  # another viewer
    assert guard.check("HOW MUCH IS IT", "ann").category == "spam"
    assert guard.check("do you ship to Spain?", "ann").allowed
    assert all(guard.check("same thing").allowed for _ in range(5))  # no sender: nothing to count


def test_links_to_the_persona_s_own_site_pass():
    guard = InputGuard(SafetySpec(allowed_domains=["acme-shop.com"]))
    assert guard.check("is this the one on https://acme-shop.com/kettles/red ?").allowed
    assert guard.check("same as shop.acme-shop.com/p/12?").allowed
    assert guard.check("or the one on acme-shop.com.evil.io?").category == "spam"
    assert guard.check("see acme-shop.com/a acme-shop.com/b acme-shop.com/c").category == "spam"


def test_persona_abuse_words_add_to_the_list():
    guard = InputGuard(SafetySpec(abuse_words=["noob", "菜鸡"]))
    assert guard.check("you noob").category == "abuse"
    assert guard.check("N O O B").category == "abuse"
    assert guard.check("主播是菜鸡").category == "abuse"
    assert guard.check("is the noobie kit in stock?").allowed  # whole words only
    assert InputGuard(SafetySpec()).check("you noob").allowed


def test_personal_data_is_checked_not_guessed():
    guard = InputGuard(SafetySpec())
    assert guard.check("card 4111 1111 1111 1112 is not a card").allowed  # fails Luhn
    assert guard.check("my id is 110105194912310021").allowed  # wrong check digit
    assert guard.check("ＩＤ １１０１０５１９４９１２３１００２Ｘ").category == "personal_data"  # full-width
    assert guard.check("the sale ends 2024-05-17 at 10:30").allowed
    assert guard.check("call 010-12345678").category == "personal_data"
    assert guard.check("my ssn is 078-05-1120").category == "personal_data"


def test_a_blocked_message_is_logged_short_and_without_personal_data(caplog):
    guard = InputGuard(SafetySpec())
    with caplog.at_level(logging.INFO, logger="livehost.brain.safety"):
        verdict = guard.check("hi, I'm Jane, mail me at jane.doe@example.com about my order 55", "jane")
    assert verdict.category == "personal_data" and "@" not in verdict.reason
    line = caplog.records[-1].getMessage()
    assert "jane.doe" not in line and "[email]" in line
    preview = line.rsplit(": ", 1)[1]
    assert len(preview) <= 40


def test_gates_never_hide_a_match():
    """Each pattern only runs when its gate literals occur; the gate must never skip a text
    the pattern itself would match."""
    from livehost.brain.safety.abuse import RULES as ABUSE_RULES
    from livehost.brain.safety.attacks import RULES
    from livehost.brain.safety.normalize import normalize

    texts = [a.text for a in ATTACKS] + [a.user for a in ATTACKS if a.user] + BENIGN
    matched = 0
    for text in texts:
        forms = normalize(text)
        for r in (*RULES, *ABUSE_RULES):
            for pattern in r.patterns:
                for reading in forms.readings(r.view):
                    ungated = pattern.regex.search(reading) is not None
                    assert pattern.search(reading) == ungated, (pattern.regex.pattern[:60], text)
                    matched += ungated
    assert matched > len(ATTACKS)
