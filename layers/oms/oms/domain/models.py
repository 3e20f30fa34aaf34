"""Domain models (pydantic). Requests are strict: unknown fields and wrong types are 422s."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from oms.domain import audit
from oms.domain.audit import AuditEvent, CallbackWindow, PastEntry, StatusChange
from oms.domain.channels import ChannelLink, legacy_link, reserved_prefix
from oms.domain.lifecycle import FulfilmentEventType, OrderStatus

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
SKU_RE = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=SKU_RE)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]

MAX_LINES_PER_ORDER = 40  # one reservation transaction holds 2 items per line (DynamoDB: 100)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Role(StrEnum):
    """People rank PLATFORM_OWNER > SUPERADMIN > USER > CUSTOMER; INTEGRATION (a machine calling
    with an API key) stands outside that ladder: it may call only the routes that admit it by name.
    A CUSTOMER (a shopper of the tenant) is a person below USER: `admitted_roles(Role.USER)` leaves
    it out, so only the routes that declare `role=Role.CUSTOMER` admit it."""

    PLATFORM_OWNER = "PLATFORM_OWNER"
    SUPERADMIN = "SUPERADMIN"
    USER = "USER"
    CUSTOMER = "CUSTOMER"
    INTEGRATION = "INTEGRATION"

    @property
    def rank(self) -> int:
        return {"PLATFORM_OWNER": 3, "SUPERADMIN": 2, "USER": 1, "CUSTOMER": 0, "INTEGRATION": 0}[self.value]

    @property
    def is_human(self) -> bool:
        return self is not Role.INTEGRATION


HUMAN_ROLES = (Role.PLATFORM_OWNER, Role.SUPERADMIN, Role.USER, Role.CUSTOMER)


def admitted_roles(minimum: Role, integration: bool = False) -> tuple[Role, ...]:
    """The roles a route admits: every person at or above `minimum`, and INTEGRATION when named."""
    if not minimum.is_human:
        raise ValueError("the minimum is a human role; admit INTEGRATION with integration=True")
    people = tuple(r for r in HUMAN_ROLES if r.rank >= minimum.rank)
    return (*people, Role.INTEGRATION) if integration else people


class Channel(StrEnum):
    WEB = "WEB"
    MOBILE = "MOBILE"
    POS = "POS"
    API = "API"
    MARKETPLACE = "MARKETPLACE"


class FulfillmentType(StrEnum):
    SHIP_TO_HOME = "SHIP_TO_HOME"
    STORE_PICKUP = "STORE_PICKUP"
    SHIP_FROM_STORE = "SHIP_FROM_STORE"
    CURBSIDE_PICKUP = "CURBSIDE_PICKUP"
    SAME_DAY_DELIVERY = "SAME_DAY_DELIVERY"

    @property
    def is_pickup(self) -> bool:
        return self in (FulfillmentType.STORE_PICKUP, FulfillmentType.CURBSIDE_PICKUP)

    @property
    def capability(self) -> str:
        return {
            "SHIP_TO_HOME": "can_ship",
            "SHIP_FROM_STORE": "can_ship",
            "STORE_PICKUP": "can_pickup",
            "CURBSIDE_PICKUP": "can_curbside",
            "SAME_DAY_DELIVERY": "can_same_day",
        }[self.value]


class NodeType(StrEnum):
    DISTRIBUTION_CENTER = "DISTRIBUTION_CENTER"
    RETAIL_STORE = "RETAIL_STORE"
    DARK_STORE = "DARK_STORE"
    WAREHOUSE = "WAREHOUSE"
    PICKUP_POINT = "PICKUP_POINT"


class NodeStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    MAINTENANCE = "MAINTENANCE"
    CLOSED = "CLOSED"


class AdjustmentReason(StrEnum):
    RECEIVED = "RECEIVED"
    SOLD = "SOLD"
    RETURNED = "RETURNED"
    DAMAGED = "DAMAGED"
    CYCLE_COUNT = "CYCLE_COUNT"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"
    RESERVED = "RESERVED"
    RESERVATION_RELEASED = "RESERVATION_RELEASED"
    CORRECTION = "CORRECTION"


# Reasons a person may use on POST /inventory/{id}/adjust; the others are written by the system
# (reservations, transfers, shipments) so the log always tells who moved stock and why.
MANUAL_REASONS = frozenset(
    {
        AdjustmentReason.RECEIVED,
        AdjustmentReason.SOLD,
        AdjustmentReason.RETURNED,
        AdjustmentReason.DAMAGED,
        AdjustmentReason.CYCLE_COUNT,
        AdjustmentReason.CORRECTION,
    }
)


# ------------------------------------------------------------------ identity
class Principal(BaseModel):
    """Who is calling: always taken from a verified token or API key, never from the request body.
    For an API key (role INTEGRATION) `user_id` is the key's id and `email` is empty."""

    user_id: str
    email: str
    tenant_id: str
    role: Role

    def at_least(self, role: Role) -> bool:
        """A person at or above a person's role (INTEGRATION is never "at least" anything)."""
        return self.role.is_human and role.is_human and self.role.rank >= role.rank

    @property
    def actor(self) -> str:
        """Who did it, as the audit trail and `created_by` record it."""
        if self.role is Role.INTEGRATION:
            return f"integration:{self.user_id}"
        return f"user:{self.email}"


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


