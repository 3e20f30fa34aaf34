"""Events from systems that manage orders elsewhere (`POST /ingest/{source}`), validated per
source: which event types a source may send and what its `data` may carry (CONTRACT.md "Ingest").
A wrong type for the source or a bad field is a pydantic error, which the API answers with 422
`invalid_event`. Unknown keys in `data` are refused too: a typo would silently lose a fact."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oms.domain.clock import iso

IdText = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/@+=-]+$")]
ShortText = Annotated[str, Field(min_length=1, max_length=128)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class Source(StrEnum):
    WMS = "wms"
    SHOPIFY = "shopify"
    CARRIER = "carrier"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ShopifyData(_Data):
    channel: ShortText | None = None
    fulfillment_type: ShortText | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    total_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    shipping_country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    lines: Count | None = None
    units: Count | None = None


class PickData(_Data):
    lines: Count | None = None
    units: Count | None = None
    node: ShortText | None = None


class PackData(_Data):
    packages: Count | None = None
    node: ShortText | None = None


class LabelData(_Data):
    labels: Count | None = None
    carrier: ShortText | None = None
    node: ShortText | None = None


class CarrierData(_Data):
    carrier: ShortText | None = None
    tracking_number: ShortText | None = None
    reason: Annotated[str, Field(max_length=500)] | None = None


# source -> event type -> the model of its data
EVENT_TYPES: dict[Source, dict[str, type[_Data]]] = {
    Source.SHOPIFY: {"order_paid": ShopifyData},
    Source.WMS: {
        "pick_started": PickData,
        "pick_completed": PickData,
        "pack_completed": PackData,
        "ship_label_printed": LabelData,
    },
    Source.CARRIER: {
        "shipped": CarrierData,
        "delivered": CarrierData,
        "delivery_failed": CarrierData,
        "returned": CarrierData,
    },
}
NO_DEADLINE = frozenset({"delivery_failed", "returned"})  # facts and counts, not milestones


class IngestEvent(BaseModel):
    """One event as the sender states it; `data` is checked against the source and type."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: IdText
    event_type: ShortText
    external_order_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/@+=#-]+$")]
    occurred_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("occurred_at needs a time zone (e.g. 2026-11-30T10:00:00Z)")
        return v

    @property
    def at(self) -> str:
        return iso(self.occurred_at)


class ValidEvent(BaseModel):
    """An event valid for its source: `facts` is its checked data."""

    source: Source
    event: IngestEvent
    facts: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _check(cls, values: Any) -> Any:
        source, event = values["source"], values["event"]
        kinds = EVENT_TYPES[Source(source)]
        if event.event_type not in kinds:
            raise ValueError(
                f"event_type {event.event_type!r} is not sent by {Source(source).value}; "
                f"expected one of {', '.join(sorted(kinds))}"
            )
        data = kinds[event.event_type].model_validate(event.data)
        values["facts"] = data.model_dump(mode="json", exclude_none=True)
        return values


def validate(source: str, body: Any) -> ValidEvent:
    """The event, or pydantic.ValidationError (including for an unknown source)."""
    event = IngestEvent.model_validate(body)
    return ValidEvent.model_validate({"source": source, "event": event})
