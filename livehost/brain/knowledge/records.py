"""What the host knows, as loaded: products, FAQ entries and passages. Immutable; built by
``load.py`` and shared read-only by retrieval, grounding and the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

StockWord = Literal["in_stock", "out_of_stock"]


@dataclass(frozen=True, slots=True)
class FaqEntry:
    question: str
    answer: str
    product_id: str | None  # None: about the shop, not one product
    source: str  # the file it came from, as shown in errors


@dataclass(frozen=True, slots=True)
class Passage:
    title: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    price: Decimal
    currency: str  # ISO 4217, upper case
    stock: int | StockWord  # a count, or only whether there is any
    aliases: tuple[str, ...] = ()
    specs: tuple[tuple[str, str], ...] = ()  # (key, value) in catalogue order
    description: str = ""
    faq: tuple[FaqEntry, ...] = ()
    source: str = ""

    @property
    def sold_out(self) -> bool:
        return self.stock == 0 or self.stock == "out_of_stock"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def spec(self, key: str) -> str | None:
        return dict(self.specs).get(key)


@dataclass(frozen=True, slots=True)
class Knowledge:
    products: tuple[Product, ...] = ()
    faqs: tuple[FaqEntry, ...] = ()  # every entry, the products' own included
    passages: tuple[Passage, ...] = ()
    _by_id: dict[str, Product] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.products})

    def product(self, product_id: str) -> Product | None:
        return self._by_id.get(product_id)

    def __bool__(self) -> bool:
        return bool(self.products or self.faqs or self.passages)
