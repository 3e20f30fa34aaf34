"""Per-status workflow actions (ADR 0035), one ActionsQueue message at a time: send an order
email, deliver the status event to a webhook endpoint, or put an order's shipped stock back on
hand (restock) / record it as written off.

Each action takes effect once per (tenant, order, seq, action): the message's key is claimed with
a conditional put before the effect and marked done after it; a redelivered message finds it done.
A message whose first attempt died between the two runs the effect again, and each effect is
keyed itself (the email's dedup key, the webhook delivery id, the adjustment records' keys), so it
still happens once."""

from __future__ import annotations

import uuid

from oms.data import keys
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict
from oms.domain.events import DomainEvent, events_from_change
from oms.domain.models import AdjustmentReason, Order
from oms.domain.network import Adjustment, InventoryItem
from oms.domain.workflow_actions import ActionMessage
from oms.services.context import repos

ACTOR = "system:workflow-action"
_NS = uuid.UUID("0b6d1f1e-5a7c-4e59-8f0d-35c2a61e7b44")
_TRIES = 5


def handle(message: ActionMessage) -> str:
    key = message.effect_key()
    state = repos.workflows.claim(message.tenant_id, message.order_id, key)
    if state.startswith("DONE"):
        return "duplicate"
    order = repos.orders.get(message.tenant_id, message.order_id)
    if order is None:
        outcome = "order_missing"
    elif message.type == "email":
        outcome = _email(message, key)
    elif message.type == "webhook":
        outcome = _webhook(message, order)
    elif message.type == "adjust_inventory":
        outcome = _adjust(message, order, key)
    else:
        outcome = "unknown_type"
    repos.workflows.finish(message.tenant_id, message.order_id, key, outcome)
    return outcome


def _email(message: ActionMessage, key: str) -> str:
    from oms.services import emails

    dedup = f"action|{message.tenant_id}|{message.order_id}|{key}"
    return emails.send_order_email(
        message.tenant_id, message.order_id, str(message.config["template"]), dedup
    )


def _event(message: ActionMessage, order: Order) -> DomainEvent:
    """The domain event of the entry that entered the status (the same id as the outbox's)."""
    doc = order.model_dump(mode="json")
    for event in events_from_change(None, doc, order.order_number):
        if event.sequence == message.seq:
            return event
    # the entry is in a stored block of the trail already: the event as the header tells it
    entry = {"seq": message.seq, "type": "order.status_changed", "at": order.updated_at, "actor": ACTOR}
    entry |= {"to_status": order.status.value, "to_code": message.status_code}
    return events_from_change(None, {**doc, "events": [entry]}, order.order_number)[0]


def _webhook(message: ActionMessage, order: Order) -> str:
    from oms.services import webhooks

    return webhooks.deliver_event_to(_event(message, order), str(message.config["endpoint_id"]))


def _adjustment(
    item: InventoryItem, message: ActionMessage, key: str, qty: int, at: str, order: Order
) -> Adjustment:
    restock = message.config.get("mode") == "restock"
    delta = qty if restock else 0
    return Adjustment(
        id=str(uuid.uuid5(_NS, f"{message.tenant_id}|{message.order_id}|{key}|{item.id}")),
        item_id=item.id,
        node_id=item.node_id,
        sku=item.sku,
        reason=AdjustmentReason.RETURNED if restock else AdjustmentReason.DAMAGED,
        delta_on_hand=delta,
        delta_reserved=0,
        on_hand_before=item.on_hand,
        on_hand_after=item.on_hand + delta,
        reserved_before=item.reserved,
        reserved_after=item.reserved,
        note=f"{'restocked' if restock else 'written off'} on entering {message.status_code}: {qty} unit(s)",
        reference=f"order:{order.order_number}",
        actor=ACTOR,
        created_at=at,
    )


def _adjust(message: ActionMessage, order: Order, key: str) -> str:
    """The order's shipped lines back on hand at their nodes (RETURNED), or recorded as written
    off (DAMAGED, on hand unchanged), in one transaction whose adjustment records are keyed by
    the action: a second run finds them and does nothing."""
    if order.returned_quantities:
        # units came back through returns (ADR 0038): their receipts put the sellable ones on hand
        # and wrote the damaged ones off already; the action would count them a second time
        return "returned_by_receipts"
    shipped: dict[str, int] = {}
    for a in order.allocations:
        if a.state == "SHIPPED":
            shipped[a.item_id] = shipped.get(a.item_id, 0) + a.quantity
    if not shipped:
        return "nothing_shipped"
    at = _entered_at(order, message.seq)
    for _ in range(_TRIES):
        items = {i.id: i for i in repos.stock.batch_get(order.tenant_id, shipped, consistent=True)}
        adjustments = [
            _adjustment(items[item_id], message, key, qty, at, order)
            for item_id, qty in shipped.items()
            if item_id in items
        ]
        if not adjustments:
            return "items_missing"
        first = adjustments[0]
        if repos.workflows.adjustment_exists(
            keys.item_pk(order.tenant_id, first.item_id), f"ADJ#{first.created_at}#{first.id}"
        ):
            return "duplicate"
        changes = [(items[a.item_id], a.delta_on_hand, 0) for a in adjustments]
        try:
            repos.stock.apply_on_hand_changes(order.tenant_id, changes, adjustments, now_iso())
        except Conflict as exc:
            if exc.code in ("concurrent_update", "stock_conflict"):
                continue  # an item moved (or a concurrent run wrote them): look again
            raise
        return "restocked" if message.config.get("mode") == "restock" else "written_off"
    raise Conflict("the order's stock items are busy; retry", code="concurrent_update")


def _entered_at(order: Order, seq: int) -> str:
    """When the order entered the status (the adjustments' time: the same on every run)."""
    for e in order.events:
        if e.seq == seq:
            return e.at
    return order.created_at  # in a stored block already: any fixed time will do
