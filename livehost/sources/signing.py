"""What the signed push sources share to check a request: the secret from the environment,
headers read whatever their case, a constant-time compare, and a bounded memory of what was
already seen (message ids against redelivery, signatures against replay)."""

from __future__ import annotations

import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping

from .specs import ChatSpec


def secret_from_env(spec: ChatSpec, variable: str) -> str:
    secret = os.environ.get(variable, "").strip()
    if not secret:
        raise spec.error(f"needs the push secret in the environment variable {variable}")
    return secret


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP header names are case-insensitive; senders spell them as they like."""
    return {name.lower(): value for name, value in headers.items()}


def same(given: str, expected: str) -> bool:
    """Constant-time: the time taken says nothing about how much of a forgery was right."""
    return hmac.compare_digest(given.encode("utf-8", "replace"),
                               expected.encode("utf-8", "replace"))


class SeenKeys:
    """The last ``cap`` keys added, safe to share between threads. Memory stays bounded
    however much arrives; the price is that a key older than the last ``cap`` is forgotten."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: Hashable) -> bool:
        """True when ``key`` is new (and is now remembered); False when already seen."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self.cap:
                self._keys.popitem(last=False)
            return True

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Undo ``add`` for work that was not taken after all, so a retry is not refused."""
        with self._lock:
            for key in keys:
                self._keys.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)
