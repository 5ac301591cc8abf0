"""Grounding: the catalogue's true numbers pass however they are written; invented prices,
stock, specs and products do not."""

import pytest

from livehost.brain.knowledge.grounding import GroundingChecker
from livehost.brain.knowledge.records import Knowledge, Product
from livehost.brain.knowledge.retrieval import Hit, Retrieval


@pytest.fixture(scope="module")
def checker(demo_knowledge):
    return GroundingChecker(demo_knowledge)


@pytest.fixture(scope="module")
def kettle(lexical):
    retrieval = lexical.search("how much is the blue kettle?")
    assert [h.item.id for h in retrieval.products] == ["kettle-blue"]
    return retrieval


@pytest.mark.parametrize(
    "sentence",
    [
        "The blue enamel kettle is 34.90 euros, and we have 12 in stock.",
        "It's €34,90!",
        "Only 34.9 EUR.",
        "It costs 34 euros 90.",
        "That's thirty-four euros and 90 cents.",
        "We have twelve left.",
        "It holds 1.7 l and weighs 1,1 kg.",
        "It holds 1.7 litres.",
        "It works on gas, electric and induction hobs.",
        "Thanks anna92, it's 34.90 euros!",
        "It's a lovely kettle, and the one I use at home.",
        "这个水壶34.90欧元，有十二个。",
    ],
)
def test_true_facts_pass_in_any_format(checker, kettle, sentence):
    assert checker.check(sentence, kettle).ok, checker.check(sentence, kettle).problems


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("It's only 29.90 euros today!", "price '29.90 euros' is not in the catalogue (Blue enamel kettle 34.90 EUR)"),
        ("It's $34.90.", "price '$34.90' is not in the catalogue"),  # right number, wrong currency
        ("It's 12 euros.", "price '12 euros' is not in the catalogue"),  # the stock is no price
        ("We have 15 in stock.", "number '15' is not in the retrieved facts"),
        ("We have fifteen left.", "number 'fifteen' is not in the retrieved facts"),
        ("It's sold out, sorry.", "says sold out, but Blue enamel kettle is in stock"),
        ("It holds 2 litres.", "number '2' is not in the retrieved facts"),
        ("Our toaster is great.", "'toaster' is not a product in the catalogue"),
        ("The stoneware mug set is 34.90 euros.", "price '34.90 euros' is not in the catalogue (Stoneware mug set 24 EUR)"),
    ],
)
def test_invented_facts_are_caught(checker, kettle, sentence, problem):
    result = checker.check(sentence, kettle)
    assert not result.ok and any(p.startswith(problem) for p in result.problems), result.problems


def test_a_named_product_is_checked_against_its_own_facts(checker, kettle):
    assert checker.check("The stoneware mug set is 24 euros, and we have 40.", kettle).ok
    assert checker.check("The cast iron skillet is 26 cm across and fine in the oven up to 260 °C.", kettle).ok


def test_stock_claims_follow_the_stock(checker, lexical):
    teapot = lexical.search("is the glass teapot in stock?")
    assert checker.check("The glass teapot is sold out right now.", teapot).ok
    assert checker.check("It isn't in stock at the moment.", teapot).ok
    assert checker.check("We expect it back in stock in about 2 weeks.", teapot).ok
    assert checker.check("It's in stock!", teapot).problems == ["says in stock, but Glass teapot with infuser is sold out"]
    assert not checker.check("It's not sold out.", teapot).ok
    assert not checker.check("It'll be back in about 3 weeks.", teapot).ok


def test_passage_and_faq_numbers_count(checker, lexical):
    shipping = lexical.search("how long does shipping take and what does it cost?")
    assert checker.check("Delivery takes 2 to 4 working days in France, 3 to 7 elsewhere.", shipping).ok
    assert checker.check("Orders before 2 pm leave the same day; shipping is €4.90, free over €50.", shipping).ok
    assert not checker.check("Delivery takes 1 to 2 days.", shipping).ok
    assert not checker.check("Orders before 3 pm leave the same day.", shipping).ok
    assert not checker.check("Shipping is free over €40.", shipping).ok
    returns = lexical.search("what is your returns policy?")
    assert checker.check("You can return it within 30 days.", returns).ok
    assert not checker.check("You can return it within 14 days.", returns).ok


@pytest.mark.parametrize("sentence", ["Shipping takes 2-3 days to Germany.", "It arrives in 3 to 4 days.",
                                      "Delivery is between 2 and 7 working days.", "送货需要2到3天。"])
def test_a_range_made_of_numbers_from_different_facts_is_caught(checker, lexical, sentence):
    # the facts: "2 to 4 working days in France, 3 to 7 elsewhere": each end is true alone
    shipping = lexical.search("how long does shipping take?")
    result = checker.check(sentence, shipping)
    assert not result.ok and any(p.startswith("range ") for p in result.problems), result.problems


def test_the_facts_own_ranges_pass_however_joined(checker, lexical):
    shipping = lexical.search("how long does shipping take?")
    for sentence in ("Delivery takes 2-4 working days in France.", "Elsewhere in the EU it's 3 – 7 days.",
                     "Between 3 and 7 days outside France.", "法国2到4个工作日。"):
        assert checker.check(sentence, shipping).ok, sentence


def test_saying_the_shop_does_not_carry_something_is_fine(checker, lexical):
    toasters = lexical.search("do you sell toasters?")
    assert checker.check("Sorry, we don't carry toasters.", toasters).ok
    assert not checker.check("Our toasters are 19.99 euros.", toasters).ok


def test_stock_without_any_product_is_a_problem(checker):
    assert checker.check("Everything is in stock!", Retrieval("hi")).problems == [
        "states a stock level without a catalogue product it is about"
    ]


def test_numbers_in_a_products_name_are_not_claims():
    from decimal import Decimal

    pot = Product(id="pot", name="2-cup teapot", price=Decimal(15), currency="EUR", stock=3)
    checker = GroundingChecker(Knowledge((pot,)))
    retrieval = Retrieval("teapot", (Hit(pot, 1.0, "name"),))
    assert checker.check("The 2-cup teapot is 15 euros, only 3 left.", retrieval).ok
    assert not checker.check("It makes 2 cups.", retrieval).ok
