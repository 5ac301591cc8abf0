"""Every number a text states, as a value that compares equal however it was written:
"34.90", "34,90", "€34.90", "34.90 euros", "34 euros 90", "thirty-four", "十二", "9 am" / "9:00".

Quantities are plain numbers, money (a value with the currencies its sign or word can mean)
or clock times (minutes after midnight). Text is expected normalised (``text.normalize``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["number", "money", "time"]


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Decimal
    kind: Kind
    text: str  # as written
    currencies: frozenset[str] = frozenset()  # money: what the sign or word can mean; empty: any
    unit: str | None = None  # numbers: the unit written after it, canonical ("l", "cm", "day")

    def __str__(self) -> str:
        return self.text


_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD"})
# Longest first, so "us$" wins over "$" and "欧元" over "元".
_PREFIX = {"us$": frozenset({"USD"}), "€": frozenset({"EUR"}), "$": _DOLLARS, "£": frozenset({"GBP"}),
           "¥": frozenset({"CNY", "JPY"}), "eur": frozenset({"EUR"}), "usd": frozenset({"USD"}),
           "gbp": frozenset({"GBP"}), "cny": frozenset({"CNY"}), "rmb": frozenset({"CNY"}),
           "jpy": frozenset({"JPY"}), "chf": frozenset({"CHF"})}
_SUFFIX = {"euros": "EUR", "euro": "EUR", "eur": "EUR", "€": "EUR", "dollars": _DOLLARS,
           "dollar": _DOLLARS, "usd": "USD", "bucks": _DOLLARS, "pounds": "GBP", "pound": "GBP",
           "gbp": "GBP", "quid": "GBP", "yuan": "CNY", "rmb": "CNY", "cny": "CNY", "kuai": "CNY",
           "人民币": "CNY", "块钱": "CNY", "欧元": "EUR", "美元": "USD", "英镑": "GBP", "日元": "JPY",
           "元": "CNY", "块": "CNY", "yen": "JPY", "jpy": "JPY", "円": "JPY", "chf": "CHF", "francs": "CHF"}
_SUFFIX_SETS = {k: (v if isinstance(v, frozenset) else frozenset({v})) for k, v in _SUFFIX.items()}

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
# Not the tail of 1,500 or 3.5 or 9:30, nor part of a name like anna92.
_NOT_INSIDE = r"(?<![\da-z_])(?<!\d[.,:])"
_TIME = re.compile(
    rf"{_NOT_INSIDE}(\d{{1,2}})(?::(\d{{2}}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])|{_NOT_INSIDE}(\d{{1,2}}):(\d{{2}})(?!\d)"
)
_NUMBER = re.compile(rf"{_NOT_INSIDE}(?:{_DIGITS})(?:st|nd|rd|th)?(?!\d)")
_PREFIX_RE = re.compile(r"(us\$|€|\$|£|¥|\b(?:eur|usd|gbp|cny|rmb|jpy|chf)\b)\s?$")
_SUFFIX_RE = re.compile(
    r"^\s?(" + "|".join(sorted(map(re.escape, _SUFFIX), key=len, reverse=True)) + r")(?![a-z])"
)
_CENTS = re.compile(r"^\s*(?:and\s+)?(?:(\d{1,2})\s*cents?\b|(\d{2})(?!\d|[.,]\d))")
_JIAO = re.compile(r"^([零一二两三四五六七八九]|\d)(?![\d零〇一二两三四五六七八九十百千万])")  # 三十四块九: 34.9
_CENTS_WORD = re.compile(r"^\s?(?:cents?)\b")

_ONES = {w: i for i, w in enumerate(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen""".split()
)}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER_WORD = re.compile(
    r"\b(?:(?:a|an)\s+(?=(?:hundred|thousand|million|dozen)\b))?"
    r"(?:" + "|".join([*_ONES, *_TENS, *_SCALES, "dozen"]) + r")"
    # "and" only after a scale ("one hundred and five"), so "two and three" stays two numbers.
    r"(?:(?:(?:(?<=hundred)|(?<=thousand)|(?<=million))\s+and\s+|[\s-]+)"
    r"(?:" + "|".join([*_ONES, *_TENS, *_SCALES]) + r"))*\b"
)
# Units, so that "2 litres" is not taken for the "2-year" warranty: written form → canonical.
_UNITS_OF = {
    "l": "l", "litre": "l", "litres": "l", "liter": "l", "liters": "l", "ltr": "l", "升": "l",
    "ml": "ml", "millilitre": "ml", "millilitres": "ml", "milliliter": "ml", "milliliters": "ml",
    "cm": "cm", "centimetre": "cm", "centimetres": "cm", "centimeter": "cm", "centimeters": "cm", "厘米": "cm",
    "mm": "mm", "millimetre": "mm", "millimetres": "mm", "millimeter": "mm", "millimeters": "mm",
    "m": "m", "metre": "m", "metres": "m", "meter": "m", "meters": "m", "米": "m",
    "kg": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg", "公斤": "kg",
    "g": "g", "gram": "g", "grams": "g", "克": "g", "oz": "oz", "ounce": "oz", "ounces": "oz",
    "°c": "°c", "°": "°c", "degrees": "°c", "degree": "°c", "celsius": "°c", "度": "°c",
    "day": "day", "days": "day", "天": "day", "week": "week", "weeks": "week", "周": "week",
    "month": "month", "months": "month", "月": "month", "year": "year", "years": "year", "年": "year",
    "hour": "hour", "hours": "hour", "小时": "hour", "minute": "minute", "minutes": "minute",
    "%": "%", "percent": "%", "per cent": "%", "w": "w", "watt": "w", "watts": "w", "v": "v", "volts": "v",
    "piece": "piece", "pieces": "piece", "pcs": "piece", "件": "piece", "个": "piece",
}
_UNIT_RE = re.compile(
    r"^[\s-]?(" + "|".join(sorted(map(re.escape, _UNITS_OF), key=len, reverse=True)) + r")(?![a-z])"
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# A lone 一 is everywhere in Chinese (一下, 一起): count single characters only before a
# measure word or a currency.
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万]{2,}|[零〇一二两三四五六七八九十百千万](?=[个件台只双套瓶杯升天号点元块欧美英日%])")


