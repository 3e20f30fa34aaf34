"""The fulfilment machine's Task steps, and the warehouse/carrier callbacks that feed them. Each
step is idempotent: a retried step, or a duplicated execution, finds the order already moved and
does nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oms.adapters import metrics, workflow
from oms.data.stock import ReservationLine
from oms.domain import orders as order_rules
from oms.domain.clock import iso, now_iso, utcnow
from oms.domain.errors import (
    Conflict,
    EventNotYetApplicable,
    InsufficientStock,
    NotFound,
    OrderNotActionable,
    StockConflict,
)
from oms.domain.fulfilment import accept, decide_or_wait, replayed_next_step, resumes_workflow
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import AdjustmentReason, Allocation, FulfilmentEvent, Order, Principal
from oms.domain.network import Adjustment, InventoryItem
from oms.domain.sourcing import SourcingPlan
from oms.domain.sourcing_engine import SOURCED
from oms.services import callbacks, learning, sourcing, workflows
from oms.services.context import repos
from oms.services.orders import _with_retries, record_shipment, terminate

S = OrderStatus
SYSTEM = "system:fulfilment"


def confirm(tenant_id: str, order_id: str) -> dict[str, Any]:
    """PENDING -> CONFIRMED on its own. The machine no longer has this step (Source confirms an
    accepted order in the same write, ADR 0022); kept for executions started before that."""

    def change(order: Order) -> Order:
        if order.status != S.PENDING:
            if order.status in (S.CONFIRMED, S.SOURCING):
                return order  # a retry of this step
            raise OrderNotActionable(f"order is {order.status.value}, not PENDING")
        updated = _confirmed(order, now_iso())
        repos.orders.replace(updated, order.version)
        return updated

    return {"status": _with_retries(tenant_id, order_id, change).status.value}


def _confirmed(order: Order, now: str) -> Order:
    return order_rules.advance(
        order,
        S.CONFIRMED,
        actor=SYSTEM,
        now=now,
        event_type="order.confirmed",
        workflow=workflows.current(order.tenant_id),
    )


def source(tenant_id: str, order_id: str) -> dict[str, Any]:
    """Move the order to SOURCING and decide where each line comes from (nothing is reserved).
    A just-accepted (PENDING) order is confirmed in the same write: two audit entries, two
    events, one write unit and one task instead of two (ADR 0022)."""

    def change(order: Order) -> Order:
        if order.status == S.SOURCING:
            return order
        now = now_iso()
        moving = _confirmed(order, now) if order.status == S.PENDING else order
        if moving.status not in (S.CONFIRMED, S.BACKORDERED):
            raise OrderNotActionable(f"order is {order.status.value}; nothing to source")
        updated = order_rules.advance(
            moving,
            S.SOURCING,
            actor=SYSTEM,
            now=now,
            event_type="order.sourcing",
            workflow=workflows.current(tenant_id),
        )
        repos.orders.replace(updated, order.version)
        return updated

    order = _with_retries(tenant_id, order_id, change)
    decision = sourcing.decide(order)
    # The full trail (every candidate, why) is its own record; the state machine carries only
    # what Reserve needs, which keeps every state transition's payload small.
    now = now_iso()
    trail = {**decision.to_dict(), "at": now, "order_id": order.id}
    key = repos.orders.put_decision(order, now, trail)
    learning.record_decision(order, decision, now)  # what it predicts, judged on delivery
    plan = {k: v for k, v in trail.items() if k != "candidates"}
    return {"plan": {**plan, "decision": key}}


# DynamoDB allows 100 operations per transaction; reserve writes 2 per stock item it touches.
_MAX_TRANSACTION_ITEMS = 100


def reserve(tenant_id: str, order_id: str, plan_data: dict[str, Any], ttl_minutes: int) -> dict[str, Any]:
    """Reserve the plan atomically. A full plan marks the order SOURCED; a partial one holds what
    it could allocate and marks the order BACKORDERED (re-sourced when stock arrives); none
    marks it BACKORDERED and gives back anything it held."""
    plan = SourcingPlan.from_dict(plan_data)
    order = repos.orders.require(tenant_id, order_id)
    if order.status == S.SOURCED:
        return {"status": S.SOURCED.value, "pick_request": pick_request(order)}
    if order.status != S.SOURCING:
        raise OrderNotActionable(f"order is {order.status.value}, not SOURCING")
    now = now_iso()
    day = now[:10]
    held = sourcing.held_by(order)
    merged: dict[str, ReservationLine] = {}
    for a in plan.allocations:
        prev = merged.get(a.item_id)
        merged[a.item_id] = ReservationLine(
            a.item_id, a.node_id, a.sku, a.quantity + (prev.quantity if prev else 0)
        )
    held_nodes = {a.node_id for a in order.allocations if a.state == "RESERVED"}
    capacity: dict[str, int] = dict(plan_data.get("node_capacity") or {})
    count_nodes = [
        (n, int(capacity[n]))
        for n in dict.fromkeys(a.node_id for a in plan.allocations)
        if n not in held_nodes and n in capacity
    ]
    touched = len(set(merged) | set(held))
    if held and 2 * touched + len(count_nodes) + 1 > _MAX_TRANSACTION_ITEMS:
        _give_back(order, held, now)  # too much to move in one transaction: start from zero
        raise StockConflict("re-sourcing moves too many items at once; planning again from zero")

    allocations = [
        Allocation(
            node_id=a.node_id,
            node_code=a.node_code,
            sku=a.sku,
            quantity=a.quantity,
            item_id=a.item_id,
            distance_km=a.distance_km,
        )
        for a in plan.allocations
    ]
    summary: dict[str, Any] = {
        "strategy": plan.strategy,
        "rule": plan_data.get("rule_name"),
        "reason": plan.reason,
        "decision": plan_data.get("decision"),
    }
    if plan.outcome == SOURCED:
        target, event_type = S.SOURCED, "order.sourced"
        summary["nodes"] = sorted({a.node_code or a.node_id for a in allocations})
    else:
        target, event_type = S.BACKORDERED, "order.backordered"
        summary["backordered"] = plan.backordered
        if allocations:
            summary["held"] = {a.item_id: a.quantity for a in allocations}
    updated = order_rules.advance(
        order,
        target,
        actor=SYSTEM,
        now=now,
        event_type=event_type,
        reason=None if target == S.SOURCED else plan.reason,
        data=summary,
        workflow=workflows.current(tenant_id),
        allocations=[*(a for a in order.allocations if a.state == "SHIPPED"), *allocations],
    )
    expires = iso(utcnow() + timedelta(minutes=ttl_minutes))
    try:
        if merged or held:
            # StockConflict (stock or a node's capacity moved since planning) propagates: the
            # machine plans again
            repos.stock.reserve(
                updated,
                order.version,
                list(merged.values()),
                now,
                expires,
                held=held,
                count_nodes=count_nodes,
                day=day,
            )
        else:
            repos.orders.replace(updated, order.version)
    except Conflict as exc:
        if exc.code != "concurrent_update":
            raise
        # The order moved meanwhile: a duplicate of this step (a retried invocation) may have
        # reserved it already, which is success; a hold that expired meanwhile means planning
        # again; anything else is for the state machine.
        current = repos.orders.require(tenant_id, order_id)
        if current.status == target and current.version > order.version:
            return {
                "status": target.value,
                "pick_request": pick_request(current) if target == S.SOURCED else None,
            }
        if current.status == S.SOURCING:
            raise StockConflict("the order's held stock changed while reserving; planning again") from exc
        raise OrderNotActionable(f"order moved to {current.status.value} while reserving") from exc
    if target == S.BACKORDERED:
        metrics.count(metrics.ORDERS_BACKORDERED, tenant_id=tenant_id)
    return {"status": target.value, "pick_request": pick_request(updated) if target == S.SOURCED else None}


def _give_back(order: Order, held: dict[str, int], now: str) -> None:
    """Release everything the order holds, keeping it in SOURCING."""
    updated = order_rules.record_event(
        order,
        "order.hold_released",
        actor=SYSTEM,
        now=now,
        data={"items": held},
        allocations=[
            a.model_copy(update={"state": "RELEASED"}) if a.state == "RESERVED" else a
            for a in order.allocations
        ],
    )
    repos.stock.reserve(updated, order.version, [], now, now, held=held)


def pick_request(order: Order) -> dict[str, Any]:
    by_node: dict[str, list[dict[str, Any]]] = {}
    for a in order.allocations:
        if a.state == "RESERVED":
            by_node.setdefault(a.node_id, []).append({"sku": a.sku, "quantity": a.quantity})
    return {
        "type": "PICK_REQUEST",
        "tenant_id": order.tenant_id,
        "order_id": order.id,
        "order_number": order.order_number,
        "fulfillment_type": order.fulfillment_type.value,
        "nodes": [{"node_id": node, "lines": lines} for node, lines in by_node.items()],
    }


def carrier_request(order: Order) -> dict[str, Any]:
    address = order.shipping_address.model_dump(mode="json") if order.shipping_address else None
    return {
        "type": "SHIPMENT_REQUEST",
        "tenant_id": order.tenant_id,
        "order_id": order.id,
        "order_number": order.order_number,
        "ship_to": address,
        "nodes": sorted({a.node_id for a in order.allocations if a.state == "RESERVED"}),
    }


def apply_event(
    tenant_id: str, order_id: str, event_data: dict[str, Any], read: Order | None = None
) -> dict[str, Any]:
    """Apply a warehouse/carrier callback. Shipping or pick-up commits reserved stock (on-hand
    decrement) in the same transaction as the status change. `read`: the order as the caller
    just read it, if it did."""
    actor = str(event_data.get("actor") or "system:callback")
    event = FulfilmentEvent.model_validate({k: v for k, v in event_data.items() if k != "actor"})
    result: dict[str, Any] = {}
    graph = workflows.current(tenant_id)

    def change(order: Order) -> Order:
        if callbacks.seen(order, event.event_id):
            # a retry of this step: answer as the first run did, follow-up included
            follow_up = replayed_next_step(order, event)
            request = carrier_request(order) if follow_up == "REQUEST_CARRIER" else None
            result.update(status=order.status.value, next=follow_up, request=request)
            return order
        outcome = decide_or_wait(order, event, graph)
        now = now_iso()
        data: dict[str, Any] = {
            k: v for k, v in event.model_dump(mode="json", exclude_none=True).items() if k != "type"
        }
        changes: dict[str, Any] = {
            "shipments": record_shipment(order, event, now),
            "callbacks": callbacks.count_applied(order),  # 429 past the order's rate
        }
        if outcome.committing:
            committed_ids = {id(a) for a in outcome.committing}
            changes["allocations"] = [
                a.model_copy(update={"state": "SHIPPED"}) if id(a) in committed_ids else a
                for a in order.allocations
            ]
        updated = order_rules.advance(
            order,
            outcome.target,
            actor=actor,
            now=now,
            event_type=f"fulfilment.{event.type.value.lower()}",
            data=data,
            workflow=graph,
            **changes,
        )
        if outcome.committing:
            _commit_stock(order, updated, list(outcome.committing), now, actor)
        else:
            repos.orders.replace(updated, order.version)
        request = carrier_request(updated) if outcome.next_step == "REQUEST_CARRIER" else None
        result.update(status=updated.status.value, next=outcome.next_step, request=request)
        return updated

    _with_retries(tenant_id, order_id, change, first=read)
    return result


def accept_fulfilment_event(principal: Principal, order_id: str, event: FulfilmentEvent) -> dict[str, Any]:
    """A warehouse/carrier callback. An event that applies is applied here and now, except one with
    a next step for the machine (ready to ship: book the carrier), which resumes the order's
    workflow, as does an event that overtook an earlier one (the execution retries it until it
    applies). Result["applied"] tells which happened."""
    # An eventually consistent read is enough to validate: every write below is conditioned on
    # the version it read itself, and an order a step behind still accepts the next event.
    order, ledger = repos.orders.get_with_ledger(principal.tenant_id, order_id, consistent=False)
    if order is None:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    if callbacks.seen(order, event.event_id):
        return {"order_id": order.id, "status": order.status.value, "applied": False, "duplicate": True}
    callbacks.admit(order, ledger)  # 429 past the order's rate of callbacks
    try:
        applies_now = accept(
            order, event, workflows.current(order.tenant_id)
        )  # raises 409 with the allowed targets if it cannot apply
    except Conflict as exc:  # refused: counted (and kept, the first few a day), not written to the order
        payload = event.model_dump(mode="json", exclude_none=True)
        callbacks.refuse_quietly(order, payload, exc.code, exc.message, principal.actor, ledger)
        raise
    body = event.model_dump(mode="json", exclude_none=True)
    body["actor"] = principal.actor
    if applies_now and not resumes_workflow(event):
        try:
            result = apply_event(order.tenant_id, order.id, body, read=order)
            return {
                "order_id": order.id,
                "status": result["status"],
                "applied": True,
                "event": event.type.value,
            }
        except EventNotYetApplicable:
            pass  # another writer moved the order meanwhile: let the workflow retry it
    label = f"{event.type.value}-{event.event_id or f'v{order.version}'}"
    execution = workflow.start(order.tenant_id, order.id, body, label=label)
    return {
        "order_id": order.id,
        "status": order.status.value,
        "applied": False,
        "queued_behind_earlier_events": not applies_now,
        "event": event.type.value,
        "execution_arn": execution,
    }


def _commit_stock(order: Order, updated: Order, allocations: list[Allocation], now: str, actor: str) -> None:
    """Turn reservations into on-hand decrements (or, if a reservation expired meanwhile, take
    the quantity from free stock if there is enough)."""
    items = {
        i.id: i
        for i in repos.stock.batch_get(order.tenant_id, (a.item_id for a in allocations), consistent=True)
    }
    active = repos.stock.reservations_for_order(order.tenant_id, order.id, items)
    totals: dict[str, int] = {}
    for a in allocations:
        totals[a.item_id] = totals.get(a.item_id, 0) + a.quantity
    changes: list[tuple[InventoryItem, int, int]] = []
    adjustments: list[Adjustment] = []
    reservation_updates: list[tuple[str, str, str, dict[str, Any] | None]] = []
    for item_id, qty in totals.items():
        item = items[item_id]
        reservation_active = item_id in active and active[item_id].state == "ACTIVE"
        d_reserved = -qty if reservation_active else 0
        if not reservation_active and item.available < qty:
            raise InsufficientStock(
                f"reservation for {item.sku} at node {item.node_id} lapsed and only "
                f"{item.available} are free",
                details={"item_id": item_id},
            )
        sale = Adjustment(
            id=f"{order.id}-{item_id}",
            item_id=item_id,
            node_id=item.node_id,
            sku=item.sku,
            reason=AdjustmentReason.SOLD,
            delta_on_hand=-qty,
            delta_reserved=d_reserved,
            on_hand_before=item.on_hand,
            on_hand_after=item.on_hand - qty,
            reserved_before=item.reserved,
            reserved_after=item.reserved + d_reserved,
            reference=f"order:{order.order_number}",
            actor=actor,
            created_at=now,
        )
        if reservation_active:  # the committed reservation is the record of the sale
            reservation_updates.append((item_id, order.id, "COMMITTED", sale.model_dump(mode="json")))
        else:
            adjustments.append(sale)
        changes.append((item, -qty, d_reserved))
    repos.stock.apply_on_hand_changes(
        order.tenant_id,
        changes,
        adjustments,
        now,
        order=(updated, order.version),
        reservation_updates=reservation_updates,
    )


def reject_event(
    tenant_id: str, order_id: str, event_data: dict[str, Any], error: dict[str, Any]
) -> dict[str, Any]:
    """A callback the workflow could not apply is refused: counted and, the first few a day, kept
    (GET /orders/{id}/rejected-callbacks); the order and its audit trail are not written."""
    order, ledger = repos.orders.get_with_ledger(tenant_id, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    callbacks.refuse(
        order,
        event_data,
        str(error.get("Error") or "EventRejected"),
        str(error.get("Cause", "")),
        str(event_data.get("actor") or "system:callback"),
        ledger,
    )
    return {"status": order.status.value}


def fail(tenant_id: str, order_id: str, error: dict[str, Any]) -> dict[str, Any]:
    try:
        order = terminate(
            tenant_id,
            order_id,
            S.FAILED,
            actor=SYSTEM,
            event_type="order.failed",
            reason=str(error.get("Error", "intake failed")),
            data={"cause": str(error.get("Cause", ""))[:500]},
        )
    except Conflict:
        # Already past the point where failing makes sense (cancelled meanwhile): leave it.
        order = repos.orders.require(tenant_id, order_id)
    return {"status": order.status.value}
