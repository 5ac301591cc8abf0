"""Product catalogues: YAML (``products: [...]``) or CSV (one product per row).

YAML::

    currency: EUR                 # optional default for every product
    products:
      - id: kettle-blue
        name: Blue enamel kettle
        aliases: [blue kettle]
        price: 34.90
        currency: EUR
        stock: 12                 # a count, or in_stock / out_of_stock
        specs: {capacity: 1.7 l}
        description: ...
        faq: [{q: Does it work on induction?, a: Yes.}]
    faq: [{q: ..., a: ...}]       # optional questions about the shop

CSV columns: id, name, price, currency, stock (required); aliases (split on ``|`` or ``;``),
description, and ``spec:<key>`` for each spec. A broken product is reported as one line:
``catalogue.yaml: products[2] (kettle-red): price: not a number ('abc')``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from livehost.brain.knowledge.files import read_text, read_yaml, shown
from livehost.brain.knowledge.records import FaqEntry, Product, StockWord
from livehost.errors import LivehostError

_Text = Annotated[str, Field(min_length=1)]
_STOCK_WORDS: dict[str, StockWord] = {"in_stock": "in_stock", "out_of_stock": "out_of_stock"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _FaqIn(_Strict):
    q: _Text
    a: _Text


class _ProductIn(_Strict):
    id: str
    name: _Text
    aliases: list[_Text] = Field(default_factory=list)
    price: Decimal
    currency: str
    stock: int | StockWord
    specs: dict[_Text, str] = Field(default_factory=dict)
    description: str = ""
    faq: list[_FaqIn] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        text = str(value).strip() if isinstance(value, (str, int)) else value
        if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
            raise ValueError(f"expected letters, digits, '.', '-' or '_' ({value!r})")
        return text

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise ValueError(f"not a number ({value!r})")  # noqa: TRY004 (pydantic reports ValueErrors)
        text = str(value).strip()
        if re.fullmatch(r"\d+,\d{1,2}", text):  # a decimal comma, as European sheets write it
            text = text.replace(",", ".")
        try:
            price = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number ({value!r})") from None
        if not price.is_finite() or price < 0:
            raise ValueError(f"must be a number of at least 0 ({value!r})")
        return price

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
            raise ValueError(f"expected a 3-letter currency code such as EUR ({value!r})")
        return value.strip().upper()

    @field_validator("stock", mode="before")
    @classmethod
    def _stock(cls, value: Any) -> int | StockWord:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str):
            text = value.strip().lower().replace(" ", "_").replace("-", "_")
            if text.isdigit():
                return int(text)
            if text in _STOCK_WORDS:
                return _STOCK_WORDS[text]
        raise ValueError(f"expected a count of at least 0, or in_stock / out_of_stock ({value!r})")

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> Any:
        return _split_aliases(value) if isinstance(value, str) else value

    @field_validator("specs", mode="before")
    @classmethod
    def _specs(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)) or item is None:
                raise ValueError(f"{key}: expected a value such as 1.7 l ({item!r})")
            out[str(key)] = str(item).strip()
        return out


class _CatalogueIn(_Strict):
    currency: str | None = None
    products: list[Any]
    faq: list[_FaqIn] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LoadedProduct:
    """A product and where it was written, for errors found later (duplicates)."""

    product: Product
    where: str  # "catalogue.yaml: products[2] (kettle-red)"


@dataclass(frozen=True, slots=True)
class Catalogue:
    products: tuple[LoadedProduct, ...]
    faqs: tuple[FaqEntry, ...]  # about the shop


def load_catalogue(path: Path) -> Catalogue:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if suffix == ".csv":
        return _load_csv(path)
    raise LivehostError(f"{shown(path)}: a catalogue is a .yaml or .csv file")


def _load_yaml(path: Path) -> Catalogue:
    name = shown(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise LivehostError(f"{name}: expected a mapping with products: [...]")
    try:
        top = _CatalogueIn.model_validate(raw)
    except ValidationError as exc:
        raise LivehostError(f"{name}: {describe(exc)}") from None
    products = []
    for index, entry in enumerate(top.products):
        if not isinstance(entry, dict):
            raise LivehostError(f"{name}: products[{index}]: expected a mapping of fields (id, name, price, ...)")
        label = f"products[{index}]" + (f" ({entry['id']})" if entry.get("id") else "")
        if top.currency and "currency" not in entry:
            entry = {**entry, "currency": top.currency}
        products.append(_product(entry, name, label))
    faqs = tuple(FaqEntry(f.q, f.a, None, name) for f in top.faq)
    return Catalogue(tuple(products), faqs)


_CSV_COLUMNS = {"id", "name", "aliases", "price", "currency", "stock", "description"}


def _load_csv(path: Path) -> Catalogue:
    name = shown(path)
    text = read_text(path)
    first = text.splitlines()[0] if text.strip() else ""
    # Spreadsheets in comma-decimal locales save with ';' (or tabs): take whichever the
    # header uses.
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    for column in columns:
        if column not in _CSV_COLUMNS and not (column.startswith("spec:") and column[5:].strip()):
            raise LivehostError(
                f"{name}: unknown column {column!r} (columns: {', '.join(sorted(_CSV_COLUMNS))}, spec:<key>)"
            )
    missing = {"id", "name", "price", "currency", "stock"} - set(columns)
    if missing:
        raise LivehostError(f"{name}: missing column(s) {', '.join(sorted(missing))}")
    products = []
    for row in reader:
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue  # blank lines between blocks of products
        if None in row:
            raise LivehostError(f"{name}: row {reader.line_num}: more cells than columns")
        # An empty cell is an absent field: "price: required field is missing".
        entry: dict[str, Any] = {k: v for k, v in values.items() if v and not k.startswith("spec:")}
        entry["specs"] = {k[5:].strip(): v for k, v in values.items() if k.startswith("spec:") and v}
        label = f"row {reader.line_num}" + (f" ({values['id']})" if values.get("id") else "")
        products.append(_product(entry, name, label))
    return Catalogue(tuple(products), ())


def _product(entry: dict[str, Any], source: str, label: str) -> LoadedProduct:
    where = f"{source}: {label}"
    try:
        p = _ProductIn.model_validate(entry)
    except ValidationError as exc:
        raise LivehostError(f"{where}: {describe(exc)}") from None
    faq = tuple(FaqEntry(f.q, f.a, p.id, source) for f in p.faq)
    product = Product(
        id=p.id, name=p.name, price=p.price, currency=p.currency, stock=p.stock,
        aliases=tuple(dict.fromkeys(a for a in p.aliases if a.lower() != p.name.lower())),
        specs=tuple(p.specs.items()), description=p.description.strip(), faq=faq, source=source,
    )
    return LoadedProduct(product, where)


def _split_aliases(text: str) -> list[str]:
    return [a.strip() for a in re.split(r"[|;]", text) if a.strip()]


def describe(exc: ValidationError) -> str:
    """The first problem of a validation error, as ``field: what is wrong``."""
    errors = exc.errors()
    first = errors[0]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    kind = first["type"]
    if kind == "value_error":
        message = str(first["ctx"]["error"])
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif kind == "string_too_short":
        message = "must not be empty"
    else:
        message = f"{first['msg'][0].lower()}{first['msg'][1:]} ({first.get('input')!r})"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{field or '(top level)'}: {message}{more}"
