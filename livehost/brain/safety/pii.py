"""Personal data in a text: emails, phone numbers, payment cards (Luhn-checked) and Chinese
resident ID numbers (checksum and birth date checked), so order numbers, prices and dates
pass. Read on ``normalize.clean``ed text (full-width digits are ASCII there)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+(?:@|\s*[(\[](?i:at)[)\]]\s*)[A-Za-z0-9-]+"
    r"(?:(?:\.|\s*[(\[](?i:dot)[)\]]\s*)[A-Za-z0-9-]+)*(?:\.|\s*[(\[](?i:dot)[)\]]\s*)[A-Za-z]{2,}\b"
)
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_CN_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
_PHONES = (
    re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"),  # CN mobile
    # +44 7700 900123
    re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)"),
    re.compile(r"(?<![\d(])(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)"),  # (415) 555-0132
    re.compile(r"(?<!\d)0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}(?!\d)"),  # 010-12345678, 07700 900123
)
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_DIGIT = re.compile(r"\d")
_NUMBER_DIGITS = 8  # the fewest digits any number below has
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class Found:
    kind: str  # email | card | id_number | phone | ssn
    start: int
    end: int

    def key(self, text: str) -> str:
        """What identifies it, formatting aside (to compare with the persona's public ones)."""
        value = text[self.start:self.end]
        return value.casefold() if self.kind == "email" else re.sub(r"\D", "", value)


def find_personal_data(text: str) -> list[Found]:
    found: list[Found] = []

    def add(kind: str, match: re.Match[str]) -> None:
        if not any(f.start < match.end() and match.start() < f.end for f in found):
            found.append(Found(kind, match.start(), match.end()))

    folded = text.casefold()
    if "@" in text or "at]" in folded or "at)" in folded:
        for m in _EMAIL.finditer(text):
            add("email", m)
    if len(_DIGIT.findall(text)) < _NUMBER_DIGITS:
        return found
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            add("card", m)
    for m in _CN_ID.finditer(text):
        if _id_checksum(m.group()):
            add("id_number", m)
    for pattern in _PHONES:
        for m in pattern.finditer(text):
            if 8 <= sum(c.isdigit() for c in m.group()) <= 15:
                add("phone", m)
    for m in _SSN.finditer(text):
        add("ssn", m)
    return sorted(found, key=lambda f: f.start)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _id_checksum(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()
