"""The catalogue's own answers, worded for speech (English). Everything they state is copied
from the product, so every answer passes the grounding check by construction:
"The blue enamel kettle is 34.90 euros, and we have 12 in stock."
"""

from __future__ import annotations

import re

from livehost.brain.knowledge.intent import Intent, asked_specs, catalogue_intents
from livehost.brain.knowledge.numbers import spoken_amount
from livehost.brain.knowledge.records import FaqEntry, Product
from livehost.brain.knowledge.text import content_words, normalize, plural, singular

_CURRENCY_WORDS = {"EUR": ("euro", "euros"), "USD": ("dollar", "dollars"), "GBP": ("pound", "pounds"),
                   "CNY": ("yuan", "yuan"), "JPY": ("yen", "yen")}
LOW_STOCK = 3  # at most this many left: say so, it is what a host would stress
FAQ_OVERLAP = 0.5  # of an FAQ question's content words found in the question: that entry
_GENERAL_SPECS = re.compile(r"\b(?:specs?|specifications?|details|dimensions)\b|规格|参数")


def spoken_price(product: Product) -> str:
    amount = spoken_amount(product.price)
    one, many = _CURRENCY_WORDS.get(product.currency, (product.currency, product.currency))
    return f"{amount} {one if amount == '1' else many}"


def spoken_name(product: Product) -> str:
    """"the blue enamel kettle": a sentence-case name is lowered to sit mid-sentence; a name
    with capitals inside ("Moka Express pot") is a brand and stays as written."""
    name = product.name
    first, _, rest = name.partition(" ")
    if first[:1].isupper() and first[1:].islower() and rest == rest.lower():
        name = first.lower() + (f" {rest}" if rest else "")
    return f"the {name}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _stock_clause(product: Product) -> str:
    if product.sold_out:
        return "but it's sold out right now"
    if product.stock == "in_stock":
        return "and it's in stock"
    if product.stock <= LOW_STOCK:
        return f"and there {_is_are(product.stock)} only {product.stock} left"
    return f"and we have {product.stock} in stock"


def _is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def price_answer(product: Product) -> str:
    return f"{_capital(spoken_name(product))} is {spoken_price(product)}, {_stock_clause(product)}."


def stock_answer(product: Product) -> str:
    name = spoken_name(product)
    if product.sold_out:
        return f"Sorry, {name} is sold out right now."
    if product.stock == "in_stock":
        return f"Yes, {name} is in stock."
    if product.stock <= LOW_STOCK:
        return f"Yes, but hurry: {name} is almost gone, there {_is_are(product.stock)} only {product.stock} left."
    return f"Yes, {name} is in stock: we have {product.stock}."


def spec_answer(product: Product, keys: list[str]) -> str:
    name = spoken_name(product)
    owner = f"{name}'" if name.endswith("s") else f"{name}'s"
    parts = [f"{key} {'are' if _plural(key) else 'is'} {product.spec(key)}" for key in keys]
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f", and its {parts[-1]}"
    return f"{_capital(owner)} {said}."


def _plural(key: str) -> bool:
    last = key.split()[-1] if key.split() else key
    return singular(last) != last


def matching_faq(product: Product, question: str) -> FaqEntry | None:
    """The product's FAQ entry whose question's words the question mostly repeats."""
    asked = set(content_words(question))
    best, best_overlap = None, 0.0
    for entry in product.faq:
        words = set(content_words(entry.question))
        overlap = len(words & asked) / len(words) if words else 0.0
        if overlap > best_overlap:
            best, best_overlap = entry, overlap
    return best if best_overlap >= FAQ_OVERLAP else None


def product_answer(product: Product, question: str, faq: FaqEntry | None = None) -> str:
    """The answer to ``question`` about ``product``, from the catalogue alone. ``faq``: an
    entry retrieval already matched (``Retrieval.answer``), used when it is this product's.

    In order: the specs the question names; the product's matching FAQ answer (after "sold
    out" when it asks for stock and there is none); stock; price; every spec when it asks for
    the specs in general; a spec whose value the question mentions ("induction"); else the
    price with the stock."""
    intents = catalogue_intents(question)
    specs = asked_specs(question, product)
    if Intent.SPEC in intents and specs:
        return spec_answer(product, specs)
    if faq is None or faq.product_id not in (None, product.id):
        faq = matching_faq(product, question)
    if faq is not None and Intent.PRICE not in intents:
        if Intent.STOCK in intents and product.sold_out:
            return f"{stock_answer(product)} {faq.answer}"
        return faq.answer
    if Intent.STOCK in intents and Intent.PRICE not in intents:
        return stock_answer(product)
    if Intent.SPEC in intents and Intent.PRICE not in intents:
        if product.specs and _GENERAL_SPECS.search(normalize(question)):
            return spec_answer(product, [key for key, _ in product.specs])
        return f"Sorry, I don't have that detail for {spoken_name(product)}."
    mentioned = [key for key, value in product.specs if set(content_words(value)) & set(content_words(question))]
    if mentioned and not intents:
        return spec_answer(product, mentioned)
    return price_answer(product)


def unknown_product_answer(name: str) -> str:
    """"Sorry, we don't carry toasters." ``name`` as retrieval reported it."""
    words = name.strip().split()
    while words and words[0].lower() in ("a", "an", "the", "any", "some"):
        words = words[1:]
    return f"Sorry, we don't carry {plural(' '.join(words)) if words else 'that'}."
