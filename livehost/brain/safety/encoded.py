"""Attacks hidden in an encoding the model might read: base64 tokens and rot13."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterator

_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_MAX_TOKENS = 4  # enough for a real message; bounds the work on a message built to be slow
_LETTERS = re.compile(r"[a-z]")


def base64_payloads(text: str) -> Iterator[str]:
    """The readable texts that base64 tokens in ``text`` decode to."""
    for token in list(dict.fromkeys(_TOKEN.findall(text)))[:_MAX_TOKENS]:
        # A plain long word is not base64; real payloads mix cases, digits or padding.
        if not (token.endswith("=") or any(c.isdigit() for c in token)
                or (token.lower() != token and token.upper() != token)):
            continue
        body = token.rstrip("=").replace("-", "+").replace("_", "/")
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        readable = sum(ch.isprintable() or ch.isspace() for ch in decoded)
        if len(decoded) >= 6 and readable >= 0.95 * len(decoded):
            yield decoded


def rot13(compact: str) -> str | None:
    """The rot13 reading of a compact view, if it has enough Latin letters to hide a phrase."""
    if len(_LETTERS.findall(compact)) < 12:
        return None
    return codecs.encode(compact, "rot13")
