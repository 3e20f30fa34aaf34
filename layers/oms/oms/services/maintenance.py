"""Scheduled jobs: expire stale reservations, reconcile reserved counts, restart lost intakes,
re-source backorders when stock arrives, and start each day's node capacity afresh."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import timedelta

from oms.adapters import workflow
from oms.data.stock import ActiveReservation, ReservationLine
from oms.domain import orders as order_rules
from oms.domain.clock import iso, now_iso, utcnow
from oms.domain.errors import Conflict, DomainError
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import AdjustmentReason, Order
from oms.domain.network import Adjustment, InventoryItem
from oms.services import workflows
from oms.services.context import repos

log = logging.getLogger(__name__)
S = OrderStatus
ACTOR = "system:maintenance"
# Once the warehouse is working on an order its stock must stay promised: extend, don't expire.
_IN_WAREHOUSE = {S.PICKING, S.PACKING, S.READY_TO_SHIP, S.READY_FOR_PICKUP, S.PARTIALLY_SHIPPED}


def sweep_stock(ttl_minutes: int, tenant_ids: list[str] | None = None) -> dict[str, dict[str, int]]:
    """One pass over every stock item: expire its stale reservations, then reconcile `reserved`
    with the sum of its ACTIVE reservations, repairing drift.

    The item is read before and after listing its reservations: only if its version did not
    move in between is the comparison trustworthy (a reservation changes both in one
    transaction, but a Query is not a snapshot across items), and the repair itself is
    conditioned on that version."""
    expiry = {"expired": 0, "extended": 0, "skipped": 0}
    reconcile = {"items": 0, "drift_repaired": 0, "busy": 0}
    now = now_iso()
    for tenant_id in tenant_ids if tenant_ids is not None else repos.directory.tenant_ids():
        for item_id in repos.stock.all_ids(tenant_id):
            reconcile["items"] += 1
            before = repos.stock.get(tenant_id, item_id)
            if before is None:
                continue
            reservations = repos.stock.reservations_of_item(tenant_id, item_id)
            stale = [r for r in reservations if r.state == "ACTIVE" and r.expires_at < now]
            if stale:
                for res in stale:
                    _expire_or_extend(res, ttl_minutes, now, expiry)
                continue  # the item changed: reconcile it on the next pass
            after = repos.stock.get(tenant_id, item_id)
            if after is None or after.version != before.version:
                reconcile["busy"] += 1
                continue
            open_qty = sum(r.quantity for r in reservations if r.state == "ACTIVE")
            if open_qty != after.reserved:
                if _repair(after, open_qty):
                    reconcile["drift_repaired"] += 1
                else:
                    reconcile["busy"] += 1
    return {"expiry": expiry, "reconcile": reconcile}


def _expire_or_extend(res: ActiveReservation, ttl_minutes: int, now: str, counts: dict[str, int]) -> None:
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
        return
    try:
        _expire(res, order, now)
        counts["expired"] += 1
    except DomainError as exc:
        log.info("reservation %s/%s not expired: %s", res.item_id, res.order_id, exc)
        counts["skipped"] += 1


def _repair(item: InventoryItem, open_qty: int) -> bool:
    now = now_iso()
    adj = Adjustment(
        id=str(uuid.uuid4()),
        item_id=item.id,
        node_id=item.node_id,
        sku=item.sku,
        reason=AdjustmentReason.CORRECTION,
        delta_on_hand=0,
        delta_reserved=open_qty - item.reserved,
        on_hand_before=item.on_hand,
        on_hand_after=item.on_hand,
        reserved_before=item.reserved,
        reserved_after=open_qty,
        note="reconciled reserved count with open reservations",
        actor=ACTOR,
        created_at=now,
    )
    repaired = repos.stock.repair_reserved(item, open_qty, adj, now)
    if repaired:
        log.warning(
            "reserved drift repaired on %s (%s at %s): %s -> %s",
            item.id,
            item.sku,
            item.node_id,
            item.reserved,
            open_qty,
        )
    return repaired


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
                workflow=workflows.current(order.tenant_id),
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


def recover_orders(stuck_minutes: int) -> dict[str, int]:
    """Orders whose intake execution never ran (or died) stay PENDING/CONFIRMED/SOURCING; start
    their intake again. Every step is idempotent, so a slow original run is harmless."""
    cutoff = iso(utcnow() - timedelta(minutes=stuck_minutes))
    counts = {"restarted": 0}
    intake = {S.PENDING, S.CONFIRMED, S.SOURCING}
    for tenant_id in repos.directory.tenant_ids():
        for order_id in repos.orders.ids_in_group(tenant_id, "INTAKE", cutoff):
            order = repos.orders.get(tenant_id, order_id)
            if order is None or order.status not in intake or order.updated_at > cutoff:
                continue
            try:
                _note_restart(order)
                workflow.start(
                    tenant_id,
                    order_id,
                    {"type": "ORDER_ACCEPTED"},
                    label=f"recover-v{order.version}-{now_iso()[11:19]}",
                )
                counts["restarted"] += 1
            except (DomainError, RuntimeError) as exc:
                log.warning("could not restart %s: %s", order_id, exc)
    return counts


def _note_restart(order: Order) -> None:
    """Intake holds no reservations yet, and every intake step accepts the state it left: just
    record the restart in the audit trail."""
    updated = order_rules.record_event(order, "order.intake_restarted", actor=ACTOR, now=now_iso())
    with contextlib.suppress(Conflict):
        repos.orders.replace(updated, order.version)


def resource_backorders(
    tenant_ids: list[str] | None = None, skus: list[str] | None = None, limit: int = 200
) -> dict[str, int]:
    """Start sourcing again for backordered orders that stock can now cover, oldest first.

    Every order is first planned here against one snapshot of stock, consuming what each older
    order would take, and only the orders that fit are started: a newer order never takes the
    units an older one is waiting for, and nothing is started just to backorder again. With
    `skus` (an inventory receipt), only orders containing one of them are considered."""
    counts = {"considered": 0, "started": 0, "still_short": 0, "deferred": 0}
    for tenant_id in tenant_ids if tenant_ids is not None else repos.directory.tenant_ids():
        # one run per tenant at a time, or two runs would each plan against the same stock and
        # oldest-first would not hold; a run asked for meanwhile is done by the holder afterwards
        owner = str(uuid.uuid4())
        if not repos.leases.acquire(tenant_id, _BACKORDER_JOB, owner, _LEASE_SECONDS):
            repos.leases.request_rerun(tenant_id, _BACKORDER_JOB)
            counts["deferred"] += 1
            continue
        try:
            wanted: set[str] | None = set(skus) if skus else None
            for _ in range(_MAX_PASSES):
                _resource_tenant(tenant_id, wanted, limit, counts)
                if not repos.leases.take_rerun(tenant_id, _BACKORDER_JOB, owner):
                    break
                wanted = None  # the request may have been for other SKUs: look at every backorder
        finally:
            repos.leases.release(tenant_id, _BACKORDER_JOB, owner)
    return counts


_BACKORDER_JOB = "resource_backorders"
_LEASE_SECONDS = 120  # longer than a run; a runner that dies frees the tenant after this
_MAX_PASSES = 3


def _resource_tenant(
    tenant_id: str, wanted_skus: set[str] | None, limit: int, counts: dict[str, int]
) -> None:
    from oms.services import orders as order_service
    from oms.services import sourcing

    now = now_iso()
    ids = repos.orders.ids_in_group(tenant_id, "BACKORDERED", now, limit=limit)  # oldest first
    backorders = [
        o
        for o in repos.orders.batch_get(tenant_id, ids)
        if o.status == S.BACKORDERED
        and (not wanted_skus or any(line.sku in wanted_skus for line in o.line_items))
    ]
    if not backorders:
        return
    backorders.sort(key=lambda o: (o.created_at, o.id))
    candidates = sourcing.load_candidates(tenant_id, (line.sku for o in backorders for line in o.line_items))
    rules = sourcing.active_rules(tenant_id)
    for order in backorders:
        counts["considered"] += 1
        decision = sourcing.decide_with(order, candidates, rules)
        held = sourcing.held_by(order)
        allocated = sum(a.quantity for a in decision.allocations)
        if decision.outcome != "SOURCED" and allocated <= sum(held.values()):
            counts["still_short"] += 1
            continue
        for a in decision.allocations:  # what this order will take beyond what it holds
            extra = a.quantity - held.pop(a.item_id, 0)
            key = (a.node_id, a.sku)
            candidates.available[key] = candidates.available.get(key, 0) - max(extra, 0)
        try:
            order_service.start_resource(order, reason=ACTOR)
            counts["started"] += 1
        except DomainError as exc:
            log.warning("could not re-source %s: %s", order.id, exc)


def reset_node_capacity(tenant_ids: list[str] | None = None) -> dict[str, int]:
    """Daily: every node's order count starts again at zero. Counters are keyed by UTC day, so
    the new day's count is zero the moment the day begins (no race with orders at midnight);
    this job removes the finished days' counters."""
    today = now_iso()[:10]
    counts = {"tenants": 0, "counters_cleared": 0}
    for tenant_id in tenant_ids if tenant_ids is not None else repos.directory.tenant_ids():
        counts["tenants"] += 1
        counts["counters_cleared"] += repos.nodes.delete_counters_before(tenant_id, today)
    return counts
