"""Invoice Guard (ADR 0032): tariffs, and the billable operations of an order. Pure: no I/O.

An order is billed once when it completes (DELIVERED or PICKED_UP): one `order`, a `pick_line`
per line, a `unit` per unit, a `pack` per package (its shipments; 1 when none was recorded) and a
`label` per shipment with a tracking number (a pickup order has none). A RETURNED order adds a
`return` on the day it came back. Each such event is a `Fact`, known by (order_ref, kind), so
the same fact seen twice (a retried stream batch, two sources) is billed once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Money, Order, Strict
from oms.domain.money import money_str, to_money

OPERATIONS = ("order", "pick_line", "unit", "pack", "label", "return")
PRICE_FIELDS = {
    "order": "per_order",
    "pick_line": "per_pick_line",
    "unit": "per_unit",
    "pack": "per_pack",
    "label": "per_label",
    "return": "per_return",
}
COMPLETED = frozenset({OrderStatus.DELIVERED, OrderStatus.PICKED_UP})
RETURNED = OrderStatus.RETURNED
CREDIT_MILESTONES = ("pick_completed", "pack_completed", "shipped", "delivered")
Kind = Literal["completed", "returned"]
Share = Annotated[Decimal, Field(gt=0, le=1, max_digits=6, decimal_places=4)]


# ---------------------------------------------------------------------------- tariffs
class SlaCredit(Strict):
    """A breach of `milestone` credits `share_of_order_fee` x the tariff's per-order fee."""

    milestone: Literal["pick_completed", "pack_completed", "shipped", "delivered"]
    share_of_order_fee: Share


class TariffFields(Strict):
    name: str = Field(min_length=1, max_length=100)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    is_active: bool = True
    per_order: Money = Decimal("0")
    per_pick_line: Money = Decimal("0")
    per_unit: Money = Decimal("0")
    per_pack: Money = Decimal("0")
    per_label: Money = Decimal("0")
    per_return: Money = Decimal("0")
    sla_credits: list[SlaCredit] = Field(default_factory=list, max_length=len(CREDIT_MILESTONES))
    auto_credit_limit: Money = Decimal("0")

    @field_validator("sla_credits")
    @classmethod
    def _one_rule_per_milestone(cls, rules: list[SlaCredit]) -> list[SlaCredit]:
        seen = [r.milestone for r in rules]
        if len(seen) != len(set(seen)):
            raise ValueError("one credit rule per milestone")
        return rules


class Tariff(TariffFields):
    id: str
    version: int
    created_at: str
    updated_at: str

    def price(self, operation: str) -> Decimal:
        return Decimal(getattr(self, PRICE_FIELDS[operation]))

    def credit_share(self, milestone: str) -> Decimal | None:
        for rule in self.sla_credits:
            if rule.milestone == milestone:
                return Decimal(rule.share_of_order_fee)
        return None

    def public(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        for name in (*PRICE_FIELDS.values(), "auto_credit_limit"):
            data[name] = money_str(getattr(self, name))
        data["sla_credits"] = [
            {"milestone": r.milestone, "share_of_order_fee": str(r.share_of_order_fee.normalize())}
            for r in self.sla_credits
        ]
        return data


# ---------------------------------------------------------------------------- billable facts
@dataclass(frozen=True)
class Fact:
    """One billable event of one order: its completion or its return. `counts` by operation;
    `created_at` is the order's creation (validation checks orders created in its window)."""

    order_ref: str
    kind: Kind
    at: str
    counts: tuple[tuple[str, int], ...]
    created_at: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.order_ref, self.kind

    @property
    def day(self) -> str:
        return self.at[:10]

    def quantity(self, operation: str) -> int:
        return dict(self.counts).get(operation, 0)

    def packed(self) -> list[Any]:
        """Compact form for the ledger: [ref, kind, at, created_at, [counts in OPERATIONS order]]."""
        return [self.order_ref, self.kind, self.at, self.created_at, [self.quantity(op) for op in OPERATIONS]]

    @classmethod
    def unpacked(cls, row: list[Any]) -> Fact:
        ref, kind, at, created, numbers = row
        return cls(ref, kind, at, _counts(dict(zip(OPERATIONS, numbers, strict=True))), created)


def _counts(values: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple((op, int(values.get(op, 0))) for op in OPERATIONS if int(values.get(op, 0)))


def completion_counts(order: Order) -> dict[str, int]:
    labelled = 0 if order.fulfillment_type.is_pickup else sum(1 for s in order.shipments if s.tracking_number)
    return {
        "order": 1,
        "pick_line": len(order.line_items),
        "unit": sum(line.quantity for line in order.line_items),
        "pack": len(order.shipments) or 1,
        "label": labelled,
    }


def facts_of_order(order: Order) -> list[Fact]:
    """The billable facts an order's own record shows: its first completion and its return."""
    history = order.status_history
    facts: list[Fact] = []
    done = next((h for h in history if h.status in COMPLETED), None)
    if done is not None:
        facts.append(
            Fact(order.id, "completed", done.at, _counts(completion_counts(order)), order.created_at)
        )
    back = next((h for h in history if h.status == RETURNED), None)
    if back is not None:
        facts.append(Fact(order.id, "returned", back.at, _counts({"return": 1}), order.created_at))
    return facts


def external_facts(order_ref: str, row: Mapping[str, Any]) -> list[Fact]:
    """Facts of an external order as the radar's ingest tracked it: `counts` (lines, units,
    packages, labels, returns) summed from its events, `completed_at` (shipped), and
    `returned_at` when known (else a return is billed with the completion)."""
    facts: list[Fact] = []
    numbers = row.get("counts") or row
    done = row.get("completed_at") or row.get("delivered_at")
    if done:
        counts = {
            "order": 1,
            "pick_line": int(numbers.get("lines") or 0),
            "unit": int(numbers.get("units") or 0),
            "pack": int(numbers.get("packages") or 0) or 1,
            "label": int(numbers.get("labels") or 0),
        }
        facts.append(Fact(order_ref, "completed", str(done), _counts(counts), row.get("created_at")))
    returned_at = row.get("returned_at")
    if returned_at or int(numbers.get("returns") or 0):
        at = str(returned_at or done)
        facts.append(Fact(order_ref, "returned", at, _counts({"return": 1}), row.get("created_at")))
    return facts


def dedupe(facts: Iterable[Fact]) -> dict[tuple[str, str], Fact]:
    """One fact per (order_ref, kind): the earliest seen wins (the same event read twice)."""
    found: dict[tuple[str, str], Fact] = {}
    for fact in facts:
        kept = found.get(fact.key)
        if kept is None or fact.at < kept.at:
            found[fact.key] = fact
    return found


def quantities(facts: Iterable[Fact]) -> dict[str, int]:
    totals = dict.fromkeys(OPERATIONS, 0)
    for fact in facts:
        for op, n in fact.counts:
            totals[op] += n
    return totals


def lines(tariff: Tariff, totals: Mapping[str, int]) -> list[dict[str, str | int]]:
    """An invoice's lines: one per operation with a quantity, amount = quantity x unit price."""
    out: list[dict[str, str | int]] = []
    for op in OPERATIONS:
        n = int(totals.get(op, 0))
        if n:
            price = tariff.price(op)
            out.append(
                {
                    "operation": op,
                    "quantity": n,
                    "unit_price": money_str(price),
                    "amount": money_str(price * n),
                }
            )
    return out


def subtotal(invoice_lines: Iterable[Mapping[str, Any]]) -> Decimal:
    return to_money(sum((Decimal(str(line["amount"])) for line in invoice_lines), Decimal("0")))
