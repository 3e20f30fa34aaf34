"""The SLA radar's cheaper paths (ADR 0031, refined): an order registers only its next deadline;
the sweep, judging it, registers the one after (for on-time orders too; reached milestones
skipped, past deadlines judged at once, nothing after the last or for a cancelled order), with one
write per target minute, split past 100 entries, idempotent on a rerun after a crash. Ingest
records an event's id on the tracked order in the same conditional update, judges a redelivery
again (a crash between storing and judging is repaired), and bounds the events of an order.

Same travelling clock as test_radar (each test a week after the one before)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from oms.data.keys import ORDER_BODY_SK, ORDER_SK
from oms.domain import clock
from oms.domain.clock import iso
from oms.domain.errors import Conflict
from oms.domain.models import Principal, Role
from oms.domain.sla_deadlines import DueRef, bucket_of, due_refs, plan_for
from oms.domain.sla_policy import DEMO_POLICY, SlaPolicy, SlaPolicyFields
from oms.services import radar_ingest, radar_sweep
from tests.component.helpers import order_body, stream_records, wait_for_status
from tests.component.test_radar import Fresh, TravelClock, _event, _exceptions, _sweep, travel, who

__all__ = ["travel", "who"]  # fixtures shared with test_radar
TENANT = "demo"


def _indexed(order_ref: str) -> list[tuple[str, str]]:
    """(kind, milestone) of the order's entries in the index, from 6 days before to 5 days after."""
    now = clock.utcnow()
    found: list[DueRef] = []
    for offset in range(-6, 6):
        found += radar_ingest.radar.due(
            TENANT, (now + timedelta(days=offset)).date().isoformat(), "00:00", "23:59"
        )
    return sorted((r.kind, r.milestone.value) for r in found if r.order_ref == order_ref)


