"""Invoice Guard's pure parts (ADR 0032): billable facts of an order, the days a run invoices, the
lines and credits with amounts worked out by hand, and the ledger's write for a retried batch."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from oms.domain import invoices as inv
from oms.domain.billing import Fact, Tariff, dedupe, external_facts, facts_of_order, lines, quantities
from oms.domain.models import Order
from oms.domain.projections import OrderChange
from oms.services import billing_ledger

AT = "2026-05-04T10:00:00.000Z"
TARIFF = Tariff.model_validate(
    {
        "id": "t",
        "version": 3,
        "created_at": AT,
        "updated_at": AT,
        "name": "T",
        "per_order": "1.20",
        "per_pick_line": "0.25",
        "per_unit": "0.10",
        "per_pack": "0.50",
        "per_label": "0.35",
        "per_return": "2.00",
        "sla_credits": [{"milestone": "shipped", "share_of_order_fee": "0.5"}],
        "auto_credit_limit": "0.50",
    }
)


def body(order_id: str, fulfillment: str = "SHIP_TO_HOME") -> dict[str, Any]:
    return {
        "id": order_id,
        "tenant_id": "t1",
        "order_number": f"ORD-{order_id}",
        "channel": "WEB",
        "fulfillment_type": fulfillment,
        "customer_email": "a@b.test",
        "customer_name": "A",
        "currency": "USD",
        "line_items": [
            {"line_number": 1, "sku": "S1", "quantity": 4, "unit_price": "1.00", "line_total": "4.00"},
            {"line_number": 2, "sku": "S2", "quantity": 1, "unit_price": "1.00", "line_total": "1.00"},
            {"line_number": 3, "sku": "S3", "quantity": 2, "unit_price": "1.00", "line_total": "2.00"},
        ],
        "subtotal": "7.00",
        "shipping_amount": "0",
        "tax_amount": "0",
        "discount_amount": "0",
        "total_amount": "7.00",
        "created_by": "user:x",
        "created_at": "2026-05-03T08:00:00.000Z",
    }


def header(order_id: str, statuses: list[tuple[str, str]], shipments: int = 0) -> dict[str, Any]:
    return {
        "id": order_id,
        "tenant_id": "t1",
        "status": statuses[-1][0],
        "version": len(statuses),
        "shipments": [
            {"carrier": "UPS", "tracking_number": f"1Z{k}", "shipped_at": AT} for k in range(shipments)
        ],
        "events": [
            {"seq": k + 1, "type": "x", "at": at, "actor": "system", "to_status": status}
            for k, (status, at) in enumerate(statuses)
        ],
        "updated_at": statuses[-1][1],
    }


def order(
    order_id: str, statuses: list[tuple[str, str]], shipments: int = 0, fulfillment: str = "SHIP_TO_HOME"
) -> Order:
    return Order.model_validate({**body(order_id, fulfillment), **header(order_id, statuses, shipments)})


DELIVERED = [
    ("PENDING", "2026-05-03T08:00:00.000Z"),
    ("SHIPPED", "2026-05-03T20:00:00.000Z"),
    ("DELIVERED", AT),
]


def test_a_delivered_order_in_two_parcels_and_a_pickup_order() -> None:
    shipped = facts_of_order(order("o1", DELIVERED, shipments=2))
    assert [(f.kind, f.day, dict(f.counts)) for f in shipped] == [
        ("completed", "2026-05-04", {"order": 1, "pick_line": 3, "unit": 7, "pack": 2, "label": 2})
    ]
    pickup = order(
        "o2", [("PENDING", AT), ("PICKED_UP", "2026-05-04T18:00:00.000Z")], fulfillment="STORE_PICKUP"
    )
    assert dict(facts_of_order(pickup)[0].counts) == {"order": 1, "pick_line": 3, "unit": 7, "pack": 1}
    back = facts_of_order(order("o3", [*DELIVERED, ("RETURNED", "2026-05-06T09:00:00.000Z")], shipments=1))
    assert [(f.kind, f.day) for f in back] == [("completed", "2026-05-04"), ("returned", "2026-05-06")]
    assert facts_of_order(order("o4", [("PENDING", AT), ("SHIPPED", AT)], shipments=1)) == []


def test_lines_and_credits_by_hand() -> None:
    facts = dedupe(
        [
            *facts_of_order(
                order("o1", DELIVERED, shipments=2)
            ),  # 1 order, 3 lines, 7 units, 2 packs, 2 labels
            *facts_of_order(order("o1", DELIVERED, shipments=2)),  # the same fact again: once
            *external_facts(
                "ext:SO-1", {"completed_at": AT, "lines": 1, "units": 2, "labels": 1, "returns": 1}
            ),
        ]
    )
    assert quantities(facts.values()) == {
        "order": 2,
        "pick_line": 4,
        "unit": 9,
        "pack": 3,
        "label": 3,
        "return": 1,
    }
    invoice = inv.draft("t1", "2026-05-04", TARIFF, facts, AT)
    # 2 x 1.20 + 4 x 0.25 + 9 x 0.10 + 3 x 0.50 + 3 x 0.35 + 1 x 2.00 = 2.40+1.00+0.90+1.50+1.05+2.00
    assert [line["amount"] for line in invoice["lines"]] == ["2.40", "1.00", "0.90", "1.50", "1.05", "2.00"]
    assert (invoice["subtotal"], invoice["order_count"], invoice["tariff_version"]) == ("8.85", 2, 3)
    assert invoice["invoice_id"] == inv.invoice_id("t1", "2026-05-04") != inv.invoice_id("t2", "2026-05-04")

    found = [
        {"exception_id": "e1", "order_ref": "o1", "milestone": "shipped"},
        {"exception_id": "e1", "order_ref": "o1", "milestone": "shipped"},  # read twice: one credit
        {"exception_id": "e2", "order_ref": "o1", "milestone": "delivered"},  # no rule
        {"exception_id": "e3", "order_ref": "o9", "milestone": "shipped"},  # not on this invoice
    ]
    credits = inv.sla_credits(invoice, TARIFF, ["o1", "ext:SO-1"], found)
    assert [(c["amount"], c["status"]) for c in credits] == [("-0.60", "REVIEW")]  # 0.60 > 0.50
    again = inv.sla_credits(invoice, TARIFF, ["o1"], found)
    assert again[0]["adjustment_id"] == credits[0]["adjustment_id"]
    fewer = inv.discrepancies(invoice, TARIFF, {**quantities(facts.values()), "unit": 11})
    assert [(a["reason"], a["amount"], a["status"]) for a in fewer] == [
        ("unit: 9 billed, 11 in the orders' records", "0.20", "APPLIED")
    ]
    summary = inv.summarise({**invoice, "status": inv.VALIDATED}, [*credits, *fewer])
    assert (summary["status"], summary["adjustments_total"], summary["total"]) == ("REVIEW", "0.20", "9.05")
    assert lines(TARIFF, {"order": 0}) == []


@pytest.mark.parametrize(
    ("now", "lookback", "days_back", "expected"),
    [
        ("2026-05-05T02:00:00", 24, None, ["2026-05-04"]),
        ("2026-05-05T02:00:00", 48, None, ["2026-05-03", "2026-05-04"]),
        ("2026-05-05T00:00:00", 1, None, ["2026-05-04"]),
        ("2026-05-05T23:00:00", 12, None, []),  # yesterday ended 23 h ago
        ("2026-05-05T02:00:00", 24, 3, ["2026-05-02", "2026-05-03", "2026-05-04"]),
    ],
)
def test_closed_days(now: str, lookback: int, days_back: int | None, expected: list[str]) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert inv.closed_days(moment, lookback, days_back) == expected


class MemoryLedger:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], list[Fact]] = {}

    def put_ledger_items(self, items: Any, expires: int) -> None:
        for tenant, day, first, facts in items:
            self.items[(tenant, day, first)] = list(facts)


def test_a_retried_batch_rewrites_its_items_and_bills_each_order_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = MemoryLedger()
    monkeypatch.setattr(billing_ledger, "ledger", memory)
    monkeypatch.setattr(billing_ledger, "_bodies", lambda tenant, ids: {i: body(i) for i in ids})

    def done(seq: int, oid: str) -> OrderChange:
        old = header(oid, DELIVERED[:2], shipments=1)
        new = header(oid, DELIVERED, shipments=1)
        return OrderChange(str(seq), "t1", oid, "header", old, new, None)

    noise = OrderChange(
        "99", "t1", "o9", "header", header("o9", DELIVERED[:1]), header("o9", DELIVERED[:1]), None
    )
    batch = [done(100, "o1"), noise, done(102, "o2"), done(103, "o3")]
    billing_ledger.apply(batch[:2])  # the first attempt got this far
    billing_ledger.apply(batch)  # Lambda retries from the same first record
    billing_ledger.apply(batch)
    billing_ledger.apply([noise])  # a batch without billable changes writes nothing
    assert list(memory.items) == [("t1", "2026-05-04", "100")]
    facts = dedupe(f for found in memory.items.values() for f in found)
    assert sorted(ref for ref, _ in facts) == ["o1", "o2", "o3"]
    assert quantities(facts.values())["unit"] == 21 and Decimal(TARIFF.per_unit) * 21 == Decimal("2.10")