def quantities(text: str) -> list[Quantity]:
    """The quantities in ``text``, in order. Words that merely contain a number's spelling
    ("someone", "often") are not numbers; nor is a lone "one" ("the blue one")."""
    return [q for _, _, q in _located(text)]


def ranges(text: str) -> list[tuple[Decimal, Decimal, str]]:
    """(low, high, as written) for each "2-4", "2 to 4", "between 2 and 4", "2到4" in ``text``:
    a range is a claim of its own, whose ends may each be true alone ("2 to 4 days in France,
    3 to 7 elsewhere" does not say "2-3 days")."""
    found = _located(text)
    out = []
    for (_, a_end, a), (b_start, b_end, b) in zip(found, found[1:]):
        if a.kind != b.kind and "money" not in (a.kind, b.kind):
            continue
        between = text[a_end:b_start]
        start = text.rfind(a.text, 0, a_end)
        if _RANGE_JOIN.fullmatch(between) or (_AND.fullmatch(between) and _BETWEEN.search(text, 0, start)):
            out.append((a.value, b.value, text[start:b_end]))
    return out


_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|~|～|to|until|through|到|至)\s*")
_AND = re.compile(r"\s*(?:and|和)\s*")
_BETWEEN = re.compile(r"(?:between|在)\s*$")


def _located(text: str) -> list[tuple[int, int, Quantity]]:
    times = [(m.start(), m.end(), q) for m in _TIME.finditer(text) if (q := _time(m)) is not None]
    numbers = [n for n in _numbers(text) if not any(s < n[1] and n[0] < e for s, e, _ in times)]
    found = times + _read_amounts(text, sorted(numbers))
    return sorted(found, key=lambda f: f[0])


