"""The order lifecycle: statuses and the allowed transitions between them, as data.

The table below is the default workflow. Every status write checks it and carries the expected
current status as a DynamoDB condition, so a late or duplicated event can never move an order
backwards. The white-label work makes this table configurable per deployment; nothing else in the
code hard-codes a transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from oms.domain.errors import IllegalTransition


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SOURCING = "SOURCING"
    SOURCED = "SOURCED"
    BACKORDERED = "BACKORDERED"
    PICKING = "PICKING"
    PACKING = "PACKING"
    READY_TO_SHIP = "READY_TO_SHIP"
    SHIPPED = "SHIPPED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"
    REFUNDED = "REFUNDED"
    FAILED = "FAILED"


S = OrderStatus

DEFAULT_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.CANCELLED, S.FAILED}),
    S.CONFIRMED: frozenset({S.SOURCING, S.CANCELLED, S.FAILED}),
    S.SOURCING: frozenset({S.SOURCED, S.BACKORDERED, S.CANCELLED, S.FAILED}),
    S.BACKORDERED: frozenset({S.SOURCING, S.CANCELLED, S.FAILED}),
    # SOURCED -> BACKORDERED: the reservation expired before the warehouse started.
    S.SOURCED: frozenset({S.PICKING, S.BACKORDERED, S.CANCELLED, S.FAILED}),
    S.PICKING: frozenset({S.PACKING, S.CANCELLED, S.FAILED}),
    S.PACKING: frozenset({S.READY_TO_SHIP, S.READY_FOR_PICKUP, S.CANCELLED, S.FAILED}),
    S.READY_TO_SHIP: frozenset({S.SHIPPED, S.PARTIALLY_SHIPPED, S.CANCELLED, S.FAILED}),
    S.PARTIALLY_SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.PARTIALLY_DELIVERED, S.FAILED}),
    S.SHIPPED: frozenset({S.OUT_FOR_DELIVERY, S.PARTIALLY_DELIVERED, S.DELIVERED, S.RETURNED, S.FAILED}),
    S.OUT_FOR_DELIVERY: frozenset({S.PARTIALLY_DELIVERED, S.DELIVERED, S.RETURNED, S.FAILED}),
    S.PARTIALLY_DELIVERED: frozenset({S.PARTIALLY_DELIVERED, S.DELIVERED, S.PARTIALLY_RETURNED, S.RETURNED}),
    S.DELIVERED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED, S.REFUNDED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.CANCELLED}),
    S.PICKED_UP: frozenset({S.PARTIALLY_RETURNED, S.RETURNED, S.REFUNDED}),
    # some delivered units came back (returns, issue 13); more may follow, or the refund
    S.PARTIALLY_RETURNED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED, S.REFUNDED}),
    S.RETURNED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset({S.REFUNDED}),
    S.FAILED: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.REFUNDED: frozenset(),
}

# Statuses in which stock is still reserved (not yet shipped): cancelling releases it.
PRE_SHIPMENT: frozenset[OrderStatus] = frozenset(
    {
        S.PENDING,
        S.CONFIRMED,
        S.SOURCING,
        S.SOURCED,
        S.BACKORDERED,
        S.PICKING,
        S.PACKING,
        S.READY_TO_SHIP,
        S.READY_FOR_PICKUP,
        S.FAILED,
    }
)

TERMINAL: frozenset[OrderStatus] = frozenset(
    {S.DELIVERED, S.PICKED_UP, S.CANCELLED, S.PARTIALLY_RETURNED, S.RETURNED, S.REFUNDED}
)


# The orders-by-status index is keyed by *group*, so an order's index entry changes 3 times in its
# life instead of 10 (each change costs two index writes); listings filter the exact status. The
# groups the maintenance jobs sweep (INTAKE, BACKORDERED) stand alone; the warehouse and carrier
# stages share one, both short-lived (ADR 0022).
STATUS_GROUPS: Mapping[OrderStatus, str] = {
    S.PENDING: "INTAKE",
    S.CONFIRMED: "INTAKE",
    S.SOURCING: "INTAKE",
    S.BACKORDERED: "BACKORDERED",
    S.FAILED: "FAILED",
    S.SOURCED: "FULFILMENT",
    S.PICKING: "FULFILMENT",
    S.PACKING: "FULFILMENT",
    S.READY_TO_SHIP: "FULFILMENT",
    S.READY_FOR_PICKUP: "FULFILMENT",
    S.SHIPPED: "FULFILMENT",
    S.PARTIALLY_SHIPPED: "FULFILMENT",
    S.OUT_FOR_DELIVERY: "FULFILMENT",
    S.PARTIALLY_DELIVERED: "FULFILMENT",
    S.DELIVERED: "DONE",
    S.PICKED_UP: "DONE",
    S.PARTIALLY_RETURNED: "CLOSED",
    S.CANCELLED: "CLOSED",
    S.RETURNED: "CLOSED",
    S.REFUNDED: "CLOSED",
}


class Workflow:
    """Allowed transitions. Instances are immutable; build one per deployment configuration."""

    def __init__(self, transitions: Mapping[OrderStatus, frozenset[OrderStatus]] = DEFAULT_TRANSITIONS):
        self._transitions = dict(transitions)

    def allowed_from(self, status: OrderStatus) -> list[str]:
        return sorted(s.value for s in self._transitions.get(status, frozenset()))

    def can(self, current: OrderStatus, target: OrderStatus) -> bool:
        return target in self._transitions.get(current, frozenset())

    def check(self, current: OrderStatus, target: OrderStatus) -> None:
        if not self.can(current, target):
            allowed = self.allowed_from(current)
            raise IllegalTransition(
                f"An order in {current.value} cannot move to {target.value}",
                details={
                    "current_status": current.value,
                    "requested_status": target.value,
                    "allowed": allowed,
                },
            )

    def sources_of(self, target: OrderStatus) -> list[OrderStatus]:
        return [s for s, targets in self._transitions.items() if target in targets]


DEFAULT_WORKFLOW = Workflow()


class FulfilmentEventType(StrEnum):
    """Callbacks from a warehouse or carrier; each names the status it moves the order to."""

    PICKING = "PICKING"
    PACKING = "PACKING"
    READY_TO_SHIP = "READY_TO_SHIP"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    SHIPPED = "SHIPPED"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    PICKED_UP = "PICKED_UP"


WAREHOUSE_EVENTS = frozenset(
    {
        FulfilmentEventType.PICKING,
        FulfilmentEventType.PACKING,
        FulfilmentEventType.READY_TO_SHIP,
        FulfilmentEventType.READY_FOR_PICKUP,
    }
)
