"""The judgements of a chaos run: each check finds the fault it is there for, and passes a sound run."""

from __future__ import annotations

from typing import Any

from infra.local.chaos_checks import check_dead_letters, check_events, check_orders, check_stock


def _entry(seq: int, kind: str, to: str | None = None, **data: Any) -> dict[str, Any]:
    return {"seq": seq, "type": kind, "from_status": None, "to_status": to, "data": data}


TRAIL = [
    _entry(1, "order.created", "PENDING"),
    _entry(2, "order.confirmed", "CONFIRMED"),
    _entry(3, "fulfilment.picking", "PICKING", event_id="e1"),
]


def test_orders_at_rest_pass_and_stuck_or_double_applied_ones_do_not() -> None:
    orders = {
        "a": {"status": "DELIVERED"},
        "b": {
            "status": "FAILED",
            "status_history": [{"status": "FAILED", "reason": "Lambda.ServiceException"}],
        },
    }
    sound = check_orders(orders, {"a": TRAIL, "b": TRAIL})
    assert sound.problems == [] and sound.figures["states"] == {"DELIVERED": 1, "FAILED": 1}
    stuck = check_orders({"a": {"status": "PICKING"}}, {"a": TRAIL})
    assert stuck.problems == ["order a stuck in PICKING; its trail ends ['1:order.created', "
                              "'2:order.confirmed', '3:fulfilment.picking(e1)']"]  # fmt: skip
    twice = check_orders(
        {"a": {"status": "DELIVERED"}},
        {"a": [*TRAIL, _entry(4, "fulfilment.picking", "PICKING", event_id="e1")]},
    )
    assert any("callback e1 applied 2 times" in p for p in twice.problems)
    assert any("written twice" in p for p in twice.problems)
    unexplained = check_orders({"a": {"status": "FAILED", "status_history": [{"status": "FAILED"}]}}, {})
    assert unexplained.problems == ["order a is FAILED without a reason"]
    duplicated = check_orders({"a": {"status": "DELIVERED"}}, {"a": TRAIL}, stored={"a", "z"})
    assert duplicated.problems == ["1 orders nobody created on purpose (a retried create?): ['z']"]
    crashed = check_orders({"a": {"status": "FAILED", "status_history": [{"reason": "QueryError"}]}}, {})
    assert crashed.problems == ["order a FAILED because of QueryError, not a fault the run injects"]


ITEM = {"on_hand": 10, "reserved": 2, "available": 8, "committed": 0}


def _stock(after: dict[str, Any], reservations: list[dict[str, Any]], orders: dict[str, Any], adj=()) -> Any:
    return check_stock({"i1": ITEM}, {"i1": after}, reservations, list(adj), orders)


def test_balanced_stock_passes() -> None:
    reservations = [
        {"item_id": "i1", "order_id": "o1", "quantity": 2, "state": "ACTIVE"},
        {"item_id": "i1", "order_id": "o2", "quantity": 3, "state": "COMMITTED"},
    ]
    orders = {
        "o1": {"status": "SOURCED", "allocations": [{"item_id": "i1", "quantity": 2, "state": "RESERVED"}]},
        "o2": {"status": "DELIVERED", "allocations": [{"item_id": "i1", "quantity": 3, "state": "SHIPPED"}]},
    }
    outcome = _stock({"on_hand": 7, "reserved": 2, "available": 5}, reservations, orders)
    assert outcome.problems == [] and outcome.figures["balanced"] is True
    assert outcome.figures["shipped_units"] == 3


