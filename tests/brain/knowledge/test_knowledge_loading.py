"""Catalogues (YAML, CSV) and documents (Markdown) → Knowledge, and one clear line per mistake."""

from decimal import Decimal

import pytest

from livehost.brain.knowledge.load import load_knowledge
from livehost.errors import LivehostError

KETTLE = """\
  - id: kettle-blue
    name: Blue enamel kettle
    aliases: [blue kettle, enamel kettle]
    price: 34.90
    currency: eur
    stock: 12
    specs: {capacity: 1.7 l, hob: "gas, induction", pieces: 1}
    description: A kettle.
    faq:
      - q: Does it work on induction?
        a: Yes, the base works on induction and gas hobs.
"""


def catalogue(*products: str, head: str = "") -> str:
    return head + "products:\n" + "".join(products)


def product(index: int, **fields: str) -> str:
    base = {"id": f"p{index}", "name": f"Thing {index}", "price": "10", "currency": "EUR", "stock": "1"}
    base.update(fields)
    lines = [f"{k}: {v}" for k, v in base.items()]
    return "  - " + "\n    ".join(lines) + "\n"


def test_yaml_catalogue_loads_typed_products(write):
    path = write("catalogue.yaml", catalogue(KETTLE, product(1, stock="out_of_stock"), product(2, stock="In stock"),
                                             head="faq:\n  - {q: 'Do you ship?', a: Yes.}\n"))
    knowledge = load_knowledge([path])
    kettle, sold_out, available = knowledge.products
    assert kettle.price == Decimal("34.90") and kettle.currency == "EUR" and kettle.stock == 12
    assert kettle.aliases == ("blue kettle", "enamel kettle")
    assert kettle.specs == (("capacity", "1.7 l"), ("hob", "gas, induction"), ("pieces", "1"))
    assert kettle.faq[0].product_id == "kettle-blue" and kettle.faq[0].source == "catalogue.yaml"
    assert sold_out.stock == "out_of_stock" and sold_out.sold_out
    assert available.stock == "in_stock" and not available.sold_out
    assert [f.question for f in knowledge.faqs] == ["Does it work on induction?", "Do you ship?"]
    assert knowledge.faqs[1].product_id is None
    assert knowledge.product("kettle-blue") is kettle and knowledge.product("nope") is None


def test_yaml_default_currency_applies_where_a_product_has_none(write):
    text = "currency: GBP\nproducts:\n  - {id: a, name: A, price: 1, stock: 0}\n  - {id: b, name: B, price: 2, stock: 0, currency: USD}\n"
    a, b = load_knowledge([write("c.yaml", text)]).products
    assert (a.currency, b.currency) == ("GBP", "USD")
    assert a.sold_out


def test_csv_catalogue_with_aliases_specs_and_a_byte_order_mark(write):
    text = (
        "\ufeffid,name,aliases,price,currency,stock,description,spec:capacity,spec:colour\n"
        'mug,Stoneware mug,"mug|cup; coffee mug",12.5,EUR,40,A mug.,350 ml,\n'
        "\n"
        "pot,Teapot,,29.50,EUR,out_of_stock,,1 l,white\n"
    )
    mug, pot = load_knowledge([write("shop.csv", text)]).products
    assert mug.aliases == ("mug", "cup", "coffee mug") and mug.price == Decimal("12.5")
    assert mug.specs == (("capacity", "350 ml"),)  # an empty cell is no spec
    assert pot.aliases == () and pot.stock == "out_of_stock" and pot.spec("colour") == "white"


def test_csv_with_semicolons_and_decimal_commas(write):
    text = "id;name;price;currency;stock\nkettle;Kettle;34,90;EUR;12\n"
    (kettle,) = load_knowledge([write("shop.csv", text)]).products
    assert kettle.price == Decimal("34.90")


def test_markdown_sections_become_passages_and_questions_faq_entries(write):
    shop = write("shop.yaml", catalogue(KETTLE))
    doc = write("faq.md", """\
# Our shop

Welcome to the shop.

## Shipping

We ship to the EU.
Orders leave the same day.

Q: How long does delivery take?
A: 2 to 4 working days,
in France.

**Q:** Do you ship abroad?
**A:** Only within the EU.

## Blue kettle

### Can it boil milk?
No, only water.

Really, only water.

## Returns

You have 30 days.
""")
    knowledge = load_knowledge([doc, shop])  # catalogues load first whatever the order
    assert [(p.title, p.text) for p in knowledge.passages] == [
        ("Our shop", "Welcome to the shop."),
        ("Shipping", "We ship to the EU. Orders leave the same day."),
        ("Returns", "You have 30 days."),
    ]
    general = [(f.question, f.answer, f.product_id) for f in knowledge.faqs if f.source == "faq.md"]
    assert general == [
        ("How long does delivery take?", "2 to 4 working days, in France.", None),
        ("Do you ship abroad?", "Only within the EU.", None),
        ("Can it boil milk?", "No, only water. Really, only water.", "kettle-blue"),  # its section names it
    ]


def test_long_sections_are_cut_into_passages_at_paragraphs(write):
    paragraph = " ".join(["word"] * 70)
    doc = write("policies.md", f"## Terms\n\n{paragraph}\n\n{paragraph}\n\n{paragraph}\n")
    passages = load_knowledge([doc]).passages
    assert len(passages) == 3 and {p.title for p in passages} == {"Terms"}