def _kinds(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((e["milestone"], e["kind"], e["severity"]) for e in found)


def test_an_external_order_chains_its_deadlines_through_the_sweep(
    who: Fresh, invoke: Any, travel: TravelClock
) -> None:
    admin = who.admin
    ext = f"CHN-{uuid.uuid4().hex[:8]}"
    assert _event(admin, "shopify", "order_paid", ext, clock.utcnow()).status == 202
    assert _indexed(f"ext:{ext}") == [("D", "pick_completed")]  # only the next deadline

    travel.travel(minutes=125)  # pick missed: a breach, its critical threshold, and pack is next
    _sweep(invoke)
    assert _indexed(f"ext:{ext}") == [
        ("C", "pick_completed"),
        ("D", "pack_completed"),
        ("D", "pick_completed"),
    ]
    travel.travel(minutes=120)  # 245 min: pack missed too; pick past 150 %: critical
    admin = who.admin
    _sweep(invoke)
    assert _kinds(_exceptions(admin, f"ext:{ext}")) == [
        ("pack_completed", "absence", "MEDIUM"), ("pick_completed", "absence", "CRITICAL")
    ]  # fmt: skip
    assert ("D", "shipped") in _indexed(f"ext:{ext}")
    _sweep(invoke)  # a rerun adds nothing
    assert len(_exceptions(admin, f"ext:{ext}")) == 2


def test_reached_milestones_are_skipped_and_the_chain_ends_when_done(
    who: Fresh, invoke: Any, travel: TravelClock
) -> None:
    admin = who.admin
    ext = f"SKP-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    _event(admin, "shopify", "order_paid", ext, paid)
    _event(admin, "carrier", "shipped", ext, paid + timedelta(minutes=10), carrier="UPS")  # pick, pack too
    travel.travel(minutes=125)  # pick met: pack and shipped reached already, delivery is next
    _sweep(invoke)
    assert _indexed(f"ext:{ext}") == [("D", "delivered"), ("D", "pick_completed")]
    admin = who.admin
    assert _event(admin, "carrier", "delivered", ext, clock.utcnow()).status == 202
    travel.travel(hours=96)  # delivered in time: nothing left to register
    admin = who.admin
    _sweep(invoke)
    assert _indexed(f"ext:{ext}") == [("D", "delivered"), ("D", "pick_completed")]
    assert _exceptions(admin, f"ext:{ext}") == []


def test_deadlines_already_past_when_the_sweep_registers_them_are_judged_at_once(
    who: Fresh, invoke: Any, travel: TravelClock
) -> None:
    admin = who.admin
    ext = f"OUT-{uuid.uuid4().hex[:8]}"
    _event(admin, "shopify", "order_paid", ext, clock.utcnow())
    _sweep(invoke)
    travel.travel(minutes=250)  # no sweep ran: pick (120) and pack (240) both passed
    admin = who.admin
    _sweep(invoke)
    assert _kinds(_exceptions(admin, f"ext:{ext}")) == [
        ("pack_completed", "absence", "MEDIUM"), ("pick_completed", "absence", "CRITICAL")
    ]  # fmt: skip
    assert ("D", "shipped") in _indexed(f"ext:{ext}")


def test_an_own_order_picked_before_its_clock_is_seen_gets_its_pack_deadline_then_stops_when_cancelled(
    stack: Any, who: Fresh, invoke: Any, travel: TravelClock
) -> None:
    admin = who.admin
    order = admin.post("/orders", order_body(customer_name="Radar Chain")).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    for step in ("PICKING", "PACKING"):  # PACKING: the pick is complete
        assert admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": step}).status in (200, 202)
        wait_for_status(admin, order["id"], {step})
    records = [
        r
        for r in stream_records(stack)
        if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]
        and r["dynamodb"]["Keys"]["sk"]["S"] in (ORDER_SK, ORDER_BODY_SK)
    ]
    assert invoke("ProjectionFunction", {"Records": records}) == {"batchItemFailures": []}
    assert _indexed(order["id"]) == [("D", "pack_completed")]  # picked already: pack is next

    travel.travel(minutes=245)  # never packed
    admin = who.admin
    _sweep(invoke)
    assert [(e["milestone"], e["kind"]) for e in _exceptions(admin, order["id"])] == [
        ("pack_completed", "absence")
    ]
    assert ("D", "shipped") in _indexed(order["id"])
    assert admin.post(f"/orders/{order['id']}/cancel", {"reason": "customer"}).status == 200
    wait_for_status(admin, order["id"], {"CANCELLED"})
    travel.travel(minutes=1200)  # past the ship deadline: a cancelled order raises and registers nothing
    admin = who.admin
    _sweep(invoke)
    assert [e["milestone"] for e in _exceptions(admin, order["id"])] == ["pack_completed"]
    assert ("D", "delivered") not in _indexed(order["id"])


def test_an_own_order_on_time_at_its_pick_deadline_chains_to_pack(
    stack: Any, who: Fresh, invoke: Any, travel: TravelClock
) -> None:
    admin = who.admin
    order = admin.post("/orders", order_body(customer_name="Radar Chain 2")).body
    wait_for_status(admin, order["id"], {"SOURCED"})

    def project() -> None:
        mine = [
            r
            for r in stream_records(stack)
            if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]
            and r["dynamodb"]["Keys"]["sk"]["S"] in (ORDER_SK, ORDER_BODY_SK)
        ]
        assert invoke("ProjectionFunction", {"Records": mine}) == {"batchItemFailures": []}

    project()
    assert _indexed(order["id"]) == [("D", "pick_completed")]
    for step in ("PICKING", "PACKING"):
        assert admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": step}).status in (200, 202)
        wait_for_status(admin, order["id"], {step})
    project()
    travel.travel(minutes=125)  # the pick deadline passes with the pick done: pack gets registered
    _sweep(invoke)
    assert _indexed(order["id"]) == [("D", "pack_completed"), ("D", "pick_completed")]
    travel.travel(minutes=120)
    admin = who.admin
    _sweep(invoke)
    assert [(e["milestone"], e["kind"]) for e in _exceptions(admin, order["id"])] == [
        ("pack_completed", "absence")
    ]


