"""Invoice Guard through the API and the jobs (ADR 0032): orders driven to DELIVERED, PICKED_UP
and RETURNED on one day, the orders stream fed to the projection function (a batch retried), the
day's invoice generated and validated by the learning function, and every amount checked against
numbers worked out by hand below. One order's stream records are withheld from the ledger (a
lost batch), so validation, which reads the orders table, finds the difference.

The clock is the one clock, set to a fixed day and moved to the next when the day is closed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oms.data.keys import ORDER_BODY_SK, ORDER_SK
from oms.domain import clock
from oms.domain.invoices import invoice_id
from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable, _login
from tests.component.helpers import order_body, stream_records, wait_for_status

# One story, told in order (the CSV shows the decisions the test before it made): one worker.
pytestmark = pytest.mark.xdist_group("invoice_story")

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DAY = "2026-03-10"
SHIP = [
    "PICKING",
    "PACKING",
    "READY_TO_SHIP",
    {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z9"},
]
TARIFF = {
    "name": "Guard test",
    "per_order": "1.20",
    "per_pick_line": "0.25",
    "per_unit": "0.10",
    "per_pack": "0.50",
    "per_label": "0.35",
    "per_return": "2.00",
    "sla_credits": [{"milestone": "shipped", "share_of_order_fee": "0.5"}],
    "auto_credit_limit": "0.50",
}


class TravelClock:
    def __init__(self) -> None:
        self.started, self.offset = time.monotonic(), timedelta()

    def __call__(self) -> datetime:
        return START + self.offset + timedelta(seconds=time.monotonic() - self.started)

    def travel(self, **step: float) -> None:
        self.offset += timedelta(**step)


class FakeExceptions:
    """The radar's exception records as `repos.exceptions.in_range` gives them (CONTRACT)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.asked: list[tuple[str, str, str]] = []

    def in_range(self, tenant_id: str, since: str, until: str) -> Iterator[dict[str, Any]]:
        self.asked.append((tenant_id, since, until))
        return iter([e for e in self.items if since <= e["created_at"] < until])


@pytest.fixture(scope="module", autouse=True)
def day_clock() -> Iterator[TravelClock]:
    source = TravelClock()
    with clock.use_clock(source):
        yield source


def person(stack: Any) -> ApiClient:
    return _login(ApiClient(_api_callable(stack)), "admin@example.com", "admin123")


def drive(admin: ApiClient, order_id: str, events: list[Any]) -> None:
    for event in events:
        body = {"type": event} if isinstance(event, str) else event
        reply = admin.post(f"/orders/{order_id}/fulfillment-events", body)
        assert reply.status in (200, 202), reply
        wait_for_status(admin, order_id, {body["type"]})


def feed(stack: Any, records: list[dict[str, Any]]) -> None:
    outcome = stack.invoke("ProjectionFunction", {"Records": records})
    assert not outcome.errored and outcome.payload == {"batchItemFailures": []}, outcome.payload


