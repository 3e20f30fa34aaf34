"""What a warehouse or carrier callback does to an order (pure decisions, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from oms.domain.errors import Conflict, EventNotYetApplicable, IllegalTransition
from oms.domain.lifecycle import FulfilmentEventType, OrderStatus
from oms.domain.models import Allocation, FulfilmentEvent, Order
from oms.domain.workflow_graph import DEFAULT_TENANT_WORKFLOW, TenantWorkflow

E = FulfilmentEventType
S = OrderStatus

_SHIP_ONLY = {E.READY_TO_SHIP, E.SHIPPED, E.OUT_FOR_DELIVERY, E.DELIVERED}
_PICKUP_ONLY = {E.READY_FOR_PICKUP, E.PICKED_UP}


# Events that end a wait of the fulfilment machine with a step to take next (book the carrier)
# resume it (a new execution). The others, including the end of an order's life (DELIVERED,
# PICKED_UP), are applied by the callback endpoint directly: an execution would add a task run and
# an execution to the order's bill and nothing else (ADR 0022).
RESUMING_EVENTS = frozenset({E.READY_TO_SHIP})


def resumes_workflow(event: FulfilmentEvent) -> bool:
    return event.type in RESUMING_EVENTS


# Position of each status along the fulfilment lanes (ship and pickup share the warehouse part).
_LANE_POSITION: dict[OrderStatus, float] = {
    S.SOURCED: 0,
    S.PICKING: 1,
    S.PACKING: 2,
    S.READY_TO_SHIP: 3,
    S.READY_FOR_PICKUP: 3,
    S.PARTIALLY_SHIPPED: 3.5,
    S.SHIPPED: 4,
    S.PICKED_UP: 4,
    S.OUT_FOR_DELIVERY: 5,
    S.PARTIALLY_DELIVERED: 5.5,
    S.DELIVERED: 6,
}
_EVENT_POSITION: dict[FulfilmentEventType, float] = {
    E.PICKING: 1,
    E.PACKING: 2,
    E.READY_TO_SHIP: 3,
    E.READY_FOR_PICKUP: 3,
    E.SHIPPED: 4,
    E.PICKED_UP: 4,
    E.OUT_FOR_DELIVERY: 5,
    E.DELIVERED: 6,
}
# How far ahead of the stored status a callback may run: warehouses and carriers send events in
# quick succession and deliveries can overtake each other, but a jump further than this is a
# mistake the sender should hear about (409) rather than a reordering.
MAX_EVENTS_AHEAD = 2


def runs_ahead(
    order: Order, event: FulfilmentEvent, workflow: TenantWorkflow = DEFAULT_TENANT_WORKFLOW
) -> bool:
    """Is the event a later step of the order's lane that will apply once earlier ones have? Only
    if the tenant's graph leads there from where the order stands (ADR 0035): an event its graph
    has no way to is refused now, not queued."""
    current = _LANE_POSITION.get(order.status)
    if current is None:
        return False
    if not 0 < _EVENT_POSITION[event.type] - current <= MAX_EVENTS_AHEAD:
        return False
    here = workflow.current_code(order.status, order.status_code)
    return workflow.reaches(here, workflow.anchor(S(event.type.value)))


def accept(order: Order, event: FulfilmentEvent, workflow: TenantWorkflow = DEFAULT_TENANT_WORKFLOW) -> bool:
    """For the callback endpoint: True if the event applies now, False if it is ahead of the
    order and will apply after the events in between; raises Conflict (409) otherwise."""
    try:
        decide(order, event, workflow)
        return True
    except IllegalTransition:
        if runs_ahead(order, event, workflow):
            return False
        raise


def decide_or_wait(
    order: Order, event: FulfilmentEvent, workflow: TenantWorkflow = DEFAULT_TENANT_WORKFLOW
) -> EventOutcome:
    """For the state machine: like `decide`, but an event that runs ahead raises
    EventNotYetApplicable so the step is retried with backoff."""
    try:
        return decide(order, event, workflow)
    except IllegalTransition as exc:
        if runs_ahead(order, event, workflow):
            raise EventNotYetApplicable(
                f"{event.type.value} arrived before the order reached the step "
                f"before it (now {order.status.value})",
                details=exc.details,
            ) from exc
        raise


def replayed_next_step(order: Order, event: FulfilmentEvent) -> str:
    """The follow-up an already applied callback still owes when its step runs again. A Task whose
    first run applied the event but whose answer was lost (a Lambda error after the write, a
    timeout) is retried by the state machine and finds the event applied: while the order still
    waits where the event put it, the follow-up (booking the carrier) is asked for again, since
    nothing says it was sent; once the order moved on, it evidently was. Carrier requests are
    delivered at least once anyway (SQS), so a second one is deduplicated by the carrier."""
    if event.type == E.READY_TO_SHIP and order.status == S.READY_TO_SHIP:
        return "REQUEST_CARRIER"
    return "NONE"


@dataclass(frozen=True)
class EventOutcome:
    target: OrderStatus
    # allocations whose stock leaves the building with this event (shipped or picked up)
    committing: tuple[Allocation, ...] = ()
    # the next request to send once the event is applied (e.g. book a carrier)
    next_step: str = "NONE"


def decide(
    order: Order, event: FulfilmentEvent, workflow: TenantWorkflow = DEFAULT_TENANT_WORKFLOW
) -> EventOutcome:
    """Which status the event moves the order to, and what stock it commits. Raises Conflict
    (409) for an event that does not apply to this order now."""
    if order.fulfillment_type.is_pickup and event.type in _SHIP_ONLY:
        raise Conflict(
            f"{event.type.value} does not apply to a {order.fulfillment_type.value} order",
            code="event_not_applicable",
        )
    if not order.fulfillment_type.is_pickup and event.type in _PICKUP_ONLY:
        raise Conflict(
            f"{event.type.value} does not apply to a {order.fulfillment_type.value} order",
            code="event_not_applicable",
        )

    reserved = [a for a in order.allocations if a.state in ("RESERVED", "EXPIRED")]
    if event.type == E.SHIPPED:
        nodes_left = {a.node_id for a in reserved}
        if event.node_id is not None and event.node_id not in nodes_left:
            raise Conflict(
                f"node {event.node_id} has nothing left to ship on this order", code="event_not_applicable"
            )
        shipping = tuple(a for a in reserved if event.node_id is None or a.node_id == event.node_id)
        target = S.SHIPPED if {a.node_id for a in shipping} == nodes_left else S.PARTIALLY_SHIPPED
        workflow.check(order.status, order.status_code, target)
        return EventOutcome(target, committing=shipping)
    if event.type == E.PICKED_UP:
        workflow.check(order.status, order.status_code, S.PICKED_UP)
        return EventOutcome(S.PICKED_UP, committing=tuple(reserved))
    if event.type == E.DELIVERED:
        undelivered = {s.node_id for s in order.shipments if s.delivered_at is None}
        fully_shipped = not reserved
        if (event.node_id is not None and undelivered - {event.node_id}) or not fully_shipped:
            target = S.PARTIALLY_DELIVERED
        else:
            target = S.DELIVERED
        workflow.check(order.status, order.status_code, target)
        return EventOutcome(target)
    target = S(event.type.value)
    workflow.check(order.status, order.status_code, target)
    return EventOutcome(target, next_step="REQUEST_CARRIER" if target == S.READY_TO_SHIP else "NONE")
