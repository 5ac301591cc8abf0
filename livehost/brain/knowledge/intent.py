"""What a chat question asks of the catalogue: a price, whether it is in stock, or a spec.

Questions with one of these intents are answered from the catalogue directly (templates.py),
never by the language model. English and Chinese phrasings.
"""

from __future__ import annotations

import re
from enum import Enum

from livehost.brain.knowledge.records import Product
from livehost.brain.knowledge.text import normalize, words


class Intent(str, Enum):
    PRICE = "price"
    STOCK = "stock"
    SPEC = "spec"


_EN = {
    Intent.PRICE: r"how much(?! (?:does|do|can) (?:it|they) (?:hold|weigh))|price|prices|pricing|cost|costs|"
                  r"expensive|cheap|cheaper|pay for",
    Intent.STOCK: r"in stock|out of stock|stock|sold out|available|availability|any left|how many left|"
                  r"left in|back in|restock|do (?:you|u) (?:still )?(?:have|sell|carry|got)|can i (?:buy|order|get)",
    Intent.SPEC: r"how big|how large|how small|how heavy|how tall|how wide|how long|how much does it hold|"
                 r"size|sizes|dimensions?|capacity|volume|weight|weigh|material|made of|made from|"
                 r"colou?rs?|diameter|length|width|height|litres?|liters?|watts?|wattage|power|battery|specs?",
}
_ZH = {
    Intent.PRICE: "多少钱|价格|价钱|几块|多少元|售价|贵不贵|便宜",
    Intent.STOCK: "有货|库存|现货|还有吗|还有没有|有没有|卖完|售罄|缺货|能买|补货",
    Intent.SPEC: "尺寸|大小|多大|容量|材质|材料|颜色|重量|多重|规格|参数|功率",
}
_PATTERNS = {
    intent: re.compile(rf"\b(?:{_EN[intent]})\b|{_ZH[intent]}") for intent in Intent
}

# Question words → the spec keys they ask about (a key matches when it contains one of them).
_SPEC_WORDS = {
    "big": ("size", "dimension", "capacity", "volume", "diameter", "length"),
    "large": ("size", "dimension", "capacity", "volume", "diameter", "length"),
    "small": ("size", "dimension", "capacity", "volume", "diameter", "length"),
    "hold": ("capacity", "volume"),
    "litre": ("capacity", "volume"), "liter": ("capacity", "volume"),
    "heavy": ("weight",), "weigh": ("weight",),
    "tall": ("height", "size", "dimension"), "wide": ("width", "diameter", "size", "dimension"),
    "long": ("length", "size", "dimension"),
    "made": ("material",), "colour": ("colour", "color", "finish"), "color": ("colour", "color", "finish"),
    "watt": ("power", "wattage"), "wattage": ("power", "wattage"),
    "多大": ("size", "dimension", "capacity", "diameter"), "尺寸": ("size", "dimension", "diameter"),
    "大小": ("size", "dimension", "capacity", "diameter"), "容量": ("capacity", "volume"),
    "材质": ("material",), "材料": ("material",), "颜色": ("colour", "color", "finish"),
    "重量": ("weight",), "多重": ("weight",), "功率": ("power", "wattage"),
}


def catalogue_intents(question: str) -> frozenset[Intent]:
    text = normalize(question)
    return frozenset(i for i, pattern in _PATTERNS.items() if pattern.search(text))


def is_catalogue_question(question: str) -> bool:
    """True when the question asks for a price, stock or a spec: the catalogue answers it."""
    return bool(catalogue_intents(question))


def asked_specs(question: str, product: Product) -> list[str]:
    """The keys of ``product``'s specs that ``question`` asks about, in catalogue order."""
    text = normalize(question)
    asked = set(words(text))
    hints = {
        hint for word, keys in _SPEC_WORDS.items()
        if (word in asked if word.isascii() else word in text) for hint in keys
    }
    found = []
    for key, _ in product.specs:
        key_words = set(words(key))
        if key_words & asked or any(h in k for h in hints for k in key_words) or normalize(key) in text:
            found.append(key)
    return found