@pytest.fixture(scope="module")
def story(stack: Any, day_clock: TravelClock) -> dict[str, Any]:
    """Three orders completed on DAY (each: 2 lines, 3 units): A shipped with a label, B picked
    up, C shipped and then returned. B's stream records never reach the ledger."""
    from infra.local.testing import wait_for_executions

    admin = person(stack)
    created = admin.post("/billing/tariffs", TARIFF)
    assert created.status == 201, created
    nodes = {n["code"]: n["id"] for n in admin.get("/nodes").body["items"]}
    ids = {}
    for name, fields in (
        ("A", {}),
        (
            "B",
            {
                "fulfillment_type": "STORE_PICKUP",
                "pickup_node_id": nodes["STR-CHI-01"],
                "shipping_address": None,
            },
        ),
        ("C", {}),
    ):
        reply = admin.post("/orders", order_body(customer_email=f"{name.lower()}@guard.test", **fields))
        assert reply.status == 201, reply
        ids[name] = reply.body["id"]
        wait_for_status(admin, ids[name], {"SOURCED"})
    drive(admin, ids["A"], [*SHIP, "DELIVERED"])
    drive(admin, ids["B"], ["PICKING", "PACKING", "READY_FOR_PICKUP", "PICKED_UP"])
    drive(admin, ids["C"], [*SHIP, "DELIVERED"])
    returned = admin.patch(f"/orders/{ids['C']}/status", {"status": "RETURNED", "reason": "damaged"})
    assert returned.status == 200, returned
    wait_for_executions(10)
    records = [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] in (ORDER_SK, ORDER_BODY_SK)
        and ids["B"] not in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
    # Lambda's batches, the first one failed after the ledger wrote and retried from its first
    # record: once shorter, once whole; then the rest
    head = records[:100]
    feed(stack, head[: len(head) // 2])
    feed(stack, head)
    feed(stack, head)
    for k in range(100, len(records), 100):
        feed(stack, records[k : k + 100])
    day_clock.travel(days=1)  # DAY is closed
    return {"ids": ids, "invoice_id": invoice_id("demo", DAY)}


def run(admin: ApiClient, job: str) -> dict[str, Any]:
    reply = admin.post(f"/ops/jobs/{job}/run")
    assert reply.status == 200, reply
    return dict(reply.body["result"])


def test_the_invoice_equals_the_amounts_worked_out_by_hand(stack: Any, story: dict[str, Any]) -> None:
    admin = person(stack)
    result = run(admin, "generate_invoices")
    assert [i["action"] for i in result["invoices"]] == ["created"]
    invoice = admin.get(f"/invoices/{story['invoice_id']}").body
    # the ledger has A (1 order, 2 lines, 3 units, 1 pack, 1 label) and C (the same, and a return)
    assert invoice["lines"] == [
        {"operation": "order", "quantity": 2, "unit_price": "1.20", "amount": "2.40"},
        {"operation": "pick_line", "quantity": 4, "unit_price": "0.25", "amount": "1.00"},
        {"operation": "unit", "quantity": 6, "unit_price": "0.10", "amount": "0.60"},
        {"operation": "pack", "quantity": 2, "unit_price": "0.50", "amount": "1.00"},
        {"operation": "label", "quantity": 2, "unit_price": "0.35", "amount": "0.70"},
        {"operation": "return", "quantity": 1, "unit_price": "2.00", "amount": "2.00"},
    ]
    assert invoice["subtotal"] == "7.70"  # 2.40 + 1.00 + 0.60 + 1.00 + 0.70 + 2.00
    assert (invoice["status"], invoice["order_count"], invoice["total"]) == ("DRAFT", 2, "7.70")
    assert (invoice["period_start"], invoice["period_end"]) == (
        f"{DAY}T00:00:00.000Z",
        "2026-03-11T00:00:00.000Z",
    )

    # a rerun changes nothing: the same invoice, not rewritten
    again = run(admin, "generate_invoices")
    assert [i["action"] for i in again["invoices"]] == ["unchanged"]
    assert admin.get(f"/invoices/{story['invoice_id']}").body == invoice
    listed = admin.get(f"/invoices?since={DAY}&until={DAY}").body
    assert [i["invoice_id"] for i in listed["items"]] == [story["invoice_id"]]
    assert admin.get("/invoices?status=FINAL").body["items"] == []


def test_validation_finds_the_lost_order_and_credits_the_breach(
    stack: Any, story: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.services.context import repos

    ids = story["ids"]
    exceptions = FakeExceptions()
    stamp = f"{DAY}T12:00:00.000Z"
    exceptions.items = [
        {
            "exception_id": "e-ship-a",
            "order_ref": ids["A"],
            "milestone": "shipped",
            "severity": "HIGH",
            "created_at": stamp,
        },
        {
            "exception_id": "e-pick-c",
            "order_ref": ids["C"],
            "milestone": "pick_completed",
            "created_at": stamp,
        },
        {"exception_id": "e-other", "order_ref": "ext:SO-1", "milestone": "shipped", "created_at": stamp},
    ]
    monkeypatch.setattr(repos, "exceptions", exceptions, raising=False)
    admin = person(stack)
    result = run(admin, "validate_invoices")
    assert result["invoices"][0]["adjustments_added"] == 5
    invoice = admin.get(f"/invoices/{story['invoice_id']}").body
    got = {(a["kind"], a["amount"], a["status"], a["order_ref"]) for a in invoice["adjustments"]}
    # B (pickup: 1 order, 2 lines, 3 units, 1 pack, no label) is in the orders table, not the
    # ledger; within the 0.50 limit an adjustment applies, above it waits for review
    assert got == {
        ("discrepancy", "1.20", "REVIEW", None),  # order: 1 x 1.20
        ("discrepancy", "0.50", "APPLIED", None),  # pick_line: 2 x 0.25
        ("discrepancy", "0.30", "APPLIED", None),  # unit: 3 x 0.10
        ("discrepancy", "0.50", "APPLIED", None),  # pack: 1 x 0.50
        ("sla_credit", "-0.60", "REVIEW", ids["A"]),  # 0.5 x 1.20, A's shipped breach
    }
    assert invoice["status"] == "REVIEW"
    assert invoice["adjustments_total"] == "1.30"  # 0.50 + 0.30 + 0.50
    assert invoice["total"] == "9.00"  # 7.70 + 1.30

    # a rerun adds nothing, and neither job rewrites a validated invoice
    assert run(admin, "validate_invoices")["invoices"][0]["action"] == "kept"
    assert [i["action"] for i in run(admin, "generate_invoices")["invoices"]] == ["kept"]
    assert admin.get(f"/invoices/{story['invoice_id']}").body == invoice

    by_kind = {a["kind"] + a["amount"]: a["adjustment_id"] for a in invoice["adjustments"]}
    base = f"/invoices/{story['invoice_id']}/adjustments"
    approved = admin.post(f"{base}/{by_kind['discrepancy1.20']}/approve")
    assert approved.status == 200, approved
    assert (approved.body["status"], approved.body["total"]) == ("REVIEW", "10.20")  # 9.00 + 1.20
    rejected = admin.post(f"{base}/{by_kind['sla_credit-0.60']}/reject")
    assert rejected.status == 200, rejected
    assert (rejected.body["status"], rejected.body["adjustments_total"], rejected.body["total"]) == (
        "VALIDATED",
        "2.50",
        "10.20",
    )
    decided = {a["adjustment_id"]: a for a in rejected.body["adjustments"]}
    assert decided[by_kind["discrepancy1.20"]]["decided_by"] == "admin@example.com"
    twice = admin.post(f"{base}/{by_kind['discrepancy1.20']}/reject")
    assert (twice.status, twice.body["error"]["code"]) == (409, "already_decided")
    applied = admin.post(f"{base}/{by_kind['discrepancy0.30']}/approve")
    assert (applied.status, applied.body["error"]["code"]) == (409, "already_decided")
    user = _login(ApiClient(_api_callable(stack)), "user@example.com", "user123")
    assert user.post(f"{base}/{by_kind['discrepancy0.50']}/approve").status == 403


def test_the_csv_has_the_lines_the_adjustments_and_the_totals(stack: Any, story: dict[str, Any]) -> None:
    admin = person(stack)
    reply = admin.get(f"/invoices/{story['invoice_id']}.csv")
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("text/csv")
    rows = [line.split(",") for line in str(reply.body).splitlines()]
    assert ["invoice_id", story["invoice_id"]] in rows
    assert ["order", "2", "1.20", "2.40"] in rows
    assert ["return", "1", "2.00", "2.00"] in rows
    assert ["total", "10.20"] in rows
    credits = [r for r in rows if len(r) == 7 and r[1] == "sla_credit"]
    assert [(r[2], r[3], r[5]) for r in credits] == [("REJECTED", story["ids"]["A"], "-0.60")]
    assert admin.get("/invoices/INV-20990101-00000000.csv").status == 404
