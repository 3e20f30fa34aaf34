from itertools import pairwise

import pytest

from oms.domain.errors import IllegalTransition
from oms.domain.lifecycle import DEFAULT_TRANSITIONS, DEFAULT_WORKFLOW, PRE_SHIPMENT, OrderStatus

S = OrderStatus


def test_every_status_has_a_row_and_targets_are_statuses():
    assert set(DEFAULT_TRANSITIONS) == set(S)
    for targets in DEFAULT_TRANSITIONS.values():
        assert targets <= set(S)


def test_happy_paths_are_allowed():
    ship = [
        S.PENDING,
        S.CONFIRMED,
        S.SOURCING,
        S.SOURCED,
        S.PICKING,
        S.PACKING,
        S.READY_TO_SHIP,
        S.SHIPPED,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
    ]
    pickup = [S.SOURCED, S.PICKING, S.PACKING, S.READY_FOR_PICKUP, S.PICKED_UP]
    for path in (ship, pickup):
        for current, target in pairwise(path):
            assert DEFAULT_WORKFLOW.can(current, target), (current, target)


def test_illegal_transition_names_allowed_targets():
    with pytest.raises(IllegalTransition) as info:
        DEFAULT_WORKFLOW.check(S.DELIVERED, S.PICKING)
    assert info.value.status == 409
    assert info.value.details["allowed"] == ["PARTIALLY_RETURNED", "REFUNDED", "RETURNED"]


def test_cancel_allowed_exactly_from_pre_shipment_states():
    for status in S:
        assert DEFAULT_WORKFLOW.can(status, S.CANCELLED) == (
            status in PRE_SHIPMENT and status != S.CANCELLED
        ), status


def test_nothing_moves_backwards_after_shipping():
    for late in (S.PICKING, S.PACKING, S.SOURCED, S.READY_TO_SHIP):
        assert not DEFAULT_WORKFLOW.can(S.SHIPPED, late)
        assert not DEFAULT_WORKFLOW.can(S.DELIVERED, late)