def test_each_kind_of_imbalance_is_found() -> None:
    active = [{"item_id": "i1", "order_id": "o1", "quantity": 2, "state": "ACTIVE"}]
    reserved_order = {
        "o1": {"status": "SOURCED", "allocations": [{"item_id": "i1", "quantity": 2, "state": "RESERVED"}]}
    }
    drift = _stock({"on_hand": 10, "reserved": 3, "available": 7}, active, reserved_order)
    assert drift.problems == ["i1: reserved 3 but ACTIVE reservations hold 2"]
    arithmetic = _stock({"on_hand": 10, "reserved": 2, "available": 9}, active, reserved_order)
    assert arithmetic.problems == ["i1: available 9 != on_hand 10 - reserved 2"]
    vanished = _stock({"on_hand": 9, "reserved": 2, "available": 7}, active, reserved_order)
    assert vanished.problems == ["i1: on_hand fell by 1 but 0 were shipped"]
    done_but_holding = {
        "o1": {"status": "CANCELLED", "allocations": [{"item_id": "i1", "quantity": 2, "state": "RESERVED"}]}
    }
    held = _stock({"on_hand": 10, "reserved": 2, "available": 8}, active, done_but_holding)
    assert held.problems == ["order o1 is CANCELLED but still holds {'i1': 2}"]
    released_but_active = {
        "o1": {"status": "CANCELLED", "allocations": [{"item_id": "i1", "quantity": 2, "state": "RELEASED"}]}
    }
    leak = _stock({"on_hand": 10, "reserved": 2, "available": 8}, active, released_but_active)
    assert any("ACTIVE reservations {'i1': 2} but RESERVED allocations {}" in p for p in leak.problems)
    corrected = _stock(
        {"on_hand": 10, "reserved": 2, "available": 8},
        active,
        reserved_order,
        adj=[{"reason": "CORRECTION", "item_id": "i1", "reserved_before": 3, "reserved_after": 2}],
    )
    assert corrected.problems[0].startswith("reserved drift repaired on i1: 3 -> 2")


def _delivery(order: str, seq: int, event_id: str, kind: str = "order.x") -> dict[str, Any]:
    return {"body": {"id": event_id, "type": kind, "data": {"order_id": order, "sequence": seq}}}


def test_events_one_id_per_change_every_change_announced() -> None:
    trails = {"a": TRAIL}
    sound = [
        _delivery("a", 1, "id1"),
        _delivery("a", 2, "id2"),
        _delivery("a", 3, "id3"),
        _delivery("a", 3, "id3"),
    ]
    outcome = check_events(sound, trails)
    assert outcome.problems == [] and outcome.figures["same_id_redelivered"] == 1
    double = check_events([*sound, _delivery("a", 3, "other")], trails)
    assert double.problems == ["order a change 3 announced under 2 event ids: ['id3', 'other']"]
    assert double.figures["changes_with_two_ids"] == 1
    lost = check_events(sound[:2], trails)
    assert lost.problems == ["order a change 3 was never announced"]
    assert check_events(sound[:2], trails, dead_event_ids=["a:3"]).problems == []  # explained by a DLQ
    changed = check_events([*sound, _delivery("a", 3, "id3", kind="order.y")], trails)
    assert changed.problems == ["event id3 delivered with 2 different bodies"]
    phantom = check_events([*sound, _delivery("a", 9, "id9")], trails)
    assert phantom.problems == ["order a: events for changes [9] not in its trail"]
    # stock alerts' events (ADR 0039) belong to no order: counted, not judged as order changes
    alerts = [_delivery("", 1, "alert-1", kind="inventory.low_stock"), _delivery("", 1, "alert-2")]
    mixed = check_events([*sound, *alerts], trails)
    assert mixed.problems == [] and mixed.figures["other_events"] == 2


def test_dead_letters_need_a_fault_for_every_delivery() -> None:
    body = '{"order_id": "a", "sequence": 3}'
    explained = {
        "WebhookDeadLetterQueue": [
            {
                "message_id": "m1",
                "body": body,
                "ledger": [
                    "lambda_before",
                    "sqs_redeliver",
                    "lambda_after",
                    "item_failure (throttles=2)",
                    "sqs_redeliver",
                ],
            }
        ]
    }
    outcome, dead_events = check_dead_letters(explained)
    assert outcome.problems == [] and dead_events == ["a:3"]
    assert outcome.figures == {"by_queue": {"WebhookDeadLetterQueue": 1}, "total": 1}
    real_failure = {
        "WebhookDeadLetterQueue": [{"message_id": "m2", "body": body, "ledger": ["item_failure"] * 5}]
    }
    assert "unexplained" in check_dead_letters(real_failure)[0].problems[0]
    unknown = {"ConnectorDeadLetterQueue": [{"message_id": "m3", "body": "{}", "ledger": []}]}
    assert "unexplained" in check_dead_letters(unknown)[0].problems[0]
