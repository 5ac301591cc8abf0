"""Templates: the catalogue's answers, spoken — and every one passes the grounding check."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livehost.brain.knowledge.grounding import GroundingChecker
from livehost.brain.knowledge.records import FaqEntry, Knowledge, Product
from livehost.brain.knowledge.retrieval import Hit, Retrieval
from livehost.brain.knowledge.templates import (
    product_answer,
    spoken_name,
    spoken_price,
    unknown_product_answer,
)
from livehost.brain.sentences import split_sentences


def test_price_and_stock(demo_knowledge):
    kettle = demo_knowledge.product("kettle-blue")
    assert product_answer(kettle, "how much is it?") == "The blue enamel kettle is 34.90 euros, and we have 12 in stock."
    assert product_answer(kettle, "is it in stock?") == "Yes, the blue enamel kettle is in stock: we have 12."
    teapot = demo_knowledge.product("teapot-glass")
    assert product_answer(teapot, "price?") == "The glass teapot with infuser is 29.50 euros, but it's sold out right now."
    # Asked for stock, sold out, and its FAQ says when it comes back: both.
    assert product_answer(teapot, "is it in stock?") == (
        "Sorry, the glass teapot with infuser is sold out right now. We expect new stock in about 2 weeks."
    )
    knife = demo_knowledge.product("knife-chef")
    assert product_answer(knife, "how much?") == "The chef's knife is 59 euros, and it's in stock."
    board = demo_knowledge.product("board-oak")
    assert product_answer(board, "多少钱") == "The oak cutting board is 39.90 euros, and there are only 3 left."
    assert product_answer(board, "in stock?") == "Yes, but hurry: the oak cutting board is almost gone, there are only 3 left."
    last = Product(id="x", name="Vase", price=Decimal(5), currency="EUR", stock=1)
    assert product_answer(last, "how much?") == "The vase is 5 euros, and there is only 1 left."


def test_specs_faq_and_what_the_catalogue_does_not_say(demo_knowledge):
    kettle = demo_knowledge.product("kettle-blue")
    assert product_answer(kettle, "how big is it?") == "The blue enamel kettle's capacity is 1.7 l."
    assert product_answer(kettle, "capacity and weight?") == (
        "The blue enamel kettle's capacity is 1.7 l, and its weight is 1.1 kg."
    )
    assert product_answer(kettle, "does the kettle work on induction?") == kettle.faq[0].answer
    mugs = demo_knowledge.product("mug-set")
    assert product_answer(mugs, "what colours?") == "The stoneware mug set's colours are sand, sage, slate and cream."
    assert product_answer(mugs, "what is it made of?") == "Sorry, I don't have that detail for the stoneware mug set."
    skillet = demo_knowledge.product("skillet-cast-iron")
    assert product_answer(skillet, "does it do induction?") == "The cast iron skillet's hob is all hobs, induction included."


def test_a_retrieved_faq_entry_is_used_only_for_its_product(demo_knowledge):
    kettle, mugs = demo_knowledge.product("kettle-blue"), demo_knowledge.product("mug-set")
    assert product_answer(kettle, "dishwasher?", kettle.faq[2]) == kettle.faq[2].answer
    assert product_answer(kettle, "dishwasher?", mugs.faq[1]) != mugs.faq[1].answer


def test_spoken_forms():
    def product(name, price, currency):
        return Product(id="x", name=name, price=Decimal(price), currency=currency, stock=1)

    assert spoken_price(product("A", "1", "EUR")) == "1 euro"
    assert spoken_price(product("A", "2.5", "USD")) == "2.50 dollars"
    assert spoken_price(product("A", "10.00", "GBP")) == "10 pounds"
    assert spoken_price(product("A", "99", "CNY")) == "99 yuan"
    assert spoken_price(product("A", "7", "CHF")) == "7 CHF"
    assert spoken_name(product("Blue enamel kettle", "1", "EUR")) == "the blue enamel kettle"
    assert spoken_name(product("Moka Express pot", "1", "EUR")) == "the Moka Express pot"  # a brand


def test_unknown_product_answer():
    assert unknown_product_answer("toasters") == "Sorry, we don't carry toasters."
    assert unknown_product_answer("a rice cooker") == "Sorry, we don't carry rice cookers."


# Generated catalogues: whatever the product, the template's answer is grounded.
_WORDS = ["blue", "oak", "glass", "steel", "Nordic", "classic", "mini", "2-cup", "large", "travel"]
_HEADS = ["kettle", "lamp", "mug", "board", "teapot", "vase", "skillet", "blanket", "speaker"]
_SPECS = st.sampled_from(["capacity", "weight", "size", "diameter", "material", "colours", "power", "blade length", "pieces"])
_SPEC_VALUES = st.one_of(
    st.builds(lambda n, u: f"{n} {u}", st.decimals(min_value=0, max_value=999, places=1), st.sampled_from(["l", "kg", "cm", "ml", "W", ""])),
    st.sampled_from(["solid oak", "red, green and blue", "gas, induction", "40 x 28 cm", "up to 260 °C"]),
)
_NUMBERED = st.builds(lambda n, w: f"It comes with {n} {w}.", st.integers(0, 500), st.sampled_from(["spare parts", "years of warranty", "lids"]))


@st.composite
def products(draw):
    words = draw(st.lists(st.sampled_from(_WORDS), max_size=2, unique=True))
    name = " ".join([*words, draw(st.sampled_from(_HEADS))]).capitalize()
    specs = draw(st.dictionaries(_SPECS, _SPEC_VALUES.map(str.strip).filter(bool), max_size=4))
    faq = draw(st.lists(st.tuples(st.sampled_from(["Is it heavy?", "Does it come boxed?", "How long does it last?"]),
                                  st.one_of(_NUMBERED, st.just("Yes, it does."))), max_size=2, unique_by=lambda f: f[0]))
    return Product(
        id="p1", name=name,
        price=draw(st.decimals(min_value=0, max_value=5000, places=2)),
        currency=draw(st.sampled_from(["EUR", "USD", "GBP", "CNY", "JPY", "CHF", "SEK"])),
        stock=draw(st.one_of(st.integers(0, 500), st.sampled_from(["in_stock", "out_of_stock"]))),
        aliases=tuple(draw(st.lists(st.sampled_from(["the gadget", f"{words[0]} thing" if words else "thing"]), max_size=1))),
        specs=tuple(specs.items()),
        description=draw(st.one_of(st.just(""), _NUMBERED)),
        faq=tuple(FaqEntry(q, a, "p1", "generated") for q, a in faq),
    )


_QUESTIONS = st.sampled_from([
    "how much is it?", "price?", "is it in stock?", "do you still have it?", "how big is it?",
    "how heavy is it?", "what colours?", "what's the capacity?", "tell me the specs", "what is it made of?",
    "is it heavy?", "does it come boxed?", "how long does it last?", "多少钱", "有货吗", "any good?",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(products(), _QUESTIONS)
def test_every_template_answer_passes_grounding(product, question):
    checker = GroundingChecker(Knowledge((product,), product.faq))
    retrieval = Retrieval(question, (Hit(product, 1.0, "name"),))
    answer = product_answer(product, question)
    for sentence in split_sentences(answer):
        result = checker.check(sentence, retrieval)
        assert result.ok, (answer, result.problems)


@given(st.sampled_from(["toasters", "a blender", "rice cooker", "waffle maker"]))
def test_unknown_product_answers_pass_grounding(thing):
    checker = GroundingChecker(Knowledge())
    assert checker.check(unknown_product_answer(thing), Retrieval("?", unknown_product=thing)).ok
