"""JSON for the API's answers and events: what a status snapshot or an event may hold
besides plain data (a SourceStatus, a Path...) is written readably instead of failing."""

from __future__ import annotations

import dataclasses
import json


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, default=_plain)
