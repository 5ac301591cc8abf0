"""The brain's view of a persona's knowledge: for each question, either the catalogue's own
answer (facts asked for, a FAQ entry, an unknown product) or the facts the model may use and
the check every sentence it writes must pass."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from livehost.brain.brain import Lookup
from livehost.brain.knowledge.grounding import GroundingChecker
from livehost.brain.knowledge.intent import is_catalogue_question
from livehost.brain.knowledge.load import load_knowledge
from livehost.brain.knowledge.records import Knowledge, Product
from livehost.brain.knowledge.retrieval import Retrieval, Retriever
from livehost.brain.knowledge.templates import (
    price_answer,
    product_answer,
    spoken_price,
    stock_answer,
    unknown_product_answer,
)


# Every token of a turn's facts is evaluated before the first word of the reply (about 100
# tokens a second for the embedded model on one core), so the facts are few and terse: the
# products the viewer named, and a FAQ entry or passage only when it is close to the question.
MAX_PRODUCTS, MAX_NOTES, MAX_NOTE_CHARS = 2, 1, 200
NOTE_SCORE = 0.55


def product_fact(product: Product) -> str:
    stock = ("sold out" if product.sold_out else "in stock" if product.stock == "in_stock"
             else f"{product.stock} in stock")
    specs = ", ".join(f"{key} {value}" for key, value in product.specs[:3])
    parts = [f"{product.name}: {spoken_price(product)}", stock, specs]
    return "; ".join(p for p in parts if p)


def facts_of(retrieval: Retrieval) -> tuple[str, ...]:
    named = [hit for hit in retrieval.products if hit.how != "semantic"]
    facts = [product_fact(hit.item) for hit in named[:MAX_PRODUCTS]]
    notes = [f"{hit.item.question} {hit.item.answer}" for hit in retrieval.faqs if hit.score >= NOTE_SCORE]
    notes += [f"{hit.item.title}: {hit.item.text}" for hit in retrieval.passages if hit.score >= NOTE_SCORE]
    facts += [note[:MAX_NOTE_CHARS] for note in notes[:MAX_NOTES]]
    return tuple(facts)


class CatalogueKnowledge:
    def __init__(self, knowledge: Knowledge, retriever: Retriever | None = None) -> None:
        self.knowledge = knowledge
        self.retriever = retriever or Retriever(knowledge)
        self.checker = GroundingChecker(knowledge)

    @classmethod
    def load(cls, paths: Sequence[Path]) -> CatalogueKnowledge:
        return cls(load_knowledge(list(paths)))

    def vocabulary(self) -> list[str]:
        """The shop's own words (product names), for the speech recognizer to spell."""
        return [product.name for product in self.knowledge.products]

    def cached_answers(self) -> list[str]:
        """The lines worth synthesizing ahead: every FAQ answer, and each product's price and
        stock answers (a changed price or stock changes the text, so it is never stale)."""
        answers = [faq.answer for faq in self.knowledge.faqs]
        for product in self.knowledge.products:
            answers += [price_answer(product), stock_answer(product)]
        return answers

    def lookup(self, question: str) -> Lookup:
        retrieval = self.retriever.search(question)
        if retrieval.unknown_product is not None:
            return Lookup(answer=unknown_product_answer(retrieval.unknown_product),
                          reason=f"not in the catalogue: {retrieval.unknown_product}")
        product = retrieval.product
        faq = retrieval.answer.item if retrieval.answer is not None else None
        if product is not None and retrieval.named and is_catalogue_question(question):
            answer = product_answer(product, question, faq)
            return Lookup(answer=answer, cached=faq is not None and answer == faq.answer,
                          reason=f"catalogue: {product.id}")
        if faq is not None:
            return Lookup(answer=faq.answer, cached=True, reason="faq: " + faq.question[:60])

        def grounding(sentence: str) -> list[str]:
            return self.checker.check(sentence, retrieval).problems

        return Lookup(
            facts=facts_of(retrieval),
            grounding=grounding,
            # only for a product the viewer named: a guessed one would answer another question
            replacement=price_answer(product) if product is not None and retrieval.named else None,
            reason="",
        )
