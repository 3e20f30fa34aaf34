"""Domain events, derived from the stored change itself (the outbox is the orders table's stream).

Every write of an order header appends one entry (or a few: Source confirms and starts sourcing in
one write) to its audit trail, each with the next `seq`; the stream record of that write carries
the old and the new header, so the entries the new header has beyond the old one are the change.
Each becomes one domain event whose id is derived from (tenant, order, seq): a stream record
delivered twice yields the same event ids, and consumers deduplicate on them. Pure: it compares
two header documents (decoding the stream record is the data layer's job).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from oms.domain.lifecycle import OrderStatus

_NS = uuid.UUID("6b1f3c52-43f2-4a8e-9d8c-5f0b7c1e2a90")

S = OrderStatus
# What a status change is called outside; READY_TO_SHIP is the moment an order is packed.
EVENT_FOR_STATUS: Mapping[OrderStatus, str] = {
    S.PENDING: "order.created",
    S.CONFIRMED: "order.confirmed",
    S.SOURCING: "order.sourcing",
    S.SOURCED: "order.sourced",
    S.BACKORDERED: "order.backordered",
    S.PICKING: "order.picking",
    S.PACKING: "order.packing",
    S.READY_TO_SHIP: "order.packed",
    S.READY_FOR_PICKUP: "order.ready_for_pickup",
    S.SHIPPED: "order.shipped",
    S.PARTIALLY_SHIPPED: "order.partially_shipped",
    S.OUT_FOR_DELIVERY: "order.out_for_delivery",
    S.DELIVERED: "order.delivered",
    S.PARTIALLY_DELIVERED: "order.partially_delivered",
    S.PICKED_UP: "order.picked_up",
    S.CANCELLED: "order.cancelled",
    S.FAILED: "order.failed",
    S.PARTIALLY_RETURNED: "order.partially_returned",
    S.RETURNED: "order.returned",
    S.REFUNDED: "order.refunded",
}
UPDATED = "order.updated"  # a change without a status change (a hold released, a callback refused)
# An order entered one of the tenant's own statuses that is not its phase's anchor (ADR 0035).
STATUS_CHANGED = "order.status_changed"
# Returns (issue 13, ADR 0038): audit entries of these types are events of the same name (an
# entry of type order.refunded that also moves the order to REFUNDED is one order.refunded event).
RETURN_EVENT_TYPES: tuple[str, ...] = (
    "return.requested",
    "return.approved",
    "return.rejected",
    "return.received",
    "order.refunded",
)
EVENT_TYPES: tuple[str, ...] = (
    *dict.fromkeys([*EVENT_FOR_STATUS.values(), *RETURN_EVENT_TYPES]),
    STATUS_CHANGED,
    UPDATED,
)
# What a webhook endpoint may subscribe to: the order events, the SLA radar's exception events
# (oms.domain.exception_events; sent by the exceptions consumer, not derived from the outbox) and
# the stock alerts' events (oms.domain.stock_alerts, ADR 0039; sent by the stock alerts function).
STOCK_ALERT_EVENTS: tuple[str, ...] = ("inventory.low_stock", "inventory.out_of_stock", "inventory.restocked")
SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = (
    *EVENT_TYPES,
    "exception.created",
    "exception.resolved",
    *STOCK_ALERT_EVENTS,
)
# The events after which an order's sourcing can be judged (returns and refunds judge it again):
# the learning loop's labelling job takes them from its queue (ADR 0023).
LABELLING_EVENTS = frozenset(
    {
        "order.delivered",
        "order.picked_up",
        "order.partially_returned",
        "order.returned",
        "order.refunded",
        "return.received",
    }
)
# The events a sales channel is told about (its order shipped), for orders a connector imported.
CHANNEL_PUSH_EVENTS = frozenset({"order.shipped", "order.partially_shipped"})
# ... and its order was refunded (a return's refund: the channel refunds it, helper S / ADR 0040)
CHANNEL_REFUND_EVENTS = frozenset({"order.refunded"})


def for_channel(event_type: str, channel_linked: bool) -> bool:
    """Whether the connector worker acts on an event: a shipment or a refund of an order a
    channel owns."""
    return channel_linked and (event_type in CHANNEL_PUSH_EVENTS or event_type in CHANNEL_REFUND_EVENTS)


class DomainEvent(BaseModel):
    event_id: str
    type: str
    tenant_id: str
    order_id: str
    order_number: str | None
    status: str  # the phase (compatibility: what `status` always was)
    status_code: str | None = None  # the tenant's status code of the order (ADR 0035)
    phase: str | None = None
    sequence: int
    occurred_at: str
    actor: str
    change: str  # the audit entry's own type, e.g. "fulfilment.shipped"
    from_status: str | None = None
    to_status: str | None = None
    from_code: str | None = None
    to_code: str | None = None
    data: dict[str, Any]


def event_id_for(tenant_id: str, order_id: str, seq: int) -> str:
    return str(uuid.uuid5(_NS, f"{tenant_id}|{order_id}|{seq}"))


def events_from_change(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, order_number: str | None
) -> list[DomainEvent]:
    """The domain events of one change of an order header (old -> new), oldest first."""
    if new is None:
        return []  # a delete: orders are never deleted by the application
    seen = max((int(e.get("seq", 0)) for e in (old or {}).get("events", [])), default=0)
    tenant_id, order_id = str(new["tenant_id"]), str(new["id"])
    phase = str(new.get("status"))
    code = str(new.get("status_code") or phase)
    previous: dict[int, str] = {}  # seq -> the code entered, to derive from_code
    for entry in [*(old or {}).get("events", []), *new.get("events", [])]:
        if entry.get("to_status"):
            previous[int(entry.get("seq", 0))] = str(entry.get("to_code") or entry["to_status"])
    found = []
    for entry in new.get("events", []):
        seq = int(entry.get("seq", 0))
        if seq <= seen:
            continue
        to_status = entry.get("to_status")
        kind = EVENT_FOR_STATUS[OrderStatus(to_status)] if to_status else UPDATED
        if to_status and entry.get("anchor") is False:
            kind = STATUS_CHANGED
        if entry.get("type") == "order.created":
            kind = "order.created"
        elif entry.get("type") in RETURN_EVENT_TYPES and not to_status:
            kind = str(entry["type"])
        earlier = [c for s_, c in sorted(previous.items()) if s_ < seq]
        found.append(
            DomainEvent(
                event_id=event_id_for(tenant_id, order_id, seq),
                type=kind,
                tenant_id=tenant_id,
                order_id=order_id,
                order_number=order_number,
                status=phase,
                status_code=code,
                phase=phase,
                sequence=seq,
                occurred_at=str(entry.get("at")),
                actor=str(entry.get("actor", "")),
                change=str(entry.get("type", "")),
                from_status=entry.get("from_status"),
                to_status=to_status,
                from_code=(entry.get("from_code") or (earlier[-1] if earlier else None))
                if to_status
                else None,
                to_code=(entry.get("to_code") or to_status) if to_status else None,
                data=dict(entry.get("data") or {}),
            )
        )
    return sorted(found, key=lambda e: e.sequence)
