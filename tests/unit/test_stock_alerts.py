"""Stock alert rules (ADR 0039): the level's alert, every transition, redeliveries, out-of-order
records, the scan overtaking the stream, a deleted item; and the stream decoder feeding them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from oms.data.stock_stream import stock_changes
from oms.domain.stock_alerts import (
    NOTHING,
    AlertKind,
    AlertState,
    ItemAlert,
    Look,
    Transition,
    alert_id_for,
    decide,
    event_id_for,
    event_payload,
    event_type,
    kind_for,
)
from oms.services.stock_alerts import look_from_change

LOW, OUT = AlertKind.LOW_STOCK, AlertKind.OUT_OF_STOCK


def look(available: int | None, version: int, reorder: int = 5, source: str = "stream", **kw) -> Look:
    return Look(
        tenant_id="t1",
        item_id="i1",
        node_id="n1",
        sku="SKU-1",
        product_name="Widget",
        available=available,
        reorder_level=reorder,
        version=version,
        source=source,  # type: ignore[arg-type]
        at=f"2026-01-01T00:00:{version:02d}Z",
        sequence=kw.pop("sequence", str(100 + version)),
        **kw,
    )


def run(*looks: Look, start: ItemAlert | None = None) -> tuple[ItemAlert | None, list[Transition]]:
    """Apply looks in order as the service does: store what a decision says."""
    current, transitions = start, []
    for one in looks:
        decision = decide(current, one)
        if decision.alert is not None:
            current = decision.alert
        if decision.transition is not None:
            transitions.append(decision.transition)
    return current, transitions


@pytest.mark.parametrize(
    ("available", "reorder", "kind"),
    [(0, 5, OUT), (-2, 5, OUT), (0, 0, OUT), (1, 5, LOW), (5, 5, LOW), (6, 5, None), (3, 0, None)],
)
def test_the_level_says_which_alert(available: int, reorder: int, kind: AlertKind | None) -> None:
    assert kind_for(available, reorder) == kind


def test_a_fine_item_stores_nothing() -> None:
    assert decide(None, look(20, 2)) == NOTHING


def test_raise_escalate_deescalate_resolve() -> None:
    current, steps = run(look(4, 2), look(0, 3), look(2, 4), look(9, 5))
    assert steps == [Transition.RAISED, Transition.ESCALATED, Transition.DEESCALATED, Transition.RESOLVED]
    assert current is not None
    assert current.state == AlertState.RESOLVED and current.kind == LOW and current.available == 9
    assert current.alert_id == alert_id_for("t1", "i1", 1) and current.raises == 1
    assert current.transitions == 4 and current.pending and current.applied_version == 5
    assert current.raised_at == "2026-01-01T00:00:02Z" and current.resolved_at == "2026-01-01T00:00:05Z"


def test_out_of_stock_raised_directly_and_resolved_by_a_lower_reorder_level() -> None:
    current, steps = run(look(0, 1), look(3, 2), look(3, 3, reorder=2))
    assert steps == [Transition.RAISED, Transition.DEESCALATED, Transition.RESOLVED]
    assert current is not None and current.state == AlertState.RESOLVED


def test_a_resolution_is_kept_as_history_and_a_new_crossing_is_a_new_alert() -> None:
    first, _ = run(look(4, 1), look(10, 2))
    resolved = decide(replace(first, pending=False) if first else None, look(10, 3))
    assert resolved == NOTHING
    decision = decide(first, look(3, 4))
    assert decision.transition == Transition.RAISED and decision.alert is not None
    assert decision.alert.alert_id == alert_id_for("t1", "i1", 2) != alert_id_for("t1", "i1", 1)
    assert decision.alert.raises == 2 and decision.alert.resolved_at is None
    closing = decide(decision.alert, look(50, 5))
    assert closing.resolved is not None and closing.resolved.alert_id == decision.alert.alert_id


def test_a_redelivered_record_raises_nothing_twice() -> None:
    current, steps = run(look(4, 2), look(3, 3))
    assert steps == [Transition.RAISED]  # 4 -> 3 is the same LOW alert, its figure refreshed
    assert current is not None and current.available == 3
    for again in (look(4, 2), look(3, 3)):
        assert decide(current, again) == NOTHING


def test_an_older_record_after_a_newer_one_is_ignored() -> None:
    current, _ = run(look(0, 5))
    assert decide(current, look(4, 4)) == NOTHING  # version 4 was overtaken by 5
    resolved, _ = run(look(20, 6), start=current)
    assert decide(resolved, look(0, 5)) == NOTHING


def test_the_scan_and_the_stream_agree_whoever_comes_first() -> None:
    by_scan, steps = run(look(0, 7, source="scan", sequence=None))
    assert steps == [Transition.RAISED] and by_scan is not None and by_scan.source == "scan"
    assert decide(by_scan, look(0, 7)) == NOTHING  # the stream's record of the same write
    assert decide(by_scan, look(3, 6)) == NOTHING  # an older record arriving late
    by_stream, _ = run(look(0, 7))
    assert decide(by_stream, look(0, 7, source="scan", sequence=None)) == NOTHING


def test_a_changed_reorder_level_alone_raises_or_resolves() -> None:
    current, steps = run(look(8, 1, reorder=5), look(8, 2, reorder=10))
    assert steps == [Transition.RAISED] and current is not None and current.reorder_level == 10
    _, steps = run(look(8, 3, reorder=3), start=current)
    assert steps == [Transition.RESOLVED]


def test_an_unchanged_open_alert_writes_nothing() -> None:
    current, _ = run(look(3, 1))
    assert decide(current, look(3, 2)) == NOTHING


def test_a_deleted_item_closes_its_alert_without_an_event() -> None:
    current, _ = run(look(0, 3))
    decision = decide(current, look(None, 4, sequence="200"))
    assert decision.transition == Transition.RESOLVED and decision.alert is not None
    assert decision.alert.deleted and not decision.alert.pending and decision.resolved is not None
    gone = decision.alert
    assert decide(gone, look(None, 4, sequence="200")) == NOTHING  # the delete redelivered
    assert decide(gone, look(0, 2, sequence="150")) == NOTHING  # a record of its old life
    reborn = decide(gone, look(0, 1, sequence="300", created=True))
    assert reborn.transition == Transition.RAISED and reborn.alert is not None
    assert not reborn.alert.deleted and reborn.alert.raises == 2


def test_a_deleted_item_without_an_alert_is_remembered_as_deleted() -> None:
    decision = decide(None, look(None, 4))
    assert decision.alert is not None and decision.alert.deleted and decision.transition is None


def test_events_have_one_id_per_transition_and_the_contract_payload() -> None:
    current, _ = run(look(0, 1))
    assert current is not None
    assert event_type(current) == "inventory.out_of_stock"
    payload = event_payload(current)
    assert payload == {
        "alert_id": current.alert_id,
        "sku": "SKU-1",
        "node_id": "n1",
        "product_name": "Widget",
        "kind": "OUT_OF_STOCK",
        "available": 0,
        "reorder_level": 5,
        "raised_at": "2026-01-01T00:00:01Z",
    }
    low, _ = run(look(2, 2), start=current)
    assert low is not None and event_type(low) == "inventory.low_stock"
    done, _ = run(look(20, 3), start=low)
    assert done is not None and event_type(done) == "inventory.restocked"
    ids = {event_id_for("t1", "i1", n) for n in (1, 2, 3)}
    assert len(ids) == 3 and event_id_for("t1", "i1", 1) == event_id_for("t1", "i1", 1)


def _image(available: int, version: int, reorder: int = 5) -> dict:
    return {
        "pk": {"S": "T#t1#I#i1"},
        "sk": {"S": "ITEM"},
        "tenant_id": {"S": "t1"},
        "item_id": {"S": "i1"},
        "node_id": {"S": "n1"},
        "sku": {"S": "SKU-1"},
        "product_name": {"S": "Widget"},
        "on_hand": {"N": str(available)},
        "reserved": {"N": "0"},
        "available": {"N": str(available)},
        "reorder_level": {"N": str(reorder)},
        "version": {"N": str(version)},
    }


def _record(old: dict | None, new: dict | None, seq: str) -> dict:
    change: dict = {"Keys": {"pk": {"S": "T#t1#I#i1"}, "sk": {"S": "ITEM"}}, "SequenceNumber": seq}
    if old:
        change["OldImage"] = old
    if new:
        change["NewImage"] = new
    return {"eventName": "MODIFY", "dynamodb": change}


def test_stream_records_become_looks_through_the_shared_decoder() -> None:
    records = [
        _record(None, _image(8, 1), "1"),
        _record(_image(8, 1), _image(2, 2), "2"),
        _record(_image(2, 2), None, "3"),
    ]
    looks = [look_from_change(c, "2026-01-01T00:00:00Z") for c in stock_changes(records)]
    assert [(x.available, x.version, x.created, x.sequence) for x in looks] == [
        (8, 1, True, "1"),
        (2, 2, False, "2"),
        (None, 3, False, "3"),
    ]
    assert looks[1].source == "stream" and looks[1].reorder_level == 5
    final, steps = run(*looks)
    assert steps == [Transition.RAISED, Transition.RESOLVED] and final is not None and final.deleted


def test_the_alert_events_are_subscribable() -> None:
    from oms.domain.events import SUBSCRIBABLE_EVENT_TYPES
    from oms.domain.stock_alerts import STOCK_ALERT_EVENT_TYPES

    assert set(STOCK_ALERT_EVENT_TYPES) <= set(SUBSCRIBABLE_EVENT_TYPES)