def test_a_sweep_rerun_after_a_crash_writes_the_same_items(
    who: Fresh, travel: TravelClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = who.admin
    ext = f"CRS-{uuid.uuid4().hex[:8]}"
    _event(admin, "shopify", "order_paid", ext, clock.utcnow())
    radar_sweep.sweep_tenant(TENANT)
    travel.travel(minutes=125)

    def crash(tenant_id: str, through: str) -> None:
        raise RuntimeError("the sweep died before its watermark")

    monkeypatch.setattr(radar_sweep.radar, "set_swept_through", crash)
    with pytest.raises(RuntimeError):
        radar_sweep.sweep_tenant(TENANT)
    monkeypatch.undo()
    travel.travel(seconds=30)
    radar_sweep.sweep_tenant(TENANT)
    from oms.data.radar import bucket_pk
    from oms.data.records import DeadlineBucketRecord

    pack_at = clock.utcnow() - timedelta(minutes=125, seconds=30) + timedelta(minutes=240)
    day, minute = bucket_of(pack_at)
    holding = [
        r.sk
        for r in DeadlineBucketRecord.query(
            bucket_pk(TENANT, day), DeadlineBucketRecord.sk.startswith(minute[:4])
        )
        if any(f"|ext:{ext}|pack_completed|" in text for text in r.refs or ())
    ]
    assert len(holding) == 1, holding  # the rerun added the same entry to the same item
    assert len(_exceptions(who.admin, f"ext:{ext}")) == 1


def test_a_minute_with_many_deadlines_is_split_into_items_of_100(stack: Any, travel: TravelClock) -> None:
    fields = SlaPolicyFields.model_validate(DEMO_POLICY)
    policy = SlaPolicy(**fields.model_dump(), id="p-split", version=1, created_at="x", updated_at="x")
    start = iso(clock.utcnow().replace(second=0, microsecond=0))
    refs = [due_refs(plan_for(f"ext:SPLIT-{i:03d}", policy, {}, start))[0] for i in range(250)]
    repo = radar_ingest.radar
    assert repo.add_due(TENANT, refs, "s-split") == 3
    assert repo.add_due(TENANT, refs, "s-split") == 3  # the same items again: no change
    day, minute = refs[0].bucket
    from oms.data.radar import bucket_pk
    from oms.data.records import DeadlineBucketRecord

    items = list(
        DeadlineBucketRecord.query(
            bucket_pk(TENANT, day), DeadlineBucketRecord.sk.startswith(f"{minute}#s-split")
        )
    )
    assert sorted(len(r.refs) for r in items) == [50, 100, 100]
    found = [r for r in repo.due(TENANT, day, minute, minute) if r.order_ref.startswith("ext:SPLIT-")]
    assert sorted(r.encode() for r in found) == sorted(r.encode() for r in refs)


def test_a_redelivery_after_a_crash_is_judged_and_a_plain_duplicate_changes_nothing(
    who: Fresh, travel: TravelClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = who.admin
    ext = f"RDL-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    _event(admin, "shopify", "order_paid", ext, paid)
    travel.travel(minutes=130)
    body = {"event_id": f"{ext}-pick", "event_type": "pick_completed", "external_order_id": ext,
            "occurred_at": iso(paid + timedelta(minutes=130))}  # fmt: skip

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("died between storing the event and judging it")

    monkeypatch.setattr(radar_ingest, "_judge", crash)
    principal = Principal(user_id="k1", email="", tenant_id=TENANT, role=Role.INTEGRATION)
    with pytest.raises(RuntimeError):
        radar_ingest.ingest(principal, "wms", body)
    monkeypatch.undo()
    assert radar_ingest.radar.tracked(TENANT, ext)["milestones"]["pick_completed"]  # stored, not judged
    admin = who.admin
    assert _exceptions(admin, f"ext:{ext}") == []

    again = admin.post("/ingest/wms", body)  # the sender's retry repairs the verdict
    assert again.status == 200 and again.body["duplicate"] is True
    assert [(b["milestone"], b["kind"]) for b in again.body["breaches"]] == [("pick_completed", "late")]
    third = admin.post("/ingest/wms", body)
    assert third.status == 200 and third.body["breaches"] == []
    assert [(e["milestone"], e["late_minutes"]) for e in _exceptions(admin, f"ext:{ext}")] == [
        ("pick_completed", 10)
    ]
    assert radar_ingest.radar.tracked(TENANT, ext)["events"] == 2  # the effect was stored once


def test_an_order_takes_a_bounded_number_of_events(who: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(radar_ingest, "MAX_EVENTS", 3)
    admin = who.admin
    ext = f"LIM-{uuid.uuid4().hex[:8]}"
    first = {"event_id": f"{ext}-0", "event_type": "order_paid", "external_order_id": ext,
             "occurred_at": iso(clock.utcnow())}  # fmt: skip
    assert admin.post("/ingest/shopify", first).status == 202
    for kind in ("pick_started", "pick_completed"):
        assert _event(admin, "wms", kind, ext, clock.utcnow()).status == 202
    refused = _event(admin, "wms", "pack_completed", ext, clock.utcnow())
    assert refused.status == 409 and refused.body["error"]["code"] == "too_many_events", refused
    assert ext in refused.body["error"]["message"] and "cirrus" not in str(refused.body).lower()
    assert admin.post("/ingest/shopify", first).status == 200  # a duplicate is still a duplicate


def test_the_tracked_item_refuses_a_stale_version_and_a_recorded_event(stack: Any) -> None:
    repo = radar_ingest.radar
    ext = f"VER-{uuid.uuid4().hex[:8]}"
    doc = radar_ingest.new_tracked(ext, "wms", iso(clock.utcnow()))
    assert repo.apply_event(TENANT, "wms:e1", doc, None) is True
    with pytest.raises(Conflict) as stale:
        repo.apply_event(TENANT, "wms:e2", {**doc, "events": 1}, None)  # someone created it first
    assert stale.value.code == "concurrent_update"
    assert repo.apply_event(TENANT, "wms:e1", {**doc, "events": 9}, 1) is False  # recorded already
    tracked, seen = repo.tracked_with_events(TENANT, ext)
    assert tracked is not None and tracked["version"] == 1 and seen == {"wms:e1"}
    assert repo.apply_event(TENANT, "wms:e2", {**doc, "events": 1}, 1) is True
    assert repo.tracked_with_events(TENANT, ext)[1] == {"wms:e1", "wms:e2"}


def test_an_on_time_event_reads_no_exception_and_one_reported_late_still_closes_a_breach(
    who: Fresh, invoke: Any, travel: TravelClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.services.context import repos

    admin = who.admin
    reads: list[str] = []
    real_get = repos.exceptions.get

    def counting(tenant_id: str, exception_id: str) -> Any:
        reads.append(exception_id)
        return real_get(tenant_id, exception_id)

    monkeypatch.setattr(repos.exceptions, "get", counting)
    ext = f"ONT-{uuid.uuid4().hex[:8]}"
    paid = clock.utcnow()
    _event(admin, "shopify", "order_paid", ext, paid)
    on_time = _event(admin, "wms", "pick_completed", ext, paid + timedelta(minutes=30))
    assert on_time.status == 202 and on_time.body["breaches"] == [] and reads == []

    travel.travel(minutes=245)  # pack (240) missed: an absence breach
    admin = who.admin
    _sweep(invoke)
    [breach] = _exceptions(admin, f"ext:{ext}")
    assert (breach["milestone"], breach["breach_open"]) == ("pack_completed", True)
    # the warehouse reports, late, a pack done in time: the breach closes, with no late minutes
    closing = _event(admin, "wms", "pack_completed", ext, paid + timedelta(minutes=200))
    assert [(b["exception_id"], b["breach_open"]) for b in closing.body["breaches"]] == [
        (breach["exception_id"], False)
    ]
    assert admin.get(f"/exceptions/{breach['exception_id']}").body["late_minutes"] == 0