# ------------------------------------------------------------------ orders
class AddressIn(Strict):
    address1: str = Field(min_length=1, max_length=200)
    address2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(default="US", min_length=2, max_length=2)
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class LineItemIn(Strict):
    sku: Sku
    product_name: str | None = Field(default=None, max_length=200)
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Money | None = Field(
        default=None, description="optional; when given it must equal the catalog price"
    )


Tag = Annotated[str, Field(max_length=50)]


class OrderFields(Strict):
    """What every new order states, whoever makes it (an API client or a channel import)."""

    channel: Channel
    fulfillment_type: FulfillmentType
    customer_email: str = Field(min_length=3, max_length=254)
    customer_name: str = Field(min_length=1, max_length=200)
    customer_phone: str | None = Field(default=None, max_length=40)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    line_items: list[LineItemIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    shipping_address: AddressIn | None = None
    pickup_node_id: str | None = Field(default=None, max_length=64)
    external_order_id: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    @field_validator("customer_email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError("not a valid email address")
        return v.lower()

    @model_validator(mode="after")
    def _fulfilment_needs(self) -> OrderFields:
        if self.fulfillment_type.is_pickup:
            if not self.pickup_node_id:
                raise ValueError(f"pickup_node_id is required for {self.fulfillment_type.value}")
        elif self.shipping_address is None:
            raise ValueError(f"shipping_address is required for {self.fulfillment_type.value}")
        seen: set[str] = set()
        for line in self.line_items:
            if line.sku in seen:
                raise ValueError(f"sku {line.sku} appears on more than one line; merge the quantities")
            seen.add(line.sku)
        return self


def _not_reserved(value: str) -> str:
    prefix = reserved_prefix(value)
    if prefix is not None:
        raise PydanticCustomError(
            "reserved_namespace",
            "'{prefix}:' is reserved for orders imported from a sales channel",
            {"prefix": prefix},
        )
    return value


ClientTag = Annotated[str, Field(max_length=50), AfterValidator(_not_reserved)]
ClientExternalId = Annotated[str, Field(max_length=100), AfterValidator(_not_reserved)]


class OrderCreate(OrderFields):
    """An order made through the API. Prices come from the catalog and the server computes every
    total, so there are no amount fields (shipping, tax, discount: ADR 0013); the channel
    namespaces of tags and external ids belong to the import paths."""

    external_order_id: ClientExternalId | None = None
    tags: list[ClientTag] = Field(default_factory=list, max_length=20)


class ChannelLineIn(LineItemIn):
    unit_price: Money  # what the channel charged for one unit (required; no catalog involved)


class ChannelOrderRequest(OrderFields):
    """An order as a connector's import states it; never parsed from an API request."""

    line_items: list[ChannelLineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)  # type: ignore[assignment]


class OrderLine(BaseModel):
    line_number: int
    sku: str
    product_name: str | None = None
    quantity: int
    unit_price: Decimal
    line_total: Decimal


class Allocation(BaseModel):
    """Part of an order assigned to one node; `state` follows its stock: reserved, shipped, released."""

    node_id: str
    node_code: str | None = None
    sku: str
    quantity: int
    item_id: str = ""  # derived from (tenant, node, sku) when not stored
    state: str = "RESERVED"  # RESERVED | SHIPPED | RELEASED | EXPIRED
    distance_km: float | None = None


class Shipment(BaseModel):
    node_id: str | None = None
    carrier: str
    tracking_number: str
    shipped_at: str
    delivered_at: str | None = None
    actual_cost: Decimal | None = None  # what the carrier charged, when it says (ADR 0023)


class Order(BaseModel):
    id: str
    tenant_id: str
    order_number: str
    status: OrderStatus  # the lifecycle phase (ADR 0035)
    status_code: str | None = None  # the tenant's status code; None (old records) = the phase
    version: int
    channel: Channel
    fulfillment_type: FulfillmentType
    customer_email: str
    customer_name: str
    customer_phone: str | None = None
    currency: str
    line_items: list[OrderLine]
    shipping_address: AddressIn | None = None
    pickup_node_id: str | None = None
    subtotal: Decimal
    shipping_amount: Decimal
    tax_amount: Decimal
    discount_amount: Decimal
    total_amount: Decimal
    external_order_id: str | None = None
    channel_link: ChannelLink | None = None  # server-owned: set by a channel import only
    notes: str | None = None
    tags: list[str] = Field(default_factory=list)
    allocations: list[Allocation] = Field(default_factory=list)
    shipments: list[Shipment] = Field(default_factory=list)
    # The trail entries the header holds: the first one and the current block (oms.domain.audit);
    # `past` digests the stored ones, `callbacks` counts this minute's applied callbacks.
    events: list[AuditEvent] = Field(default_factory=list)
    past: list[PastEntry] = Field(default_factory=list)
    past_cut: int = 0
    callbacks: CallbackWindow | None = None
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    created_by: str
    customer_user_id: str | None = None  # server-owned: the CUSTOMER account that placed it
    # server-owned, set by returns (ADR 0038); None on orders nothing was returned from
    refunded_amount: Decimal | None = None
    returned_quantities: dict[str, int] | None = None
    created_at: str
    updated_at: str

    @property
    def status_history(self) -> list[StatusChange]:
        """Derived from the audit trail (stored once, not twice)."""
        return audit.status_history(self.events, self.past)

    def public(self) -> dict[str, Any]:
        """The API representation (money as strings, no internal fields)."""
        data = self.model_dump(mode="json", exclude=_INTERNAL)
        data["status_code"] = self.code
        data["phase"] = self.status.value
        data["status_history"] = [h.model_dump(mode="json") for h in self.status_history]
        data["refunded_amount"] = str(self.refunded_amount or Decimal("0.00"))
        data["returned_quantities"] = dict(self.returned_quantities or {})
        return data

    @property
    def code(self) -> str:
        """The tenant's status code of the order (the phase's name on records from before)."""
        return self.status_code or self.status.value

    @model_validator(mode="after")
    def _derived_fields(self) -> Order:
        """Fill what the stored document leaves out because it can be derived."""
        from oms.domain.inventory import item_id_for

        for allocation in self.allocations:
            if not allocation.item_id:
                allocation.item_id = item_id_for(self.tenant_id, allocation.node_id, allocation.sku)
        audit.derive_from_status(self.events, self.past)
        if self.channel_link is None:  # imported before links were stored
            self.channel_link = legacy_link(self.created_by, self.tags, self.external_order_id)
        return self

    def as_created(self) -> Order:
        """The order exactly as its create request answered it (for idempotent replays)."""
        return self.model_copy(
            update={
                "status": self.events[0].to_status if self.events else self.status,
                "status_code": self.events[0].to_code if self.events else self.status_code,
                "version": 1,
                "allocations": [],
                "shipments": [],
                "events": self.events[:1],
                "past": [],
                "past_cut": 0,
                "callbacks": None,
                "updated_at": self.created_at,
            }
        )

    def stored(self) -> dict[str, Any]:
        """The stored document: compact (no nulls, nothing derivable), since every change
        rewrites it and DynamoDB bills writes per KB."""
        doc = self.model_dump(
            mode="json",
            exclude_none=True,
            exclude={
                "allocations": {"__all__": {"item_id", "distance_km"}},
                "events": {"__all__": {"from_status", "from_code"}},
            },
        )
        for name in ("past", "past_cut"):  # only orders with stored trail blocks have them
            if not doc.get(name):
                doc.pop(name, None)
        return doc


_INTERNAL = {"events", "past", "past_cut", "callbacks", "request_fingerprint"}


class StatusPatch(Strict):
    status: str = Field(
        min_length=2,
        max_length=40,
        pattern=r"^[A-Z][A-Z0-9_]{1,39}$",
        description="A status code of the tenant's workflow (the phase names with the default one)",
    )
    reason: str | None = Field(default=None, max_length=500)


class CancelRequest(Strict):
    reason: str | None = Field(default=None, max_length=500)


class FulfilmentEvent(Strict):
    type: FulfilmentEventType
    node_id: str | None = Field(default=None, max_length=64)
    carrier: str | None = Field(default=None, max_length=50)
    tracking_number: str | None = Field(default=None, max_length=100)
    occurred_at: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=500)
    event_id: str | None = Field(
        default=None, max_length=100, description="Sender's id; a repeated id is accepted once"
    )
    actual_cost: Money | None = Field(
        default=None,
        le=Decimal("100000"),
        description="SHIPPED or DELIVERED: what the carrier charged for the package (learning loop)",
    )

    @model_validator(mode="after")
    def _shipping_needs_tracking(self) -> FulfilmentEvent:
        if self.type == FulfilmentEventType.SHIPPED and not (self.carrier and self.tracking_number):
            raise ValueError("SHIPPED needs carrier and tracking_number")
        billed = (FulfilmentEventType.SHIPPED, FulfilmentEventType.DELIVERED)
        if self.actual_cost is not None and self.type not in billed:
            raise ValueError("actual_cost comes with SHIPPED or DELIVERED")
        return self


class ListQuery(Strict):
    status: OrderStatus | None = None
    channel: Channel | None = None
    customer_email: str | None = Field(default=None, max_length=254)
    created_from: str | None = Field(default=None, max_length=40)
    created_to: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)

    @field_validator("created_from", "created_to")
    @classmethod
    def _iso(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from oms.domain.clock import iso, parse_iso

        try:
            at = parse_iso(v)
        except (ValueError, OverflowError) as exc:  # [inbound] year 1 plus a zone overflows
            raise ValueError("must be an ISO-8601 date or time") from exc
        if not 1970 <= at.year <= 9999:  # [inbound] keys sort as text: four-digit years only
            raise ValueError("must be an ISO-8601 date or time between 1970 and 9999")
        return iso(at)

    @model_validator(mode="after")
    def _range_in_order(self) -> ListQuery:  # [inbound] an empty range is a mistake, not "no orders"
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("created_from is later than created_to")
        return self
