"""A persona's knowledge files → one ``Knowledge``: catalogues (.yaml, .yml, .csv) first, then
FAQ and policy documents (.md, .markdown, .txt), whose product sections need the products."""

from __future__ import annotations

from pathlib import Path

from livehost.brain.knowledge.catalogue import LoadedProduct, load_catalogue
from livehost.brain.knowledge.documents import load_document
from livehost.brain.knowledge.files import shown
from livehost.brain.knowledge.records import FaqEntry, Knowledge, Passage
from livehost.brain.knowledge.text import normalize, words
from livehost.errors import LivehostError

CATALOGUE_SUFFIXES = (".yaml", ".yml", ".csv")
DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt")


def load_knowledge(paths: list[Path]) -> Knowledge:
    for path in paths:
        if path.suffix.lower() not in CATALOGUE_SUFFIXES + DOCUMENT_SUFFIXES:
            raise LivehostError(
                f"{shown(path)}: unknown kind of knowledge file (catalogues: .yaml, .yml, .csv; "
                "documents: .md, .txt)"
            )
    loaded: list[LoadedProduct] = []
    faqs: list[FaqEntry] = []
    for path in (p for p in paths if p.suffix.lower() in CATALOGUE_SUFFIXES):
        catalogue = load_catalogue(path)
        loaded += catalogue.products
        faqs += catalogue.faqs
    _check_unique(loaded)
    products = tuple(item.product for item in loaded)
    faqs = [faq for p in products for faq in p.faq] + faqs

    by_words = {tuple(words(n)): p.id for p in products for n in (*p.names, p.id)}

    def product_for(heading: str) -> str | None:
        return by_words.get(tuple(words(heading)))

    passages: list[Passage] = []
    for path in (p for p in paths if p.suffix.lower() in DOCUMENT_SUFFIXES):
        document = load_document(path, product_for)
        faqs += document.faqs
        passages += document.passages
    return Knowledge(products, tuple(faqs), tuple(passages))


def _check_unique(loaded: list[LoadedProduct]) -> None:
    """Ids, and names/aliases once normalised, each belong to one product: otherwise "the blue
    kettle" would mean two things."""
    ids: dict[str, LoadedProduct] = {}
    names: dict[tuple[str, ...], LoadedProduct] = {}
    for item in loaded:
        product = item.product
        if product.id in ids:
            raise LivehostError(f"{item.where}: id: {product.id!r} is already used by {ids[product.id].where}")
        ids[product.id] = item
        for field, name in [("name", product.name)] + [(f"aliases[{i}]", a) for i, a in enumerate(product.aliases)]:
            key = tuple(words(name)) or (normalize(name),)
            other = names.get(key)
            if other is not None and other.product.id != product.id:
                raise LivehostError(
                    f"{item.where}: {field}: {name!r} already names {other.product.id} ({other.where})"
                )
            names[key] = item
