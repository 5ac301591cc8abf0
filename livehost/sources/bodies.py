"""Bodies from outside (the API, signed webhooks), validated strictly: a wrong type, an empty
text or an unknown field is a 400 that names the field."""

from __future__ import annotations

import json
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

ChatKind = Literal["chat", "question", "gift", "superchat", "member", "follow", "raid", "system",
                   "operator", "mic"]
_TEXTLESS_KINDS = {"follow", "member", "raid"}  # events that carry no words

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class BodyError(ValueError):
    """A request body the API refuses; the message names the field."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChatBody(_Body):
    user: Name
    text: Text = ""
    kind: ChatKind = "chat"
    amount: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    id: Annotated[str, StringConstraints(max_length=128)] = ""
    currency: Annotated[str, StringConstraints(max_length=16)] = ""

    @model_validator(mode="after")
    def _has_text(self) -> ChatBody:
        if not self.text and self.kind not in _TEXTLESS_KINDS:
            raise ValueError("text: must not be empty")
        return self


class SayBody(_Body):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class InterruptBody(_Body):
    reason: Name = "operator"


B = TypeVar("B", bound=_Body)


def parse_body(model: type[B], raw: bytes, *, optional: bool = False) -> B:
    """``raw`` as ``model``; an empty body is ``model()`` when ``optional``."""
    if optional and not raw.strip():
        return model()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BodyError("body: not valid JSON") from None
    if not isinstance(data, dict):
        raise BodyError("body: must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BodyError(first_error(exc)) from None


def first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{field}: {message}" if field else message