def _time(m: re.Match[str]) -> Quantity | None:
    if m.group(4):  # 18:00
        hour, minute, meridiem = int(m.group(4)), int(m.group(5)), ""
    else:
        hour, minute, meridiem = int(m.group(1)), int(m.group(2) or 0), m.group(3).replace(".", "")
    if hour > 24 or minute > 59 or (meridiem and not 1 <= hour <= 12):
        return None
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return Quantity(Decimal(hour * 60 + minute), "time", m.group(0))


def _numbers(text: str) -> list[tuple[int, int, Decimal]]:
    """(start, end, value) of every number written in digits, English words or Chinese."""
    found = [(m.start(), m.end(), _digits_value(re.sub(r"(st|nd|rd|th)$", "", m.group(0))))
             for m in _NUMBER.finditer(text)]
    found += [(m.start(), m.end(), _words_value(m.group(0))) for m in _NUMBER_WORD.finditer(text)
              if m.group(0) != "one"]
    found += [(m.start(), m.end(), Decimal(_zh_value(m.group(0)))) for m in _ZH_NUMBER.finditer(text)]
    return found


def _read_amounts(text: str, numbers: list[tuple[int, int, Decimal]]) -> list[tuple[int, int, Quantity]]:
    """Each number with what is written around it: a currency (and its cents), or a unit."""
    found: list[tuple[int, int, Quantity]] = []
    skip_until = -1
    for start, end, value in numbers:
        if start < skip_until:
            continue  # the cents of the amount before
        prefix = _PREFIX_RE.search(text[max(0, start - 4) : start])
        suffix = _SUFFIX_RE.match(text[end:])
        if prefix or suffix:
            currencies = _PREFIX[prefix.group(1)] if prefix else _SUFFIX_SETS[suffix.group(1)]
            first = start - len(prefix.group(0)) if prefix else start
            last = end + (len(suffix.group(0)) if suffix else 0)
            whole = value == value.to_integral_value()
            jiao = _JIAO.match(text[last:]) if suffix and whole and suffix.group(1) in ("块", "元") else None
            cents = _CENTS.match(text[last:]) if suffix and whole and not jiao else None
            if jiao:
                digit = jiao.group(1)
                value += Decimal(_ZH_DIGITS[digit] if digit in _ZH_DIGITS else int(digit)) / 10
                last += 1
            elif cents:  # 34 euros (and) 90 (cents)
                value += Decimal(cents.group(1) or cents.group(2)) / 100
                last += len(cents.group(0))
            skip_until = last
            found.append((first, last, Quantity(value, "money", text[first:last].strip(), currencies)))
        elif cents_word := _CENTS_WORD.match(text[end:]):
            last = end + len(cents_word.group(0))
            found.append((start, last, Quantity(value / 100, "money", text[start:last])))
        else:
            unit = _UNIT_RE.match(text[end:])
            found.append((start, end, Quantity(value, "number", text[start:end],
                                               unit=_UNITS_OF[unit.group(1)] if unit else None)))
    return found


def _digits_value(text: str) -> Decimal:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return Decimal(text.replace(",", ""))  # 1,500 and 12,000.50: thousands
    return Decimal(text.replace(",", "."))  # 34,90: a decimal comma


def _words_value(text: str) -> Decimal:
    total = current = 0
    for word in re.split(r"[\s-]+", text):
        if word == "and":
            continue
        if word in ("a", "an"):
            current = 1
        elif word == "dozen":
            current = (current or 1) * 12
        elif word in _ONES:
            current += _ONES[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
    return Decimal(total + current)


def _zh_value(text: str) -> int:
    if all(c in _ZH_DIGITS for c in text):  # 一二三 read digit by digit, like 2024 as 二〇二四
        return int("".join(str(_ZH_DIGITS[c]) for c in text))
    total = section = digit = 0
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            section += (digit or 1) * _ZH_SCALES[char]
            digit = 0
    return total + section + digit


def same_number(a: Decimal, b: Decimal) -> bool:
    """34.9 and 34.90 are one number; so are 2 and 2.00."""
    return a.normalize() == b.normalize()


def spoken_amount(value: Decimal) -> str:
    """How templates write a number: whole ones without decimals, others with two (34.90)."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.quantize(Decimal('0.01'))}" if value.as_tuple().exponent >= -2 else str(value.normalize())
