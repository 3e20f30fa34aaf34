"""The label job's judgement of one order, on fixed data: which outcomes it labels and with what
score (the seed's formula, from the order's own history, shipments and the carrier's bill)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from oms.domain.clock import iso, parse_iso
from oms.domain.lifecycle import OrderStatus as S
from oms.domain.models import Allocation, Shipment
from oms.domain.orders import advance
from oms.services.learning import label_order
from tests.unit.test_strategies import ORDER

CREATED = parse_iso(ORDER.created_at)


def at(hours: float) -> str:
    return iso(CREATED + timedelta(hours=hours))


def delivered_order(*, hours: float, actual: str | None, backordered: bool = False, returned: bool = False):
    order = ORDER
    path = [S.CONFIRMED, S.SOURCING]
    if backordered:
        path += [S.BACKORDERED, S.SOURCING]
    path += [S.SOURCED, S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED]
    if returned:
        path += [S.RETURNED]
    for i, status in enumerate(path):
        order = advance(order, status, actor="t", now=at(i * 0.01), event_type=f"e.{status.value.lower()}")
    return order.model_copy(
        update={
            "allocations": [
                Allocation(node_id="n-a", sku="SKU-A", quantity=2, state="SHIPPED"),
                Allocation(node_id="n-a", sku="SKU-B", quantity=1, state="SHIPPED"),
            ],
            "shipments": [
                Shipment(
                    node_id="n-a",
                    carrier="UPS",
                    tracking_number="1Z",
                    shipped_at=at(2),
                    delivered_at=at(hours),
                    actual_cost=Decimal(actual) if actual else None,
                )
            ],
        }
    )


def outcome(node="n-a", predicted="10.00"):
    return {
        "node_id": node,
        "cluster": "WEB|US-NE|50-100|SHIP_TO_HOME",
        "strategy": "AI_ADAPTIVE",
        "predicted_cost": predicted,
        "sourced_at": ORDER.created_at,
        "experiment_id": "exp-1",
        "arm": "B",
    }


@pytest.mark.parametrize(
    ("hours", "actual", "backordered", "returned", "score"),
    [
        (20, "10.30", False, False, 1.0),  # a day, within 5 %, never waited, kept
        (30, "11.20", False, False, 0.4 * 0.5 + 0.3 * 0.7 + 0.3),  # two days, 12 % over
        (60, None, False, False, 0.4 * 0.2 + 0.3 * 1.0 + 0.3),  # three days, no bill: as predicted
        (20, "10.00", True, False, 0.4 + 0.3 + 0.1),  # it waited for stock once
        (100, "14.00", False, True, 0.2),  # late, 40 % over, and sent back
    ],
)
def test_a_delivered_orders_outcome_is_scored_by_the_seeds_formula(
    hours, actual, backordered, returned, score
):
    order = delivered_order(hours=hours, actual=actual, backordered=backordered, returned=returned)
    [labelled] = label_order(order, [outcome()])
    assert labelled.score == pytest.approx(score)
    assert labelled.delivery_hours == pytest.approx(hours, abs=0.01)
    assert (labelled.experiment_id, labelled.arm, labelled.strategy) == ("exp-1", "B", "AI_ADAPTIVE")


def test_only_nodes_the_order_shipped_from_are_labelled():
    order = delivered_order(hours=20, actual="10.00")
    labelled = label_order(order, [outcome("n-a"), outcome("n-elsewhere")])
    assert [o.node_id for o in labelled] == ["n-a"]  # the other was an earlier plan's node


def test_an_order_that_never_shipped_has_nothing_to_label():
    assert label_order(ORDER, [outcome()]) == []


def test_a_received_return_labels_the_outcome_returned_whatever_the_phase():
    """Issue 13: any unit received back on a return counts, also while the order is only
    PARTIALLY_RETURNED or its tenant's graph kept it in DELIVERED."""
    kept = delivered_order(hours=20, actual="10.30")
    [before] = label_order(kept, [outcome()])
    came_back = kept.model_copy(update={"returned_quantities": {"SKU-B": 1}})
    [after] = label_order(came_back, [outcome()])
    assert before.score == pytest.approx(1.0) and after.score < before.score
    partial = advance(kept, S.PARTIALLY_RETURNED, actor="t", now=at(30), event_type="return.received")
    [labelled] = label_order(partial, [outcome()])
    assert labelled.score == pytest.approx(after.score)
