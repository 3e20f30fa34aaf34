"""The audit trail out of the order header (ADR 0018): blocks, digests, pages, deduplication and the
events derived from consecutive headers."""

from __future__ import annotations

from oms.domain import audit
from oms.domain import orders as rules
from oms.domain.audit import CallbackLedger, CallbackWindow
from oms.domain.events import event_id_for, events_from_change
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Order

S = OrderStatus
NOW = "2026-11-21T10:00:00.000Z"


def new_order() -> Order:
    return Order.model_validate(
        {
            "id": "o1",
            "tenant_id": "t1",
            "order_number": "ORD-20261121-ABC",
            "status": "PENDING",
            "version": 1,
            "channel": "WEB",
            "fulfillment_type": "SHIP_TO_HOME",
            "customer_email": "a@example.com",
            "customer_name": "A",
            "currency": "USD",
            "line_items": [
                {"line_number": 1, "sku": "SKU-A", "quantity": 1, "unit_price": "1.00", "line_total": "1.00"}
            ],
            "subtotal": "1.00",
            "shipping_amount": "0.00",
            "tax_amount": "0.00",
            "discount_amount": "0.00",
            "total_amount": "1.00",
            "events": [
                {"seq": 1, "type": "order.created", "at": NOW, "actor": "user:a", "to_status": "PENDING"}
            ],
            "created_by": "user:a",
            "created_at": NOW,
            "updated_at": NOW,
        }
    )


def stored_header(order: Order) -> tuple[Order, list[audit.TrailBlock], dict]:
    """What a write stores: the split order, its blocks, and the header document."""
    split, blocks = rules.split_trail(order)
    doc = split.stored()
    return split, blocks, {k: doc[k] for k in ("id", "tenant_id", "status", "version", "events") if k in doc}


def reread(split: Order) -> Order:
    """The order as the next reader gets it back (the validator derives from_status again)."""
    return Order.model_validate(split.stored())


def grow(order: Order, n: int, *, status_every: int = 3) -> tuple[Order, list[audit.TrailBlock], list]:
    """Append n entries one write at a time, as the services do; returns the last stored order,
    every block written, and the events each write's stream record yields."""
    blocks: list[audit.TrailBlock] = []
    published = []
    _, _, old_doc = stored_header(order)
    status = S.PENDING
    for i in range(n):
        if i % status_every == 0:
            status = S.PARTIALLY_DELIVERED if status != S.PARTIALLY_DELIVERED else S.DELIVERED
            changed = rules.record_event(
                order,
                "fulfilment.delivered",
                actor="wms",
                now=NOW,
                to_status=status,
                data={"event_id": f"e{i}"},
            )
        else:
            changed = rules.record_event(
                order, "order.note", actor="wms", now=NOW, data={"event_id": f"e{i}"}
            )
        split, written, new_doc = stored_header(changed)
        blocks += written
        published += events_from_change(old_doc, new_doc, "ORD-1")
        old_doc, order = new_doc, reread(split)
    return order, blocks, published


def test_a_typical_order_keeps_its_whole_trail_in_the_header_and_stores_no_block():
    order, blocks, _ = grow(new_order(), audit.TRAIL_BLOCK - 1)
    assert blocks == [] and [e.seq for e in order.events] == list(range(1, audit.TRAIL_BLOCK + 1))
    assert "past" not in order.stored() and "past_cut" not in order.stored()


def test_the_header_holds_the_first_entry_and_the_current_block_only():
    order, blocks, published = grow(new_order(), 100)
    assert [b.first for b in blocks] == [1, 17, 33, 49, 65, 81]
    assert all([e.seq for e in b.entries] == list(range(b.first, b.first + 16)) for b in blocks)
    assert [e.seq for e in order.events] == [1, *range(97, 102)]
    # every change was published exactly once, in order, with the ids it always had
    assert [e.sequence for e in published] == list(range(2, 102))
    assert [e.event_id for e in published] == [event_id_for("t1", "o1", s) for s in range(2, 102)]


