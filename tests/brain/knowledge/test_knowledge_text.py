"""The text layer: numbers however written, product names however typed, what a question asks."""

from decimal import Decimal

import pytest

from livehost.brain.knowledge.intent import (
    Intent,
    asked_specs,
    catalogue_intents,
    is_catalogue_question,
)
from livehost.brain.knowledge.matching import Matcher
from livehost.brain.knowledge.numbers import quantities
from livehost.brain.knowledge.text import normalize, plural, singular


def values(text):
    return [(format(q.value.normalize(), "f"), q.kind) for q in quantities(normalize(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It is 34.90", [("34.9", "number")]),
        ("It is 34,90", [("34.9", "number")]),
        ("1,500 sold", [("1500", "number")]),
        ("€34.90 or 34.90 € or EUR 34.90", [("34.9", "money")] * 3),
        ("34.90 euros, 34 euros 90, 34 euros and 90 cents", [("34.9", "money")] * 3),
        ("$12.99, us$12.99, 12.99 dollars", [("12.99", "money")] * 3),
        ("£5 or 5 quid", [("5", "money")] * 2),
        ("90 cents", [("0.9", "money")]),
        ("5 euros 2 days", [("5", "money"), ("2", "number")]),
        ("twelve left, thirty-four, one hundred and five, a dozen", [("12", "number"), ("34", "number"), ("105", "number"), ("12", "number")]),
        ("two and three", [("2", "number"), ("3", "number")]),
        ("the blue one, someone, often", []),
        ("open 9:00-18:00", [("540", "time"), ("1080", "time")]),
        ("from 9 am to 6 p.m.", [("540", "time"), ("1080", "time")]),
        ("3-5 days, 20%, 1.7 l", [("3", "number"), ("5", "number"), ("20", "number"), ("1.7", "number")]),
        ("thanks anna92", []),
        ("三十四块九，有十二个，两个，一下", [("34.9", "money"), ("12", "number"), ("2", "number")]),
        ("34.90欧元，99元，二〇二四年", [("34.9", "money"), ("99", "money"), ("2024", "number")]),
        ("１２ in stock", [("12", "number")]),  # full-width digits
    ],
)
def test_quantities_however_written(text, expected):
    assert values(text) == expected


def test_money_knows_its_currency_and_numbers_their_unit():
    euro, dollar, yuan, capacity, years = quantities(normalize("€5, $5, 5元, 1.7 litres, a 2-year warranty"))
    assert euro.currencies == {"EUR"} and "USD" in dollar.currencies and yuan.currencies == {"CNY"}
    assert (capacity.value, capacity.unit) == (Decimal("1.7"), "l") and years.unit == "year"


def test_singular_and_plural():
    assert [singular(w) for w in ("kettles", "knives", "dishes", "glass", "cherries", "kettle's", "boxes")] == [
        "kettle", "knife", "dish", "glass", "cherry", "kettle", "box"]
    assert [plural(w) for w in ("toaster", "frying pan", "toasters", "box", "battery")] == [
        "toasters", "frying pans", "toasters", "boxes", "batteries"]


@pytest.fixture(scope="module")
def matcher(demo_knowledge):
    return Matcher(demo_knowledge)


def named(matcher, text):
    return [(m.product_ids, m.how) for m in matcher.mentions(normalize(text))]


def test_names_and_aliases_match_whole_words_whatever_the_case_punctuation_or_plural(matcher):
    assert named(matcher, "How much are the BLUE-KETTLES?!") == [(("kettle-blue",), "alias")]
    assert named(matcher, "the blue enamel kettle") == [(("kettle-blue",), "name")]  # longest wins
    assert named(matcher, "chopping boards") == [(("board-oak",), "alias")]
    assert named(matcher, "a chef's knife") == [(("knife-chef",), "name")]
    assert named(matcher, "kettlebells and blueberries") == []


def test_a_head_word_names_every_product_it_ends(matcher):
    assert named(matcher, "is the kettle any good") == [(("kettle-blue",), "word")]
    assert named(matcher, "how much are the mugs") == [(("mug-set",), "word")]  # "set" is packaging
    assert named(matcher, "teapot?") == [(("teapot-glass",), "word")]  # "with infuser" is not the head
    assert named(matcher, "a pan") == [(("skillet-cast-iron",), "word")]  # from the alias "frying pan"


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("Do you sell toasters?", "toasters"),
        ("do you guys carry waffle makers", "waffle makers"),
        ("do you guys carry waffle irons", None),  # "iron" is in the knowledge (cast iron): maybe
        ("How much is the blender?", "blender"),
        ("price of a rice cooker please", "rice cooker"),
        ("do you have a toaster with 4 slots?", "toaster"),  # "have" needs a product noun
        ("toaster price?", "toaster"),  # no question form, but a price question and a product noun
        ("How much is the kettle?", None),  # named
        ("do you sell tea?", None),  # the knowledge mentions tea: maybe it is sold
        ("do you have a favourite colour?", None),  # "have" and no product noun
        ("how much is shipping?", None),
        ("do you sell gift cards?", None),
        ("hello!", None),
    ],
)
def test_unknown_phrase(matcher, question, thing):
    assert matcher.unknown_phrase(question) == thing


def test_unknown_nouns_skip_properties(matcher):
    words = [w for w, _, _ in matcher.unknown_nouns(normalize("our toaster is microwave-safe, the blender too"))]
    assert words == ["toaster", "blender"]


@pytest.mark.parametrize(
    ("question", "intents"),
    [
        ("How much is the kettle?", {Intent.PRICE}),
        ("is the teapot in stock?", {Intent.STOCK}),
        ("do you still have the mugs", {Intent.STOCK}),
        ("how big is the pan?", {Intent.SPEC}),
        ("how much does it hold?", {Intent.SPEC}),
        ("what's the price and is it available?", {Intent.PRICE, Intent.STOCK}),
        ("这个水壶多少钱？", {Intent.PRICE}),
        ("还有货吗", {Intent.STOCK}),
        ("容量多大", {Intent.SPEC}),
        ("you look great today", set()),
        ("does it whistle?", set()),
    ],
)
def test_catalogue_intents(question, intents):
    assert catalogue_intents(question) == intents
    assert is_catalogue_question(question) == bool(intents)


def test_asked_specs_by_key_or_by_what_it_means(demo_knowledge):
    kettle = demo_knowledge.product("kettle-blue")
    assert asked_specs("what's the capacity?", kettle) == ["capacity"]
    assert asked_specs("how heavy is it", kettle) == ["weight"]
    assert asked_specs("how big is it", kettle) == ["capacity"]
    assert asked_specs("容量多大", kettle) == ["capacity"]
    assert asked_specs("does it whistle", kettle) == []
