"""The attack corpus (attacks.yaml): hostile chat with the category the input guard must give,
and ordinary chat it must let through. Shared by the guard's tests and the end-to-end test of
the model behind the guard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS = Path(__file__).with_name("attacks.yaml")


@dataclass(frozen=True, slots=True)
class Attack:
    text: str
    category: str  # a livehost.brain.safety.Category value
    user: str = ""  # the sender's display name, where the attack hides there
    note: str = ""  # what trick it uses

    def __str__(self) -> str:  # pytest ids
        return f"{self.category}: {self.note or self.text[:40]}"


def _load() -> dict:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def load_attacks() -> list[Attack]:
    return [Attack(**entry) for entry in _load()["attacks"]]


def load_benign() -> list[str]:
    return list(_load()["benign"])
