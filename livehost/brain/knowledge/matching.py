"""Finding products by name in text, and noticing products the shop does not have.

- A product's name or alias matches as whole words, ignoring case, punctuation and plurals
  ("Blue-Kettles!" names the blue kettle). Chinese names match as substrings.
- Its head word (the name's last word, "kettle" in "Blue enamel kettle"; "mug" in "Stoneware
  mug set") matches on its own: "how much is the kettle?" is about every kettle in the shop.
- A product noun the knowledge never uses ("toaster" in a kitchen shop) is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from livehost.brain.knowledge.intent import catalogue_intents
from livehost.brain.knowledge.nouns import PRODUCT_NOUNS
from livehost.brain.knowledge.records import Knowledge, Product
from livehost.brain.knowledge.text import (
    STOPWORDS,
    content_words,
    normalize,
    singular,
    word_spans,
    words,
)
from livehost.voice.timing import CJK

How = Literal["name", "alias", "word"]

# Last words that say how a product comes, not what it is: the head is the word before.
_PACKAGING = frozenset("set pack piece pair kit edition model size bundle collection range version duo trio".split())
_NOUNS = frozenset(singular(n) for n in PRODUCT_NOUNS)
# "dishwasher safe", "oven-proof": the noun describes the product, it is not one.
_PROPERTY = re.compile(r"^[\s-]*(?:safe|proof|friendly|compatible|ready)\b")


@dataclass(frozen=True, slots=True)
class Mention:
    product_ids: tuple[str, ...]  # one for a name or alias; every product sharing a head word
    how: How
    start: int  # in the normalised text
    end: int


# Questions that ask for a thing. Strong: only a product can follow ("do you sell X", "how
# much is X"). Weak: "do you have X" may be about anything, so X must be a known product noun.
_X = r"(?P<x>[^?.!,;:]+)"
_STRONG = [re.compile(p) for p in (
    (rf"\b(?:do|does|will|would|can) (?:you|u|ya|your (?:shop|store))(?: guys| all)? (?:still |also |even )?"
     rf"(?:sell|carry|stock|offer|make) {_X}"),
    rf"\bhow much (?:is|are|does|do|for|would) {_X}",
    rf"\b(?:price|prices|cost) (?:of|for|on) {_X}",
    rf"\b(?:can|could|may) (?:i|we) (?:buy|get|order|purchase) {_X}",
    rf"\b(?:i|we)(?: would|'d)? (?:want|need|like|wanna) (?:to )?(?:buy|order|get) {_X}",
    rf"\b(?:i'm|i am|we're|we are) looking for {_X}",
    rf"\bwhere can i (?:buy|get|find) {_X}",
    r"\b(?:is|are) (?:the|your|this|that|these|those) (?P<x>[^?.!,;:]+?) (?:in stock|available|sold out|on sale)",
)]
_WEAK = [re.compile(p) for p in (
    rf"\b(?:do|does) (?:you|u|ya)(?: guys)? (?:still |also )?(?:have|got) {_X}",
    rf"\bhave you (?:got )?{_X}",
    rf"\b(?:is|are) there {_X}",
)]
# Where the thing asked about ends: "toasters with a timer", "the kettle in blue".
_END_WORDS = frozenset(
    """
    in with for that which who to at on from and or please today now here there cost costs
    available still like than anymore right if as by made
    """.split()
)
_LEADING = frozenset("the a an any some your you this that these those more other another also".split())
# Things a shop has that are not products: asking about them is not asking for a product.
_NOT_PRODUCTS = frozenset(
    """
    thing anything something stuff product item other discount code coupon sale offer deal
    shipping delivery return refund warranty guarantee gift card voucher question time option
    colour color size version kind type sort brand idea plan way stock price payment
    """.split()
)


class Matcher:
    def __init__(self, knowledge: Knowledge) -> None:
        self._phrases: dict[str, list[tuple[tuple[str, ...], str, How]]] = {}
        self._cjk: list[tuple[str, str, How]] = []
        self._heads: dict[str, set[str]] = {}
        self.name_words: dict[str, frozenset[str]] = {}
        for product in knowledge.products:
            for index, phrase in enumerate(product.names):
                how: How = "name" if index == 0 else "alias"
                tokens = tuple(words(phrase))
                if CJK.search(phrase):
                    self._cjk.append((normalize(phrase), product.id, how))
                elif tokens:
                    self._phrases.setdefault(tokens[0], []).append((tokens, product.id, how))
                    self._heads.setdefault(_head(tokens), set()).add(product.id)
            self.name_words[product.id] = frozenset(w for n in product.names for w in content_words(n))
        for candidates in self._phrases.values():
            candidates.sort(key=lambda c: -len(c[0]))  # the longest phrase wins
        self.vocabulary = frozenset(_vocabulary(knowledge))

    def mentions(self, normalized: str) -> list[Mention]:
        """Products named in ``normalized`` (a ``text.normalize`` result), in order."""
        spans = word_spans(normalized)
        found: list[Mention] = []
        i = 0
        while i < len(spans):
            tokens = tuple(s[0] for s in spans[i:])
            match = next((c for c in self._phrases.get(tokens[0], ()) if tokens[: len(c[0])] == c[0]), None)
            if match:
                end = i + len(match[0])
                found.append(Mention((match[1],), match[2], spans[i][1], spans[end - 1][2]))
                i = end
                continue
            if tokens[0] in self._heads:
                found.append(Mention(tuple(sorted(self._heads[tokens[0]])), "word", spans[i][1], spans[i][2]))
            i += 1
        for phrase, product_id, how in self._cjk:
            for m in re.finditer(re.escape(phrase), normalized):
                found.append(Mention((product_id,), how, m.start(), m.end()))
        return sorted(found, key=lambda m: m.start)

    def unknown_nouns(self, normalized: str) -> list[tuple[str, int, int]]:
        """Product nouns in the text that the knowledge never uses: (word, start, end)."""
        return [
            (word, start, end) for word, start, end in word_spans(normalized)
            if word in _NOUNS and word not in self.vocabulary and not _PROPERTY.match(normalized[end:])
        ]

    def unknown_phrase(self, query: str) -> str | None:
        """The thing a question asks for when the shop cannot have it, e.g. "toasters" in "do
        you sell toasters?" — None when the question names a product, asks for nothing, or
        asks for something the knowledge mentions anywhere (it may be sold under that word)."""
        text = normalize(query)
        if self.mentions(text):
            return None
        for patterns, strong in ((_STRONG, True), (_WEAK, False)):
            for pattern in patterns:
                for m in pattern.finditer(text):
                    phrase = _thing(m.group("x"))
                    if phrase and self._unknown(phrase, strong):
                        return phrase
        if catalogue_intents(text):  # "toaster price?": no question form, but a product noun
            nouns = self.unknown_nouns(text)
            if nouns:
                return nouns[0][0]
        return None

    def _unknown(self, phrase: str, strong: bool) -> bool:
        content = [w for w in words(phrase) if w not in STOPWORDS and w not in _NOT_PRODUCTS]
        if not content or any(w in self.vocabulary for w in content):
            return False
        return strong or any(w in _NOUNS for w in content)


_CONNECTIVES = frozenset(["with", "for", "in", "and", "of", "by", "from"])


def _head(tokens: tuple[str, ...]) -> str:
    """"teapot" in "glass teapot with infuser", "mug" in "stoneware mug set"."""
    cut = next((i for i, t in enumerate(tokens) if i and t in _CONNECTIVES), len(tokens))
    for token in reversed(tokens[:cut]):
        if token not in _PACKAGING:
            return token
    return tokens[-1]


def _thing(text: str) -> str:
    """The noun phrase at the start of ``text``: determiners off, cut where it ends."""
    kept: list[str] = []
    for word in text.split():
        if word in _END_WORDS and kept:
            break
        if not kept and word in _LEADING:
            continue
        kept.append(word)
        if len(kept) == 4:
            break
    return " ".join(kept).strip(" '\"")


def _vocabulary(knowledge: Knowledge) -> set[str]:
    vocabulary: set[str] = set()
    for product in knowledge.products:
        vocabulary.update(_product_words(product))
    for faq in knowledge.faqs:
        vocabulary.update(content_words(f"{faq.question} {faq.answer}"))
    for passage in knowledge.passages:
        vocabulary.update(content_words(f"{passage.title} {passage.text}"))
    return vocabulary


def _product_words(product: Product) -> list[str]:
    texts = [*product.names, product.description, re.sub(r"[-_.]", " ", product.id)]
    texts += [f"{key} {value}" for key, value in product.specs]
    return [w for t in texts for w in content_words(t)]
