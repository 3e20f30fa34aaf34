"""Scheduled jobs: expire stale reservations, reconcile reserved counts, restart lost intakes."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any

from oms.adapters import workflow
from oms.data.store import ActiveReservation, ReservationLine
from oms.domain import orders as order_rules
from oms.domain.clock import iso, now_iso, utcnow
from oms.domain.errors import Conflict, DomainError
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Adjustment, AdjustmentReason, Order
from oms.services.context import repos

log = logging.getLogger(__name__)
S = OrderStatus
ACTOR = "system:maintenance"
# Once the warehouse is working on an order its stock must stay promised: extend, don't expire.
_IN_WAREHOUSE = {S.PICKING, S.PACKING, S.READY_TO_SHIP, S.READY_FOR_PICKUP, S.PARTIALLY_SHIPPED}


def expire_reservations(ttl_minutes: int, batch: int = 200) -> dict[str, int]:
    counts = {"expired": 0, "extended": 0, "skipped": 0}
    now = now_iso()
    for res in repos.stock.expired_reservations(now, limit=batch):
        if res.state != "ACTIVE":
            continue
        order = repos.orders.get(res.tenant_id, res.order_id)
        if order is not None and order.status in _IN_WAREHOUSE:
            repos.stock.extend_reservation(
                res.tenant_id,
                res.item_id,
                res.order_id,
                res.expires_at,
                iso(utcnow() + timedelta(minutes=ttl_minutes)),
                now,
            )
            counts["extended"] += 1
            continue
        try:
            _expire(res, order, now)
            counts["expired"] += 1
        except DomainError as exc:
            log.info("reservation %s/%s not expired: %s", res.item_id, res.order_id, exc)
            counts["skipped"] += 1
    return counts


def _expire(res: ActiveReservation, order: Order | None, now: str) -> None:
    """Release the stock; an order still waiting to be picked goes back to BACKORDERED."""
    line = ReservationLine(res.item_id, res.node_id, res.sku, res.quantity)
    new_order = None
    if order is not None:
        allocations = [
            a.model_copy(update={"state": "EXPIRED"})
            if a.item_id == res.item_id and a.state == "RESERVED"
            else a
            for a in order.allocations
        ]
        if order.status == S.SOURCED:
            updated = order_rules.advance(
                order,
                S.BACKORDERED,
                actor=ACTOR,
                now=now,
                event_type="order.reservation_expired",
                reason="reservation expired before picking started",
                data={"item_id": res.item_id, "quantity": res.quantity},
                allocations=allocations,
            )
        else:
            updated = order_rules.record_event(
                order,
                "order.reservation_expired",
                actor=ACTOR,
                now=now,
                data={"item_id": res.item_id, "quantity": res.quantity},
                allocations=allocations,
            )
        new_order = (updated, order.version)
    repos.stock.release(res.tenant_id, res.order_id, [line], now, "EXPIRED", order=new_order)


def reconcile(tenant_ids: list[str] | None = None) -> dict[str, int]:
    """Compare each item's `reserved` with the sum of its ACTIVE reservations; repair drift.

    The item is read before and after listing its reservations: only if its version did not
    move in between is the comparison trustworthy (a reservation changes both in one
    transaction), and the repair itself is conditioned on that version."""
    counts = {"items": 0, "drift_repaired": 0, "busy": 0}
    for tenant_id in tenant_ids if tenant_ids is not None else repos.directory.tenant_ids():
        for item_id in repos.stock.all_ids(tenant_id):
            counts["items"] += 1
            before = repos.stock.get(tenant_id, item_id)
            if before is None:
                continue
            open_qty = sum(
                r.quantity
                for r in repos.stock.reservations_of_item(tenant_id, item_id)
                if r.state == "ACTIVE"
            )
            after = repos.stock.get(tenant_id, item_id)
            if after is None or after.version != before.version:
                counts["busy"] += 1
                continue
            if open_qty == after.reserved:
                continue
            now = now_iso()
            adj = Adjustment(
                id=str(uuid.uuid4()),
                item_id=item_id,
                node_id=after.node_id,
                sku=after.sku,
                reason=AdjustmentReason.CORRECTION,
                delta_on_hand=0,
                delta_reserved=open_qty - after.reserved,
                on_hand_before=after.on_hand,
                on_hand_after=after.on_hand,
                reserved_before=after.reserved,
                reserved_after=open_qty,
                note="reconciled reserved count with open reservations",
                actor=ACTOR,
                created_at=now,
            )
            if repos.stock.repair_reserved(after, open_qty, adj, now):
                log.warning(
                    "reserved drift repaired on %s (%s at %s): %s -> %s",
                    item_id,
                    after.sku,
                    after.node_id,
                    after.reserved,
                    open_qty,
                )
                counts["drift_repaired"] += 1
            else:
                counts["busy"] += 1
    return counts


def recover_orders(stuck_minutes: int) -> dict[str, int]:
    """Orders whose intake execution never ran (or died) stay PENDING/CONFIRMED/SOURCING; start
    their intake again. Every step is idempotent, so a slow original run is harmless."""
    cutoff = iso(utcnow() - timedelta(minutes=stuck_minutes))
    counts = {"restarted": 0}
    for tenant_id in repos.directory.tenant_ids():
        for status in (S.PENDING, S.CONFIRMED, S.SOURCING):
            for order_id in repos.orders.ids_in_status(tenant_id, status.value, cutoff):
                order = repos.orders.get(tenant_id, order_id)
                if order is None or order.status != status or order.updated_at > cutoff:
                    continue
                event: dict[str, Any] = (
                    {"type": "ORDER_ACCEPTED"} if status != S.SOURCING else {"type": "RESOURCE"}
                )
                try:
                    if status == S.SOURCING:
                        _back_to_confirmed(order)
                    workflow.start(
                        tenant_id, order_id, event, label=f"recover-v{order.version}-{now_iso()[11:19]}"
                    )
                    counts["restarted"] += 1
                except (DomainError, RuntimeError) as exc:
                    log.warning("could not restart %s: %s", order_id, exc)
    return counts


def _back_to_confirmed(order: Order) -> None:
    """A SOURCING order holds no reservations yet; record the restart (Source accepts SOURCING)."""
    updated = order_rules.record_event(order, "order.intake_restarted", actor=ACTOR, now=now_iso())
    with contextlib.suppress(Conflict):
        repos.orders.replace(updated, order.version)
