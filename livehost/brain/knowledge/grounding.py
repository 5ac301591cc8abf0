"""The grounding rule: a reply may state a price, a stock level, a number or a product only if
the knowledge says it.

For one sentence and the retrieval it answers:

- Its subject: the catalogue products it names (any product, retrieved or not); if it names
  none, the retrieved products.
- Facts: the subject's price (money, in its currency), stock count, and the numbers in its
  specs, description and FAQ answers; the numbers in the retrieved FAQ entries (the shop's, or
  the subject's) and passages ("returns within 30 days"). Clock times compare as times
  ("9 am" is "9:00").
- Every money amount must be a money fact (value and currency), every other number a fact,
  however it is written (34.9 = 34,90 = €34.90 = "34 euros 90"; twelve = 12). Numbers
  inside a product's own name do not count. A range ("2-3 days", "between 20 and 30 euros")
  must be a range of the facts, not two numbers taken from different ones.
- "sold out" / "in stock" must agree with the subject's stock.
- A product noun the knowledge never uses ("our toasters") is an invented product, unless
  the sentence says the shop does not carry it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from livehost.brain.knowledge.matching import Matcher
from livehost.brain.knowledge.numbers import (
    Quantity,
    quantities,
    ranges,
    same_number,
    spoken_amount,
)
from livehost.brain.knowledge.records import FaqEntry, Knowledge, Product
from livehost.brain.knowledge.retrieval import Retrieval
from livehost.brain.knowledge.text import normalize

_NEGATED = r"(?:\b(?:not|never|no longer)\s+|n't\s+)(?:\w+\s+)?"
_SOLD_OUT = re.compile(r"\b(?:sold out|out of stock|unavailable)\b|售罄|卖完|卖光|缺货|没货|无货")
_IN_STOCK = re.compile(r"(?<!back )\bin stock\b|有货|现货")
_NEGATION_BEFORE = re.compile(_NEGATED + r"$")
_DOES_NOT_CARRY = re.compile(
    r"\b(?:do not|don't|doesn't|does not|no longer|never|not)\s+(?:\w+\s+)?(?:carry|sell|stock|have|offer)\b"
    r"|\bnot in (?:our|the) (?:shop|catalogue|catalog|store)\b|不卖|没有卖|没有这"
)


@dataclass(frozen=True, slots=True)
class GroundingResult:
    ok: bool
    problems: list[str] = field(default_factory=list)  # one line each, for logs and traces


@dataclass(slots=True)
class _Facts:
    money: list[Quantity] = field(default_factory=list)
    numbers: list[tuple[Decimal, str | None]] = field(default_factory=list)  # (value, unit)
    times: list[Decimal] = field(default_factory=list)
    ranges: list[tuple[Decimal, Decimal]] = field(default_factory=list)

    def add_text(self, text: str) -> None:
        text = normalize(text)
        self.ranges += [(low, high) for low, high, _ in ranges(text)]
        for q in quantities(text):
            if q.kind == "money":
                self.money.append(q)
                self.numbers.append((q.value, None))
            elif q.kind == "time":
                self.times.append(q.value)
                hour = int(q.value) // 60
                self.numbers += [(Decimal(hour), None), (Decimal(hour % 12 or 12), None)]  # "until 6"
            else:
                self.numbers.append((q.value, q.unit))

    def add_product(self, product: Product) -> None:
        self.money.append(Quantity(product.price, "money", "", frozenset({product.currency})))
        self.numbers.append((product.price, None))
        if isinstance(product.stock, int):
            self.numbers.append((Decimal(product.stock), None))
        for key, value in product.specs:
            self.add_text(f"{key} {value}")
        self.add_text(product.description)
        for faq in product.faq:
            self.add_text(faq.answer)

    def has_money(self, q: Quantity) -> bool:
        return any(
            same_number(q.value, m.value) and (not q.currencies or not m.currencies or q.currencies & m.currencies)
            for m in self.money
        )

    def has_number(self, q: Quantity) -> bool:
        """Same value, and the same unit where both say one."""
        return any(same_number(q.value, n) and (q.unit is None or u is None or q.unit == u) for n, u in self.numbers)

    def has_time(self, value: Decimal) -> bool:
        return value in self.times

    def has_range(self, low: Decimal, high: Decimal) -> bool:
        return any(same_number(low, a) and same_number(high, b) for a, b in self.ranges)


class GroundingChecker:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.matcher = Matcher(knowledge)

    def check(self, sentence_text: str, retrieval: Retrieval) -> GroundingResult:
        text = normalize(sentence_text)
        mentions = self.matcher.mentions(text)
        named = list(dict.fromkeys(i for m in mentions for i in m.product_ids))
        subject = [self.knowledge.product(i) for i in named] or [h.item for h in retrieval.products]
        subject_ids = {p.id for p in subject}

        facts = _Facts()
        for product in subject:
            facts.add_product(product)
        entries: list[FaqEntry] = [h.item for h in retrieval.faqs]
        if retrieval.answer is not None:
            entries.append(retrieval.answer.item)
        for entry in entries:
            if entry.product_id is None or entry.product_id in subject_ids:
                facts.add_text(entry.answer)
        for hit in retrieval.passages:
            facts.add_text(hit.item.text)

        masked = text
        for m in mentions:  # "the 2-cup teapot": the 2 is the name, not a claim
            masked = masked[: m.start] + " " * (m.end - m.start) + masked[m.end :]
        problems = [p for q in quantities(masked) if (p := self._number_problem(q, facts, subject))]
        problems += [f"range {said!r} is not in the retrieved facts"
                     for low, high, said in ranges(masked) if not facts.has_range(low, high)]
        problems += self._stock_problems(text, subject)
        if not _DOES_NOT_CARRY.search(text):
            problems += [
                f"{word!r} is not a product in the catalogue" for word, _, _ in self.matcher.unknown_nouns(text)
            ]
        return GroundingResult(not problems, problems)

    @staticmethod
    def _number_problem(q: Quantity, facts: _Facts, subject: list[Product]) -> str | None:
        if q.kind == "money":
            if facts.has_money(q):
                return None
            prices = ", ".join(f"{p.name} {spoken_amount(p.price)} {p.currency}" for p in subject)
            return f"price {q.text!r} is not in the catalogue" + (f" ({prices})" if prices else "")
        if q.kind == "time":
            return None if facts.has_time(q.value) else f"time {q.text!r} is not in the knowledge"
        return None if facts.has_number(q) else f"number {q.text!r} is not in the retrieved facts"

    @staticmethod
    def _stock_problems(text: str, subject: list[Product]) -> list[str]:
        claims = set()
        for pattern, claim, opposite in ((_SOLD_OUT, "out", "in"), (_IN_STOCK, "in", "out")):
            for m in pattern.finditer(text):
                claims.add(opposite if _NEGATION_BEFORE.search(text[: m.start()]) else claim)
        if not claims:
            return []
        if not subject:
            return ["states a stock level without a catalogue product it is about"]
        problems = []
        if "out" in claims and not any(p.sold_out for p in subject):
            problems.append(f"says sold out, but {subject[0].name} is in stock")
        if "in" in claims and all(p.sold_out for p in subject):
            problems.append(f"says in stock, but {subject[0].name} is sold out")
        return problems