def test_a_block_is_the_same_whoever_writes_it_and_splitting_twice_writes_nothing_new():
    order, _, _ = grow(new_order(), audit.TRAIL_BLOCK - 1)  # seq 1..16: the first block is full
    a = rules.record_event(order, "x.a", actor="a", now=NOW)
    b = rules.record_event(order, "x.b", actor="b", now="2026-11-21T11:00:00.000Z")  # a racing writer
    (split_a, blocks_a), (_, blocks_b) = rules.split_trail(a), rules.split_trail(b)
    assert blocks_a == blocks_b and len(blocks_a) == 1
    assert rules.split_trail(split_a)[1] == []  # the pinned first entry alone is no block


def test_status_history_and_from_status_survive_the_move_to_blocks():
    order, blocks, _ = grow(new_order(), 40)
    statuses = [h.status for h in order.status_history]
    assert statuses[0] == S.PENDING and len(statuses) == 1 + 14  # created + every third entry
    stored = [e for b in blocks for e in b.entries]
    assert [e.from_status for e in stored if e.to_status][:3] == [None, S.PENDING, S.PARTIALLY_DELIVERED]
    first_held = next(e for e in order.events if e.seq > 1 and e.to_status)
    previous = [e.to_status for e in stored if e.to_status and e.seq < first_held.seq][-1]
    assert first_held.from_status == previous
    assert order.public()["status_history"][-1]["status"] == order.status.value


def test_the_digest_of_stored_entries_is_bounded_and_dedup_asks_the_blocks_once_it_was_cut():
    order, _, _ = grow(new_order(), 150, status_every=1)
    assert len(order.past) == audit.PAST_LIMIT and order.past_cut > 0
    assert rules.seen_event(order, "e149") and rules.seen_event(order, "e100")  # header, digest
    assert not rules.seen_event(order, "e2") and rules.ask_stored_trail(order, "e2")
    small, _, _ = grow(new_order(), 40)
    assert rules.seen_event(small, "e3") and not rules.ask_stored_trail(small, "e-unknown")


def test_pages_merge_stored_blocks_with_the_header_and_resume_after_a_cursor():
    order, blocks, _ = grow(new_order(), 60)
    stored = [e for b in blocks for e in b.entries]
    first, more = audit.page(stored, order.events, 0, 25)
    assert [e.seq for e in first] == list(range(1, 26)) and more
    rest, more = audit.page(stored, order.events, 25, 100)
    assert [e.seq for e in rest] == list(range(26, 62)) and not more
    assert audit.first_missing(order.events, 0) == 2
    assert audit.first_missing(order.events, 48) is None  # the header holds 49..61


def test_a_replay_answers_as_created_after_the_trail_moved():
    fresh = new_order()
    order, _, _ = grow(fresh, 70)
    assert order.as_created().public() == fresh.public()


def test_callbacks_are_counted_per_minute_and_refusals_per_day():
    window = audit.counting(None, 100)
    assert window == CallbackWindow(minute=100, count=1)
    assert audit.applied_in(audit.counting(window, 100), 100) == 2 and audit.applied_in(window, 101) == 0
    ledger = CallbackLedger().counting("2026-11-21", 100).counting("2026-11-21", 100)
    assert (ledger.day_count, ledger.minute_count, ledger.total, ledger.version) == (2, 2, 2, 2)
    later = ledger.counting("2026-11-22", 2000)
    assert (later.day_count, later.refused_in(2000), later.refused_in(100), later.total) == (1, 1, 0, 3)
    assert audit.seconds_to_next_minute(120.2) == 60 and audit.seconds_to_next_minute(179.9) == 1


def test_a_header_stored_before_the_trail_moved_is_split_at_its_next_write():
    """Headers written before ADR 0018 hold their whole trail: the next write stores every complete
    block it no longer needs, and the events of that write are just its own entry."""
    order = new_order()
    for i in range(40):
        order = rules.record_event(order, "order.note", actor="wms", now=NOW, data={"n": i})
    old_doc = {
        k: v for k, v in order.stored().items() if k in ("id", "tenant_id", "status", "version", "events")
    }
    changed = rules.record_event(Order.model_validate(order.stored()), "order.note", actor="wms", now=NOW)
    split, blocks, new_doc = stored_header(changed)
    assert [b.first for b in blocks] == [1, 17] and [e.seq for e in split.events] == [1, *range(33, 43)]
    assert [e.sequence for e in events_from_change(old_doc, new_doc, "ORD-1")] == [42]
