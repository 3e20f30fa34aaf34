"""Search requests (pure): what a client may ask of `/search/orders` and `/search/products`, turned
into a `SearchSpec` the indexes answer, and the opaque cursor of a result page (ADR 0028).

A cursor is the sort key of the last item shown, bound to the query it came from by a
fingerprint and sealed with a checksum: keyset pagination, so a page never repeats or skips an
order because others were indexed meanwhile. A cursor that was altered, truncated, or belongs to
another query is a 400 `invalid_cursor`, never a 500."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from oms.domain.clock import parse_iso
from oms.domain.errors import MalformedRequest
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Channel, FulfillmentType, Strict
from oms.domain.search_text import compounds, query_terms

OrderSort = Literal["relevance", "created_at", "-created_at", "total_amount", "-total_amount"]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
DateOrTime = Annotated[str, Field(min_length=10, max_length=40)]
QueryText = Annotated[str, Field(max_length=200)]
MAX_STATUSES = len(OrderStatus)


def _bound(value: str | None, *, end: bool) -> int | None:
    """A date ("2026-11-29": the whole day) or an ISO time as epoch milliseconds, inclusive."""
    if value is None:
        return None
    try:
        at = parse_iso(value)
    except (ValueError, OverflowError) as exc:
        raise ValueError("must be a date (YYYY-MM-DD) or an ISO-8601 time") from exc
    if not 1970 <= at.year <= 9999:
        raise ValueError("must be between 1970 and 9999")
    if end and len(value) == 10:  # a date: up to the last millisecond of that day
        at += timedelta(days=1) - timedelta(milliseconds=1)
    return int(at.timestamp() * 1000)


def cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount * 100)


class _OrderFilters(Strict):
    channel: Channel | None = None
    fulfillment_type: FulfillmentType | None = None
    from_date: DateOrTime | None = None
    to_date: DateOrTime | None = None
    min_amount: Amount | None = None
    max_amount: Amount | None = None
    sort: OrderSort | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)

    @field_validator("from_date", "to_date")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        _bound(v, end=False)
        return v

    @model_validator(mode="after")
    def _ranges_in_order(self) -> _OrderFilters:  # an empty range is a mistake, not "no orders"
        low, high = _bound(self.from_date, end=False), _bound(self.to_date, end=True)
        if low is not None and high is not None and low > high:
            raise ValueError("from_date is later than to_date")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise ValueError("min_amount is greater than max_amount")
        return self


class OrderSearch(_OrderFilters):
    """POST /search/orders. `status` is one status or a list (any of them)."""

    query: QueryText | None = None
    status: OrderStatus | list[OrderStatus] | None = Field(default=None)

    @field_validator("status")
    @classmethod
    def _few(cls, v: Any) -> Any:
        if isinstance(v, list) and not 1 <= len(v) <= MAX_STATUSES:
            raise ValueError(f"give 1 to {MAX_STATUSES} statuses")
        return v

    def spec(self, tenant_id: str) -> SearchSpec:
        statuses = [self.status] if isinstance(self.status, str) else self.status
        return _spec(self, tenant_id, self.query, statuses)


class OrderSearchQuery(_OrderFilters):
    """GET /search/orders: `q` is the text; `status` one status or several, comma-separated."""

    q: QueryText | None = None
    status: str | None = Field(default=None, max_length=400)

    @field_validator("status")
    @classmethod
    def _statuses(cls, v: str | None) -> str | None:
        if v is None:
            return v
        names = [s.strip() for s in v.split(",") if s.strip()]
        unknown = [s for s in names if s not in OrderStatus.__members__]
        if unknown or not names:
            raise ValueError(
                f"unknown status {', '.join(unknown) or '(none)'}; one of {', '.join(OrderStatus)}"
            )
        return ",".join(names)

    def spec(self, tenant_id: str) -> SearchSpec:
        statuses = [OrderStatus(s) for s in self.status.split(",")] if self.status else None
        return _spec(self, tenant_id, self.q, statuses)


def _spec(
    request: _OrderFilters, tenant_id: str, text: str | None, statuses: list[OrderStatus] | None
) -> SearchSpec:
    found = query_terms(text)
    sort = request.sort or ("relevance" if found else "-created_at")
    spec = SearchSpec(
        kind="orders",
        tenant_id=tenant_id,
        terms=found,
        compounds=compounds(text or ""),
        sort=sort,
        limit=request.limit,
        statuses=frozenset(s.value for s in statuses) if statuses else None,
        channel=request.channel.value if request.channel else None,
        fulfillment_type=request.fulfillment_type.value if request.fulfillment_type else None,
        from_ms=_bound(request.from_date, end=False),
        to_ms=_bound(request.to_date, end=True),
        min_cents=cents(request.min_amount),
        max_cents=cents(request.max_amount),
    )
    spec.after = decode_cursor(request.cursor, spec)
    return spec


class ProductSearch(Strict):
    """POST /search/products: text over sku, name, description and category."""

    query: QueryText | None = None
    category: str | None = Field(default=None, min_length=1, max_length=100)
    min_price: Amount | None = None
    max_price: Amount | None = None
    active: bool | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _range_in_order(self) -> ProductSearch:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price is greater than max_price")
        return self

    def spec(self, tenant_id: str) -> SearchSpec:
        found = query_terms(self.query)
        spec = SearchSpec(
            kind="products",
            tenant_id=tenant_id,
            terms=found,
            compounds=compounds(self.query or ""),
            sort="relevance" if found else "sku",
            limit=self.limit,
            category=self.category,
            active=self.active,
            min_cents=cents(self.min_price),
            max_cents=cents(self.max_price),
        )
        spec.after = decode_cursor(self.cursor, spec)
        return spec


@dataclass
class SearchSpec:
    """A search as the indexes take it: terms, filters (None: any), sort, page."""

    kind: Literal["orders", "products"]
    tenant_id: str
    terms: list[str]
    compounds: list[str]
    sort: str
    limit: int
    statuses: frozenset[str] | None = None
    channel: str | None = None
    fulfillment_type: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    category: str | None = None
    active: bool | None = None
    after: tuple[Any, ...] | None = field(default=None)

    def fingerprint(self) -> str:
        """What a cursor is bound to: everything but the page (limit and position)."""
        parts = [
            self.kind,
            self.tenant_id,
            self.terms,
            self.compounds,
            self.sort,
            sorted(self.statuses) if self.statuses else None,
            self.channel,
            self.fulfillment_type,
            self.from_ms,
            self.to_ms,
            self.min_cents,
            self.max_cents,
            self.category,
            self.active,
        ]
        canonical = json.dumps(parts, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# The types of a sort key (domain.order_index): orders by relevance (-score, -created, id), by
# another sort (one integer, id); products (-score, sku) or (sku,).
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "relevance": (float, int, str),
    "orders": (int, str),
    "products:relevance": (float, str),
    "products:sku": (str,),
}


def _key_types(spec: SearchSpec) -> tuple[type, ...]:
    if spec.kind == "products":
        return _KEY_TYPES[f"products:{spec.sort}"]
    return _KEY_TYPES["relevance" if spec.sort == "relevance" else "orders"]


def _seal(body: bytes) -> str:
    return hashlib.sha256(b"cirrus-search-cursor\x00" + body).hexdigest()[:16]


def encode_cursor(spec: SearchSpec, key: tuple[Any, ...]) -> str:
    body = json.dumps([spec.fingerprint(), *key], separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + _seal(body)


def _invalid(reason: str) -> MalformedRequest:
    return MalformedRequest(
        f"invalid cursor: {reason}; start again without a cursor",
        code="invalid_cursor",
        details=[{"loc": ["cursor"], "msg": reason, "type": "invalid_cursor"}],
    )


def decode_cursor(cursor: str | None, spec: SearchSpec) -> tuple[Any, ...] | None:
    """The sort key a cursor continues after, checked against the query it is used with."""
    if not cursor:
        return None
    encoded, _, seal = cursor.partition(".")
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _invalid("not a cursor of this API") from exc
    if not seal or _seal(body) != seal:
        raise _invalid("not a cursor of this API")
    try:
        fingerprint, *key = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise _invalid("not a cursor of this API") from exc
    if fingerprint != spec.fingerprint():
        raise _invalid("it belongs to another search (query, filters or sort changed)")
    types = _key_types(spec)
    if len(key) != len(types) or not all(
        (isinstance(v, t) and not isinstance(v, bool)) or (t is float and type(v) is int)
        for v, t in zip(key, types, strict=False)
    ):
        raise _invalid("not a cursor of this search")
    return tuple(float(v) if t is float else v for v, t in zip(key, types, strict=True))
