"""What a client sends about returns (issue 13, ADR 0038): the reasons, resolutions and
conditions, the tenant's return policy and the request bodies. Pure."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from oms.domain.clock import parse_iso
from oms.domain.models import MAX_LINES_PER_ORDER, Sku, Strict
from oms.domain.money import to_money


class ReturnReason(StrEnum):
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"
    WRONG_ITEM = "WRONG_ITEM"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    NO_LONGER_NEEDED = "NO_LONGER_NEEDED"
    SIZE_OR_FIT = "SIZE_OR_FIT"
    OTHER = "OTHER"


class Resolution(StrEnum):
    REFUND = "REFUND"
    EXCHANGE = "EXCHANGE"
    STORE_CREDIT = "STORE_CREDIT"


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"
    REFUNDED = "REFUNDED"
    EXCHANGED = "EXCHANGED"
    CREDITED = "CREDITED"


class Condition(StrEnum):
    SELLABLE = "SELLABLE"
    DAMAGED = "DAMAGED"


class RefundShipping(StrEnum):
    NEVER = "NEVER"
    FULL_RETURN = "FULL_RETURN"
    ALWAYS = "ALWAYS"


# ------------------------------------------------------------------ policy
class ReturnPolicyIn(Strict):
    """PUT /return-policy: the whole policy (fields left out take the defaults)."""

    return_window_days: int = Field(default=30, ge=0, le=365)
    restocking_fee_percent: Decimal = Field(
        default=Decimal("0"), ge=0, le=100, max_digits=5, decimal_places=2
    )
    restocking_fee_reasons: list[ReturnReason] = Field(
        default_factory=lambda: [ReturnReason.NO_LONGER_NEEDED, ReturnReason.SIZE_OR_FIT], max_length=7
    )
    refund_shipping: RefundShipping = RefundShipping.NEVER
    return_shipping_fee: Decimal = Field(
        default=Decimal("0.00"), ge=0, le=100000, max_digits=14, decimal_places=2
    )
    auto_approve: bool = False

    @field_validator("restocking_fee_reasons")
    @classmethod
    def _unique(cls, v: list[ReturnReason]) -> list[ReturnReason]:
        return list(dict.fromkeys(v))


class ReturnPolicy(ReturnPolicyIn):
    updated_at: str | None = None
    updated_by: str | None = None

    def public(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["restocking_fee_percent"] = format(self.restocking_fee_percent.normalize(), "f")
        data["return_shipping_fee"] = str(to_money(self.return_shipping_fee))
        return data


DEFAULT_POLICY = ReturnPolicy()


# ------------------------------------------------------------------ requests
class ReturnLineIn(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=100_000)
    reason: ReturnReason


class ExchangeLineIn(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=100_000)


class ReturnCreate(Strict):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    resolution: Resolution = Resolution.REFUND
    exchange_lines: list[ExchangeLineIn] | None = Field(default=None, max_length=MAX_LINES_PER_ORDER)
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> ReturnCreate:
        skus = [line.sku for line in self.lines]
        if len(set(skus)) != len(skus):
            raise ValueError("a sku appears on more than one line; merge the quantities")
        if self.exchange_lines is not None:
            if self.resolution is not Resolution.EXCHANGE:
                raise ValueError("exchange_lines come with resolution EXCHANGE")
            if not self.exchange_lines:
                raise ValueError("exchange_lines must not be empty")
            ex = [line.sku for line in self.exchange_lines]
            if len(set(ex)) != len(ex):
                raise ValueError("a sku appears on more than one exchange line")
        return self


class DecisionIn(Strict):
    note: str | None = Field(default=None, max_length=1000)


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class ReceiptLineIn(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=100_000)
    condition: Condition


class ReceiveRequest(Strict):
    node_id: str = Field(min_length=1, max_length=64)
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)


class ReturnListQuery(Strict):
    status: ReturnStatus | None = None
    order_id: str | None = Field(default=None, max_length=100)
    resolution: Resolution | None = None
    created_from: str | None = Field(default=None, max_length=40)
    created_to: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)

    @field_validator("created_from", "created_to")
    @classmethod
    def _iso(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from oms.domain.clock import iso

        try:
            return iso(parse_iso(v))
        except (ValueError, OverflowError) as exc:
            raise ValueError("must be an ISO-8601 date or time") from exc