def test_demo_persona_knowledge(demo_knowledge):
    assert len(demo_knowledge.products) >= 6
    assert any(p.sold_out for p in demo_knowledge.products)
    assert all(p.currency == "EUR" and p.specs and p.faq for p in demo_knowledge.products)
    assert any(f.product_id is None for f in demo_knowledge.faqs) and demo_knowledge.passages


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("catalogue.yaml", catalogue(product(0), product(1), product(2, id="kettle-red", price="abc")),
         "catalogue.yaml: products[2] (kettle-red): price: not a number ('abc')"),
        ("catalogue.yaml", catalogue(product(0, price="-3")),
         "catalogue.yaml: products[0] (p0): price: must be a number of at least 0 (-3)"),
        ("catalogue.yaml", catalogue(product(0, stock="lots")),
         "catalogue.yaml: products[0] (p0): stock: expected a count of at least 0, or in_stock / out_of_stock ('lots')"),
        ("catalogue.yaml", catalogue(product(0, stock="-1")),
         "catalogue.yaml: products[0] (p0): stock: expected a count of at least 0, or in_stock / out_of_stock (-1)"),
        ("catalogue.yaml", catalogue(product(0, currency="euro")),
         "catalogue.yaml: products[0] (p0): currency: expected a 3-letter currency code such as EUR ('euro')"),
        ("catalogue.yaml", catalogue(product(0, name="''")), "catalogue.yaml: products[0] (p0): name: must not be empty"),
        ("catalogue.yaml", catalogue(product(0, colour="red")),
         "catalogue.yaml: products[0] (p0): colour: unknown field (check the spelling)"),
        ("catalogue.yaml", catalogue(product(0, id="'my kettle'")),
         "catalogue.yaml: products[0] (my kettle): id: expected letters, digits, '.', '-' or '_' ('my kettle')"),
        ("catalogue.yaml", "products:\n  - {name: A, price: 1, currency: EUR, stock: 1}\n",
         "catalogue.yaml: products[0]: id: required field is missing"),
        ("catalogue.yaml", catalogue(product(0, specs="{size: {w: 1}}")),
         "catalogue.yaml: products[0] (p0): specs: size: expected a value such as 1.7 l ({'w': 1})"),
        ("catalogue.yaml", catalogue(product(0, faq="[{q: 'Why'}]")),
         "catalogue.yaml: products[0] (p0): faq[0].a: required field is missing"),
        ("catalogue.yaml", "products:\n  - just a string\n",
         "catalogue.yaml: products[0]: expected a mapping of fields (id, name, price, ...)"),
        ("catalogue.yaml", "- a list\n", "catalogue.yaml: expected a mapping with products: [...]"),
        ("catalogue.yaml", "items: []\n", "catalogue.yaml: products: required field is missing"),
        ("catalogue.yaml", "products: [\n", "catalogue.yaml: line 2: not valid YAML"),
        ("catalogue.yaml", catalogue(product(0, id="a"), product(1, id="a")),
         "catalogue.yaml: products[1] (a): id: 'a' is already used by catalogue.yaml: products[0] (a)"),
        ("catalogue.yaml", catalogue(KETTLE, product(1, id="kettle-red", aliases="[Blue Kettles]")),
         "catalogue.yaml: products[1] (kettle-red): aliases[0]: 'Blue Kettles' already names kettle-blue"),
        ("shop.csv", "id,name,price,currency,stock\na,A,1,EUR,1\nb,B,abc,EUR,1\n",
         "shop.csv: row 3 (b): price: not a number ('abc')"),
        ("shop.csv", "id,name,price,currency,stock\na,A,,EUR,1\n", "shop.csv: row 2 (a): price: required field is missing"),
        ("shop.csv", "id,name,price,currency,stock,colour\n", "shop.csv: unknown column 'colour'"),
        ("shop.csv", "id,name,price\n", "shop.csv: missing column(s) currency, stock"),
        ("shop.csv", "id,name,price,currency,stock\na,A,1,EUR,1,extra\n", "shop.csv: row 2: more cells than columns"),
        ("faq.md", "## Shipping\n\nA: Yes.\n", "faq.md: line 3: an answer (A:) without a question (Q:) before it"),
        ("faq.md", "Q: Do you ship?\n\n## Next\n", "faq.md: line 1: question 'Do you ship?' has no answer (an A: line)"),
        ("faq.md", "### Do you ship?\n### Next?\nYes.\n",
         "faq.md: line 1: question 'Do you ship?' has no answer (a paragraph under the heading)"),
        ("notes.pdf", "", "notes.pdf: unknown kind of knowledge file"),
    ],
)
def test_each_mistake_is_one_line_naming_file_place_and_field(write, name, text, message):
    with pytest.raises(LivehostError) as error:
        load_knowledge([write(name, text)])
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


def test_duplicates_across_files_name_both(write):
    a = write("a.yaml", catalogue(product(0, id="kettle")))
    b = write("b.csv", "id,name,price,currency,stock\nkettle,Other,1,EUR,1\n")
    with pytest.raises(LivehostError, match=r"^b\.csv: row 2 \(kettle\): id: 'kettle' is already used by a\.yaml: products\[0\]"):
        load_knowledge([a, b])


def test_unreadable_files(write, tmp_path):
    with pytest.raises(LivehostError, match="^missing.yaml: file does not exist$"):
        load_knowledge([tmp_path / "missing.yaml"])
    path = tmp_path / "latin1.md"
    path.write_bytes("## Caf\xe9\n".encode("latin-1"))
    with pytest.raises(LivehostError, match="^latin1.md: not UTF-8 text$"):
        load_knowledge([path])
