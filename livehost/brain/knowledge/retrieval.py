"""Which products, FAQ entries and passages a chat question is about.

1. Products named in the question (name or alias as whole words, plurals folded; or a name's
   head word, "the kettle") are the products, score 1.0 (name/alias) or 0.8-0.95 (head word,
   more for more of the name's words present). Nothing else is added to them.
2. Otherwise the embedder ranks products by meaning; those at least ``match_threshold`` close
   count.
3. FAQ entries and passages are ranked by meaning. When products are named, other products'
   FAQ entries are left out.
4. ``answer``: the FAQ entry that answers the question outright (the answer cache): at least
   ``faq_threshold`` close, and about the shop or a product the question names — "is it
   dishwasher safe?" alone does not say which product "it" is.
5. ``unknown_product``: no product named, and the question asks for a thing (``Matcher.
   unknown_phrase``: "do you sell toasters?") that no word of the knowledge mentions and no
   product's names are close to in meaning (``alias_threshold``: "cups" is near "mug set").
   Then no product is returned.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

import numpy as np

from livehost.brain.knowledge.embedding import Embedder, default_embedder
from livehost.brain.knowledge.matching import Matcher
from livehost.brain.knowledge.records import FaqEntry, Knowledge, Passage, Product
from livehost.brain.knowledge.text import content_words, normalize

log = logging.getLogger(__name__)
T = TypeVar("T")
HitHow = Literal["name", "alias", "word", "semantic"]


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    item: T
    score: float  # 1.0 for a product named exactly; a cosine similarity for "semantic"
    how: HitHow


@dataclass(frozen=True, slots=True)
class Retrieval:
    query: str
    products: tuple[Hit[Product], ...] = ()
    faqs: tuple[Hit[FaqEntry], ...] = ()
    passages: tuple[Hit[Passage], ...] = ()
    answer: Hit[FaqEntry] | None = None
    unknown_product: str | None = None  # the thing asked for, as written ("toasters")

    @property
    def product(self) -> Product | None:
        """The one product the question is about, when the ranking says so unambiguously."""
        if not self.products or (len(self.products) > 1 and self.products[1].score >= self.products[0].score):
            return None
        return self.products[0].item

    @property
    def named(self) -> bool:
        """Whether the question names its products (rather than the embedder guessing them)."""
        return any(h.how != "semantic" for h in self.products)


class Retriever:
    """Build once per knowledge (embeds every product, FAQ entry and passage); ``search`` is
    then one query embedding plus a few dot products, and safe to call from any thread."""

    def __init__(self, knowledge: Knowledge, embedder: Embedder | None = None, cache_dir: Path | None = None) -> None:
        """``cache_dir`` (e.g. the persona's ``.cache``): keep the knowledge's embeddings there,
        keyed by the texts and the model, so a restart with the same knowledge skips them."""
        self.knowledge = knowledge
        self.embedder = embedder or default_embedder()
        self.matcher = Matcher(knowledge)
        names = {p.id: p.name for p in knowledge.products}
        texts = [_product_text(p) for p in knowledge.products]
        # A product's entry carries its name: "does it whistle?" is about the kettle.
        texts += [f"{names[f.product_id]}: {f.question}" if f.product_id in names else f.question
                  for f in knowledge.faqs]
        texts += [f"{p.title}: {p.text}" for p in knowledge.passages]
        texts += [", ".join(p.names) for p in knowledge.products]
        vectors = _embed(self.embedder, texts, cache_dir)
        n_p, n_f, n_s = len(knowledge.products), len(knowledge.faqs), len(knowledge.passages)
        self._products = vectors[:n_p]
        self._faqs = vectors[n_p : n_p + n_f]
        self._passages = vectors[n_p + n_f : n_p + n_f + n_s]
        self._names = vectors[n_p + n_f + n_s :]

    def search(self, query: str, k: int = 3) -> Retrieval:
        text = normalize(query)
        if not text.strip():
            return Retrieval(query)
        vector = self.embedder.encode([query])[0]
        threshold = self.embedder.match_threshold
        products = self._named(text)[:k]
        unknown = None
        if not products:
            unknown = self.matcher.unknown_phrase(query)
            if unknown is not None and self._close_to_a_product(unknown):
                unknown = None
            if unknown is None:
                products = _top(self.knowledge.products, self._products @ vector, k, threshold)
        named = {h.item.id for h in products if h.how != "semantic"}
        faqs = self.knowledge.faqs
        faq_scores = self._faqs @ vector
        # Other products' entries are noise once the question names its products.
        relevant = np.array([not named or f.product_id is None or f.product_id in named for f in faqs], dtype=bool)
        # The answer cache takes only entries whose subject the question makes certain.
        certain = np.array([f.product_id is None or f.product_id in named for f in faqs], dtype=bool)
        answer = None
        if certain.any():
            best = int(np.argmax(np.where(certain, faq_scores, -np.inf)))
            if faq_scores[best] >= self.embedder.faq_threshold:
                answer = Hit(faqs[best], float(faq_scores[best]), "semantic")
        return Retrieval(
            query,
            products,
            _top(faqs, np.where(relevant, faq_scores, -np.inf), k, threshold),
            _top(self.knowledge.passages, self._passages @ vector, k, threshold),
            answer,
            unknown,
        )

    def best_faq(self, query: str) -> tuple[FaqEntry, float] | None:
        """The FAQ entry that answers ``query`` outright, with its similarity; None below the
        embedder's ``faq_threshold`` or when the question's subject is unclear."""
        answer = self.search(query).answer
        return None if answer is None else (answer.item, answer.score)

    def _named(self, text: str) -> tuple[Hit[Product], ...]:
        asked = set(content_words(text))
        best: dict[str, Hit[Product]] = {}
        for mention in self.matcher.mentions(text):
            for product_id in mention.product_ids:
                if mention.how == "word":
                    words = self.matcher.name_words[product_id]
                    score = 0.8 + 0.15 * len(asked & words) / max(len(words), 1)
                else:
                    score = 1.0
                if product_id not in best or best[product_id].score < score:
                    best[product_id] = Hit(self.knowledge.product(product_id), round(score, 4), mention.how)
        order = {p.id: i for i, p in enumerate(self.knowledge.products)}
        return tuple(sorted(best.values(), key=lambda h: (-h.score, order[h.item.id])))

    def _close_to_a_product(self, phrase: str) -> bool:
        if not len(self._names):
            return False
        return float((self._names @ self.embedder.encode([phrase])[0]).max()) >= self.embedder.alias_threshold


def _embed(embedder: Embedder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    if cache_dir is None:
        return embedder.encode(texts)
    digest = hashlib.sha256("\x00".join([embedder.name, *texts]).encode()).hexdigest()[:20]
    file = cache_dir / f"embeddings-{embedder.name}-{digest}.npy"
    try:
        vectors = np.load(file)
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass  # not cached yet, or unreadable: computed again below
    vectors = embedder.encode(texts)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(".partial.npy")
        np.save(partial, vectors)
        partial.replace(file)  # whole or absent, even when two hosts start at once
        for stale in cache_dir.glob(f"embeddings-{embedder.name}-*.npy"):
            if stale != file:
                stale.unlink(missing_ok=True)  # the knowledge changed since
    except OSError as exc:
        log.info("embeddings not cached in %s (%s)", cache_dir, exc.strerror)
    return vectors


def _top(items: Sequence[T], scores: np.ndarray, k: int, threshold: float) -> tuple[Hit[T], ...]:
    order = np.argsort(-scores, kind="stable")[:k]
    return tuple(Hit(items[i], float(scores[i]), "semantic") for i in order if scores[i] >= threshold)


def _product_text(product: Product) -> str:
    specs = "; ".join(f"{key} {value}" for key, value in product.specs)
    aliases = f" ({', '.join(product.aliases)})" if product.aliases else ""
    return f"{product.name}{aliases}. {product.description} {specs}".strip()
