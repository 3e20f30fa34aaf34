"""The SLA radar through the API (ADR 0031): ingested events of external orders, breaches by
absence (the sla_sweep job over the deadline index) and by a late event, each raising exactly
one exception whatever is replayed; multipliers applied; out-of-order events; 422s; policies;
the exceptions API; Cirrus's own orders through the orders stream's read model.

The clock is the one clock set to a fixed Wednesday (plus real time passing), moved forward
when a deadline must pass, so the tests pass on any date."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oms.data.keys import ORDER_BODY_SK, ORDER_SK
from oms.domain import clock
from oms.domain.clock import iso
from tests.component.apiclient import ApiClient
from tests.component.conftest import _login
from tests.component.helpers import order_body, stream_records, wait_for_status

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
SATURDAY = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


class TravelClock:
    """Real time passing from START, plus the time the story jumps. Each test starts a week after
    the one before (same weekday): the sweep's watermark never stands in a test's future."""

    weeks = 0

    def __init__(self) -> None:
        TravelClock.weeks += 1
        self.started, self.offset = time.monotonic(), timedelta(weeks=TravelClock.weeks)

    def __call__(self) -> datetime:
        return START + self.offset + timedelta(seconds=time.monotonic() - self.started)

    def travel(self, **step: float) -> None:
        self.offset += timedelta(**step)


@pytest.fixture
def travel(stack: Any) -> Iterator[TravelClock]:
    source = TravelClock()
    with clock.use_clock(source):
        yield source


class Fresh:
    """Signed-in clients made on demand: a token lives an hour of the clock, which travels."""

    def __init__(self, anon: ApiClient) -> None:
        self.anon = anon

    @property
    def admin(self) -> ApiClient:
        return _login(self.anon, "admin@example.com", "admin123")

    @property
    def user(self) -> ApiClient:
        return _login(self.anon, "user@example.com", "user123")


@pytest.fixture
def who(travel: TravelClock, anon: ApiClient) -> Fresh:
    return Fresh(anon)


def _event(client: ApiClient, source: str, kind: str, ext: str, at: datetime, **data: Any) -> Any:
    return client.post(
        f"/ingest/{source}",
        {"event_id": f"{ext}-{kind}-{uuid.uuid4().hex[:6]}", "event_type": kind,
         "external_order_id": ext, "occurred_at": iso(at), "data": data},
    )  # fmt: skip


def _sweep(invoke: Any) -> dict[str, Any]:
    return dict(invoke("LearningFunction", {"job": "sla_sweep", "tenant_id": "demo"}))


def _exceptions(client: ApiClient, order_ref: str) -> list[dict[str, Any]]:
    reply = client.get(f"/exceptions?order_ref={order_ref}&limit=200")
    assert reply.status == 200, reply
    return list(reply.body["items"])


def test_an_absence_breach_raises_one_exception_and_the_late_event_closes_it(who, invoke, travel) -> None:
    admin = who.admin
    ext = f"ABS-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    assert _event(admin, "shopify", "order_paid", ext, paid, channel="WEB").status == 202
    assert _sweep(invoke)["breaches"] == 0 or not _exceptions(admin, f"ext:{ext}")

    travel.travel(minutes=125)  # the 120-minute pick window has passed, nothing arrived
    admin = who.admin
    _sweep(invoke)
    found = _exceptions(admin, f"ext:{ext}")
    assert [(e["milestone"], e["kind"], e["breach_open"], e["severity"]) for e in found] == [
        ("pick_completed", "absence", True, "MEDIUM")
    ]
    assert found[0]["analysis"]["label"] == "PICK_DELAY" and found[0]["analysis"]["analyst"] == "rules"
    _sweep(invoke)  # a rerun over the same minutes adds nothing
    assert len(_exceptions(admin, f"ext:{ext}")) == 1

    late = _event(admin, "wms", "pick_completed", ext, clock.utcnow(), lines=2, units=3)
    assert late.status == 202
    assert [b["exception_id"] for b in late.body["breaches"]] == [found[0]["exception_id"]]
    closed = admin.get(f"/exceptions/{found[0]['exception_id']}").body
    assert closed["breach_open"] is False and closed["late_minutes"] >= 5 and closed["observed_at"]
    assert len(_exceptions(admin, f"ext:{ext}")) == 1

    travel.travel(minutes=70)  # 180 min: past critical_pct (150 %) - but the pick arrived
    admin = who.admin
    _sweep(invoke)
    assert admin.get(f"/exceptions/{found[0]['exception_id']}").body["severity"] == "MEDIUM"


def test_an_open_breach_escalates_to_critical(who, invoke, travel) -> None:
    admin = who.admin
    ext = f"ESC-{uuid.uuid4().hex[:8]}"
    assert _event(admin, "shopify", "order_paid", ext, clock.utcnow()).status == 202
    travel.travel(minutes=121)
    admin = who.admin
    _sweep(invoke)
    travel.travel(minutes=60)  # 181 min of 120: past 150 %
    admin = who.admin
    _sweep(invoke)
    pick = [e for e in _exceptions(admin, f"ext:{ext}") if e["milestone"] == "pick_completed"]
    assert [(e["severity"], e["breach_open"]) for e in pick] == [("CRITICAL", True)]


def test_a_late_event_raises_one_exception_and_a_replay_adds_none(who, invoke, travel) -> None:
    admin = who.admin
    ext = f"LATE-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    _event(admin, "shopify", "order_paid", ext, paid)
    travel.travel(minutes=130)
    admin = who.admin
    body = {"event_id": f"{ext}-pick", "event_type": "pick_completed", "external_order_id": ext,
            "occurred_at": iso(paid + timedelta(minutes=130))}  # fmt: skip
    first = admin.post("/ingest/wms", body)
    assert first.status == 202 and not first.body["duplicate"]
    assert [(b["milestone"], b["kind"], b["breach_open"]) for b in first.body["breaches"]] == [
        ("pick_completed", "late", False)
    ]
    again = admin.post("/ingest/wms", body)
    assert again.status == 200 and again.body == {
        "event_id": f"{ext}-pick", "duplicate": True, "order_ref": f"ext:{ext}", "breaches": []
    }  # fmt: skip
    _sweep(invoke)
    found = _exceptions(admin, f"ext:{ext}")
    assert [(e["milestone"], e["kind"], e["late_minutes"]) for e in found] == [("pick_completed", "late", 10)]


def test_multipliers_are_applied(who, travel) -> None:
    admin = who.admin
    cases = [
        (START, {}, 1.0, 120),
        (SATURDAY, {}, 1.5, 180),  # weekend
        (START, {"fulfillment_type": "SAME_DAY_DELIVERY"}, 0.5, 60),
        (START, {"tags": ["vip"]}, 0.75, 90),
        (SATURDAY, {"tags": ["vip", "gift"]}, 1.125, 135),  # both: factors multiply
        (START, {"total_amount": "42.00", "currency": "USD"}, 1.0, 120),  # an amount is stored as text
    ]
    for at, data, factor, pick_window in cases:
        ext = f"MUL-{uuid.uuid4().hex[:8]}"
        assert _event(admin, "shopify", "order_paid", ext, at, **data).status == 202
        timeline = admin.get(f"/sla/orders/ext:{ext}/timeline").body
        assert timeline["factor"] == factor, (data, timeline)
        pick = next(m for m in timeline["milestones"] if m["milestone"] == "pick_completed")
        assert pick["deadline"] == iso(at + timedelta(minutes=pick_window))


def test_out_of_order_events(who, travel) -> None:
    admin = who.admin
    ext = f"OOO-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow() - timedelta(minutes=100)
    # the carrier and the warehouse speak before the shop: nothing is judged without a clock
    shipped = _event(admin, "carrier", "shipped", ext, paid + timedelta(minutes=90), carrier="UPS")
    assert shipped.status == 202 and shipped.body["breaches"] == []
    pick = _event(admin, "wms", "pick_completed", ext, paid + timedelta(minutes=30), lines=4, units=9)
    assert pick.body["breaches"] == []
    started = _event(admin, "shopify", "order_paid", ext, paid)
    assert started.status == 202 and started.body["breaches"] == []  # shipped at 90 min: all in time
    timeline = admin.get(f"/sla/orders/ext:{ext}/timeline").body
    states = {m["milestone"]: m["state"] for m in timeline["milestones"]}
    assert states["pick_completed"] == "met" and states["pack_completed"] == "met"  # implied by shipped
    assert states["shipped"] == "met" and states["delivered"] in ("open", "at_risk")
    assert _exceptions(admin, f"ext:{ext}") == []
    from oms.services.context import repos  # noqa: F401
    from oms.services.radar_ingest import radar

    tracked = radar.tracked("demo", ext)
    assert tracked is not None and tracked["counts"]["lines"] == 4 and tracked["counts"]["units"] == 9
    assert tracked["completed_day"] == (paid + timedelta(minutes=90)).date().isoformat()
    assert [d["external_order_id"] for d in radar.completed_between(
        "demo", iso(paid), iso(paid + timedelta(days=1)))].count(ext) == 1  # fmt: skip


@pytest.mark.parametrize(
    ("source", "body", "where"),
    [
        ("wms", {"event_type": "order_paid"}, "body"),  # the shop's event, from the warehouse
        ("carrier", {"event_type": "shipped", "data": {"colour": "red"}}, "colour"),
        ("wms", {"event_type": "pick_completed", "data": {"lines": -1}}, "lines"),
        ("wms", {"event_type": "pick_completed", "occurred_at": "2026-03-04T10:00:00"}, "occurred_at"),
        ("fax", {"event_type": "pick_completed"}, "body"),
    ],
)
def test_a_bad_event_is_422_invalid_event(who, source, body, where) -> None:
    admin = who.admin
    event = {"event_id": f"bad-{uuid.uuid4().hex[:6]}", "external_order_id": "BAD-1",
             "occurred_at": "2026-03-04T10:00:00Z", **body}  # fmt: skip
    reply = admin.post(f"/ingest/{source}", event)
    assert reply.status == 422 and reply.body["error"]["code"] == "invalid_event", reply
    assert where in str(reply.body["error"]["details"]) or where == "body"


def test_policies_one_default_and_lint_friendly_errors(who) -> None:
    admin = who.admin
    user = who.user
    before = admin.get("/sla/policies").body["items"]
    old_default = next(p for p in before if p["is_default"])
    base = {
        "name": "Express",
        "pick_minutes": 30,
        "pack_minutes": 60,
        "ship_minutes": 240,
        "delivery_hours": 24,
    }
    made = admin.post("/sla/policies", {**base, "is_default": True})
    assert made.status == 201, made
    policies = {p["id"]: p for p in admin.get("/sla/policies").body["items"]}
    assert [p["id"] for p in policies.values() if p["is_default"]] == [made.body["id"]]
    assert user.post("/sla/policies", base).status == 403
    colour = {"when": {"field": "colour", "operator": "EQUALS", "value": "x"}, "factor": 2}
    bad = admin.post("/sla/policies", {**base, "multipliers": [colour]})
    assert bad.status == 422 and bad.body["error"]["details"][0]["loc"][:3] == ["body", "multipliers", "0"]
    stale = admin.patch(f"/sla/policies/{made.body['id']}", {"expected_version": 7, "name": "x"})
    assert stale.status == 409 and stale.body["error"]["code"] == "version_conflict"
    undefaulted = admin.get(f"/sla/policies/{old_default['id']}").body
    assert undefaulted["is_default"] is False and undefaulted["version"] == old_default["version"] + 1
    back = admin.patch(f"/sla/policies/{old_default['id']}", {"expected_version": undefaulted["version"],
                                                               "is_default": True})  # fmt: skip
    assert back.status == 200, back
    assert admin.get(f"/sla/policies/{made.body['id']}").body["is_default"] is False
    assert admin.delete(f"/sla/policies/{made.body['id']}").status == 204
    assert admin.get(f"/sla/policies/{made.body['id']}").status == 404


def test_exceptions_are_acknowledged_and_resolved(who, travel) -> None:
    admin = who.admin
    user = who.user
    ext = f"ACK-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    _event(admin, "shopify", "order_paid", ext, paid)
    late = _event(admin, "wms", "pick_completed", ext, paid + timedelta(minutes=200))
    eid = late.body["breaches"][0]["exception_id"]
    assert late.body["breaches"][0]["severity"] == "CRITICAL"  # 200 of 120 min: past 150 %
    listed = user.get("/exceptions?severity=CRITICAL&status=OPEN&label=PICK_DELAY&limit=200").body["items"]
    assert eid in [e["exception_id"] for e in listed]
    ack = user.post(f"/exceptions/{eid}/acknowledge", {"expected_version": 1})
    assert ack.status == 200 and ack.body["status"] == "ACKNOWLEDGED" and ack.body["version"] == 2
    assert user.post(f"/exceptions/{eid}/acknowledge", {}).status == 409
    assert user.post(f"/exceptions/{eid}/resolve", {"note": ""}).status == 422
    done = user.post(f"/exceptions/{eid}/resolve", {"note": "picked by the night shift"})
    assert done.status == 200 and done.body["status"] == "RESOLVED" and done.body["resolved_by"]
    assert user.post(f"/exceptions/{eid}/resolve", {"note": "again"}).status == 409
    assert user.get(f"/exceptions/{uuid.uuid4()}").status == 404
    radar = user.get("/sla/radar").body
    assert set(radar["open_by_severity"]) == {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
    assert "PICK_DELAY" in radar["open_by_label"] and isinstance(radar["at_risk"], list)


def test_own_orders_from_the_stream_breach_once(stack, who, invoke, travel) -> None:
    admin = who.admin
    order = admin.post("/orders", order_body(customer_name="Radar Own")).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    keys = [(r, r["dynamodb"]["Keys"]) for r in stream_records(stack)]
    records = [
        r for r, k in keys if order["id"] in k["pk"]["S"] and k["sk"]["S"] in (ORDER_SK, ORDER_BODY_SK)
    ]
    assert invoke("ProjectionFunction", {"Records": records}) == {"batchItemFailures": []}
    assert invoke("ProjectionFunction", {"Records": records}) == {"batchItemFailures": []}  # a retried batch
    timeline = admin.get(f"/sla/orders/{order['id']}/timeline").body
    assert timeline["factor"] == 1.0 and timeline["clock_started_at"]
    travel.travel(minutes=125)  # no pick by its deadline
    admin = who.admin
    _sweep(invoke)
    _sweep(invoke)
    found = _exceptions(admin, order["id"])
    assert [(e["milestone"], e["kind"], e["order_id"], e["source"]) for e in found] == [
        ("pick_completed", "absence", order["id"], "oms")
    ]


def test_a_late_clock_waits_for_its_events_before_judging_absence(who, invoke, travel) -> None:
    """`order_paid` arriving after the pick and pack deadlines passed (a feed catching up): the
    missing milestones are judged after the grace, not at once. Events that then arrive and show
    the work was done in time leave no exception; an order whose events never come gets one per
    missed milestone, once."""
    admin = who.admin
    paid = clock.utcnow() - timedelta(hours=5)  # pick (120 min) and pack (240 min) deadlines passed
    on_time, missing = f"LATE-OK-{uuid.uuid4().hex[:6]}", f"LATE-NO-{uuid.uuid4().hex[:6]}"
    for ext in (on_time, missing):
        answer = _event(admin, "shopify", "order_paid", ext, paid, channel="WEB")
        assert (answer.status, answer.body["breaches"]) == (202, [])
    # an event of a milestone without a deadline judges nothing (it was judging every milestone)
    started = _event(admin, "wms", "pick_started", missing, paid + timedelta(minutes=5))
    assert (started.status, started.body["breaches"]) == (202, [])
    assert (
        _event(admin, "wms", "pick_completed", on_time, paid + timedelta(minutes=60)).body["breaches"] == []
    )
    assert (
        _event(admin, "wms", "pack_completed", on_time, paid + timedelta(minutes=90)).body["breaches"] == []
    )
    _sweep(invoke)
    assert _exceptions(admin, f"ext:{missing}") == []  # still within the grace

    travel.travel(minutes=6)  # past the grace (5 min)
    admin = who.admin
    _sweep(invoke)
    assert _exceptions(admin, f"ext:{on_time}") == []
    found = _exceptions(admin, f"ext:{missing}")
    assert sorted((e["milestone"], e["kind"]) for e in found) == [
        ("pack_completed", "absence"),
        ("pick_completed", "absence"),
    ]
    _sweep(invoke)
    assert len(_exceptions(admin, f"ext:{missing}")) == 2


def test_an_absence_breach_a_late_event_disproves_is_withdrawn(who, invoke, travel) -> None:
    """The sweep raised an absence breach; then the pick's event arrives, late, saying the pick was
    done before the deadline: there was no breach, so the exception is resolved by the radar (and
    `exception.resolved` goes out), while one a person resolved first keeps their note."""
    admin = who.admin
    ext = f"WDR-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    assert _event(admin, "shopify", "order_paid", ext, paid).status == 202
    travel.travel(minutes=125)
    admin = who.admin
    _sweep(invoke)
    (raised,) = _exceptions(admin, f"ext:{ext}")
    assert (raised["kind"], raised["status"], raised["breach_open"]) == ("absence", "OPEN", True)

    done = paid + timedelta(minutes=100)  # before the 120-minute deadline
    answer = _event(admin, "wms", "pick_completed", ext, done)
    assert answer.status == 202
    withdrawn = admin.get(f"/exceptions/{raised['exception_id']}").body
    assert (withdrawn["status"], withdrawn["breach_open"], withdrawn["resolved_by"]) == (
        "RESOLVED",
        False,
        "system:radar",
    )
    assert withdrawn["observed_at"] == iso(done) and "Withdrawn" in withdrawn["resolution_note"]
    assert admin.get(f"/exceptions?order_ref=ext:{ext}&status=OPEN").body["items"] == []
