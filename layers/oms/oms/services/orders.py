"""Order use cases: create (idempotent), read, list, change status, cancel, accept callbacks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from oms.adapters import metrics, workflow
from oms.data.stock import ReservationLine
from oms.domain import orders as order_rules
from oms.domain.channels import ChannelLink
from oms.domain.clock import iso, now_iso, parse_iso
from oms.domain.connectors import ImportedOrder, ImportProblem
from oms.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    ValidationFailed,
)
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import (
    Allocation,
    CancelRequest,
    ChannelOrderRequest,
    FulfilmentEvent,
    ListQuery,
    Order,
    OrderCreate,
    OrderFields,
    Principal,
    Role,
    Shipment,
    StatusPatch,
)
from oms.domain.workflow_stock import MANUAL_WORK, stock_work
from oms.services import workflows
from oms.services.context import repos

_MAX_OPTIMISTIC_RETRIES = 5


def _check_pickup_node(request: OrderFields, tenant_id: str) -> None:
    if request.pickup_node_id and repos.nodes.get_with_version(tenant_id, request.pickup_node_id) is None:
        raise ValidationFailed(
            "pickup_node_id is not a node of this tenant",
            details=[{"loc": ["pickup_node_id"], "msg": "unknown node", "type": "value_error"}],
        )


def preview_order(request: OrderCreate, principal: Principal) -> Order:
    """The order a create would build (priced from the catalog), without storing anything."""
    _check_pickup_node(request, principal.tenant_id)
    prices = repos.products.prices(principal.tenant_id, (line.sku for line in request.line_items))
    return order_rules.build_order(
        request,
        order_id=str(uuid.uuid4()),  # never stored
        principal=principal,
        now=now_iso(),
        catalog_prices=prices,
        idempotency_key=None,
    )


def create_order(
    request: OrderCreate, principal: Principal, idempotency_key: str | None
) -> tuple[Order, bool]:
    """Returns (order, created). The same Idempotency-Key (or external order id) with the same
    body returns the first order; with a different body it is refused (422)."""
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 255):
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 characters",
            details=[{"loc": ["header", "Idempotency-Key"], "msg": "bad length", "type": "value_error"}],
        )
    _check_pickup_node(request, principal.tenant_id)
    order_id = order_rules.order_id_for(
        principal.tenant_id, idempotency_key, request.external_order_id, request.channel.value
    )
    prices = repos.products.prices(principal.tenant_id, (line.sku for line in request.line_items))
    order = order_rules.build_order(
        request,
        order_id=order_id,
        principal=principal,
        now=now_iso(),
        catalog_prices=prices,
        idempotency_key=idempotency_key,
        start_code=workflows.current(principal.tenant_id).anchor(OrderStatus.PENDING),
    )
    stored, created = repos.orders.insert(order)
    if not created:
        if stored.request_fingerprint != order.request_fingerprint:
            what = "Idempotency-Key" if idempotency_key else "external_order_id"
            raise IdempotencyKeyReused(
                f"this {what} was already used with a different request", details={"order_id": stored.id}
            )
        return stored.as_created(), False  # replay the first answer, not today's state
    start_intake(stored)
    metrics.count(metrics.ORDERS_CREATED, tenant_id=stored.tenant_id, channel=stored.channel.value)
    return stored, True


def start_intake(order: Order) -> None:
    """Kick off confirm -> source -> reserve. If this fails the order stays PENDING and the
    recovery job starts it again, so the create itself never fails for it."""
    try:
        workflow.start(
            order.tenant_id, order.id, {"type": "ORDER_ACCEPTED"}, label=f"intake-v{order.version}"
        )
    except Exception:
        import logging

        logging.getLogger(__name__).warning(
            "intake start failed for %s; recovery will retry", order.id, exc_info=True
        )


def get_order(principal: Principal, order_id: str) -> Order:
    return repos.orders.require(principal.tenant_id, order_id)


def get_by_number(principal: Principal, number: str) -> Order:
    order = repos.orders.get_by_number(principal.tenant_id, number)
    if order is None:
        raise NotFound(f"order {number} not found", code="order_not_found")
    return order


def list_orders(principal: Principal, query: ListQuery) -> dict[str, Any]:
    email = query.customer_email.lower() if query.customer_email else None
    ids, cursor = repos.orders.page_ids(
        principal.tenant_id,
        status=query.status.value if query.status else None,
        email=email,
        created_from=query.created_from,
        created_to=query.created_to,
        limit=query.limit,
        cursor=query.cursor,
    )
    orders = repos.orders.batch_get(principal.tenant_id, ids)
    if query.status:
        orders = [o for o in orders if o.status == query.status]
    if query.channel:
        orders = [o for o in orders if o.channel == query.channel]
    return {"items": [summary(o) for o in orders], "next_cursor": cursor, "count": len(orders)}


def summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "order_number": order.order_number,
        "status": order.status.value,
        "status_code": order.code,
        "phase": order.status.value,
        "channel": order.channel.value,
        "fulfillment_type": order.fulfillment_type.value,
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "total_amount": str(order.total_amount),
        "currency": order.currency,
        "external_order_id": order.external_order_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def sourcing_decisions(principal: Principal, order_id: str) -> list[dict[str, Any]]:
    repos.orders.require(principal.tenant_id, order_id)
    return repos.orders.decisions(principal.tenant_id, order_id)


def events(principal: Principal, order_id: str, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
    """The order's audit trail, oldest first, a page at a time (the latest entries are in the
    header, the older ones in stored blocks: ADR 0018)."""
    order = repos.orders.require(principal.tenant_id, order_id)
    entries, next_cursor = repos.orders.trail_page(order, limit, cursor)
    items = [e.model_dump(mode="json") for e in entries]
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


# ------------------------------------------------------------------ status changes
def _with_retries(
    tenant_id: str, order_id: str, change: Callable[[Order], Order | None], first: Order | None = None
) -> Order:
    """Optimistic concurrency: re-read and re-decide when another writer got there first. `first`
    is a copy the caller has just read (saves a read; a stale one only costs a retry, as every
    write is conditioned on the version it was decided on)."""
    from oms.domain.errors import Conflict as _Conflict

    for attempt in range(_MAX_OPTIMISTIC_RETRIES):
        order = first if attempt == 0 and first is not None else repos.orders.require(tenant_id, order_id)
        try:
            result = change(order)
            return result if result is not None else order
        except _Conflict as exc:
            # the order, or a stock item it touches, changed since it was read: decide again
            if exc.code not in ("concurrent_update", "stock_conflict"):
                raise
    raise Conflict("the order is being changed by others; retry", code="concurrent_update")


def _release_lines(order: Order) -> tuple[list[ReservationLine], list[Allocation]]:
    """Reservations still ACTIVE for this order, and the allocation list after releasing them."""
    reserved = [a for a in order.allocations if a.state == "RESERVED"]
    active = repos.stock.reservations_for_order(order.tenant_id, order.id, (a.item_id for a in reserved))
    lines = [
        ReservationLine(a.item_id, a.node_id, a.sku, a.quantity)
        for a in reserved
        if a.item_id in active and active[a.item_id].state == "ACTIVE"
    ]
    allocations = [
        a.model_copy(update={"state": "RELEASED"}) if a.state == "RESERVED" else a for a in order.allocations
    ]
    return lines, allocations


def terminate(
    tenant_id: str,
    order_id: str,
    target: OrderStatus,
    *,
    actor: str,
    reason: str | None,
    event_type: str,
    data: dict[str, Any] | None = None,
    code: str | None = None,
) -> Order:
    """Cancel or fail an order and release its reservations exactly once, atomically. `code`: a
    status of the tenant's workflow in phase `target` (a person's choice); else its anchor."""
    graph = workflows.current(tenant_id)

    def change(order: Order) -> Order:
        if order.status == target and (code is None or order.code == code):
            return order
        # before any I/O: an illegal target is a 409 (the tenant's graph, ADR 0035)
        if code is None:
            graph.check(order.status, order.status_code, target)
        else:
            graph.check_move(order.status, order.status_code, code)
        lines, allocations = _release_lines(order)
        updated = order_rules.advance(
            order,
            target,
            actor=actor,
            now=now_iso(),
            event_type=event_type,
            reason=reason,
            data={**(data or {}), "released": [line.__dict__ for line in lines]},
            workflow=graph,
            code=code,
            allocations=allocations,
        )
        repos.stock.release(tenant_id, order_id, lines, now_iso(), "RELEASED", order=(updated, order.version))
        return updated

    return _with_retries(tenant_id, order_id, change)


def cancel_order(principal: Principal, order_id: str, request: CancelRequest) -> Order:
    """SUPERADMIN (and above) and INTEGRATION cancel any order of the tenant; a USER only the
    orders they created (403 not_your_order otherwise: a USER may read every order of the tenant,
    so hiding the order behind a 404 would hide nothing)."""
    order = repos.orders.require(principal.tenant_id, order_id)
    if principal.role is Role.USER and order.created_by != principal.actor:
        raise Forbidden(
            "a USER may cancel only the orders they created",
            code="not_your_order",
        )
    return terminate(
        principal.tenant_id,
        order_id,
        OrderStatus.CANCELLED,
        actor=principal.actor,
        reason=request.reason,
        event_type="order.cancelled",
    )


_COMMIT_PHASES = (OrderStatus.SHIPPED, OrderStatus.PICKED_UP, OrderStatus.PARTIALLY_SHIPPED)


def patch_status(principal: Principal, order_id: str, patch: StatusPatch) -> Order:
    """Manual status change to a status code of the tenant's workflow (ADR 0035), checked against
    its graph. Targets with stock effects go through the same paths as the automatic ones
    (cancel/fail release stock; shipping commits it); the sourcing machine's own moves (reserve,
    expire, plan) are its own (409 machine_driven)."""
    actor = principal.actor
    graph = workflows.current(principal.tenant_id)
    phase = graph.phase_of(patch.status)
    if phase is None:
        raise ValidationFailed(
            f"{patch.status} is not a status of this tenant's workflow",
            details=[{"loc": ["status"], "msg": "unknown status code", "type": "unknown_status"}],
            code="unknown_status",
        )
    if phase in (OrderStatus.CANCELLED, OrderStatus.FAILED):
        return terminate(
            principal.tenant_id,
            order_id,
            phase,
            actor=actor,
            reason=patch.reason,
            event_type=f"order.{phase.value.lower()}",
            code=patch.status,
        )

    def change(order: Order) -> Order:
        work = stock_work(order.status, phase)
        if phase in _COMMIT_PHASES and order.status != phase:
            raise Conflict(
                f"{patch.status} ({phase.value}) is set by a fulfilment event (it moves stock); "
                "POST /orders/{id}/fulfillment-events instead",
                code="use_fulfilment_event",
            )
        graph.check_move(order.status, order.status_code, patch.status)
        if work not in MANUAL_WORK:
            raise Conflict(
                f"the fulfilment machine moves orders into {phase.value} (it moves stock)",
                code="machine_driven",
                details={"phase": phase.value},
            )
        updated = order_rules.advance(
            order,
            phase,
            actor=actor,
            now=now_iso(),
            event_type="order.status_changed",
            reason=patch.reason,
            workflow=graph,
            code=patch.status,
        )
        repos.orders.replace(updated, order.version)
        return updated

    updated = _with_retries(principal.tenant_id, order_id, change)
    if (
        phase == OrderStatus.CONFIRMED
        and any(  # a FAILED order sent back for another try
            e.from_status == OrderStatus.FAILED for e in updated.events[-1:]
        )
    ):
        workflow.start(updated.tenant_id, updated.id, {"type": "RESOURCE"}, label=f"retry-v{updated.version}")
    return updated


def record_shipment(order: Order, event: FulfilmentEvent, now: str) -> list[Shipment]:
    """The order's shipments after a callback: SHIPPED adds one, DELIVERED stamps the open ones
    (of its node, if it names one) with the delivery time the carrier reports (`occurred_at`,
    when it is plausible: after the order was placed and not in the future) and the actual cost."""
    shipments = list(order.shipments)
    if event.type.value == "SHIPPED":
        shipments.append(
            Shipment(
                node_id=event.node_id,
                carrier=event.carrier or "",
                shipped_at=now,
                tracking_number=event.tracking_number or "",
                actual_cost=event.actual_cost,
            )
        )
    elif event.type.value == "DELIVERED":
        delivered = _reported_time(event.occurred_at, order.created_at, now)
        changes: dict[str, Any] = {"delivered_at": delivered}
        if event.actual_cost is not None:
            changes["actual_cost"] = event.actual_cost
        shipments = [
            s.model_copy(update=changes)
            if s.delivered_at is None and (event.node_id is None or s.node_id == event.node_id)
            else s
            for s in shipments
        ]
    return shipments


def _reported_time(reported: str | None, earliest: str, now: str) -> str:
    """The time a sender reports, normalised, if it lies between `earliest` and `now`; else now."""
    if not reported:
        return now
    try:
        at = iso(parse_iso(reported))
    except ValueError:
        return now
    return at if earliest <= at <= now else now


_SOURCED_OR_LATER = frozenset(
    s
    for s in OrderStatus
    if s not in (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SOURCING, OrderStatus.BACKORDERED)
)


def request_resource(principal: Principal, order_id: str) -> dict[str, Any]:
    """Source a backordered order again. An order already sourced (or further) is refused: its
    stock is reserved and moving it would need a cancel first."""
    order = repos.orders.require(principal.tenant_id, order_id)
    if order.status in _SOURCED_OR_LATER:
        raise Conflict(
            f"order is {order.status.value}; only a BACKORDERED order is sourced again",
            code="already_sourced" if order.status != OrderStatus.FAILED else "order_failed",
            details={"status": order.status.value},
        )
    if order.status != OrderStatus.BACKORDERED:
        raise Conflict(
            f"order is {order.status.value}; its sourcing is already under way",
            code="sourcing_in_progress",
            details={"status": order.status.value},
        )
    execution = start_resource(order, reason=principal.actor)
    return {"order_id": order.id, "status": order.status.value, "execution_arn": execution}


def start_resource(order: Order, reason: str) -> str:
    """Start the RESOURCE path of the order's workflow. Two triggers racing for one backorder
    are harmless: every step accepts the state it left and the reserve is version-conditioned."""
    return workflow.start(
        order.tenant_id, order.id, {"type": "RESOURCE", "by": reason}, label=f"resource-v{order.version}"
    )


def import_order(tenant_id: str, imported: ImportedOrder) -> tuple[Order, bool]:
    """Create an order a sales channel sold, once: its id is derived from the channel's order id
    (in the channel id space, apart from API orders'), so a redelivered or re-polled order finds
    the first one (the conditional put decides). The channel's own money figures are kept and no
    catalog price is needed; the link to the channel order is set here, and only here. A later
    version of the same order does not replace it."""
    try:
        request = ChannelOrderRequest.model_validate(imported.request)
    except ValidationError as exc:
        raise ImportProblem(f"the channel order does not make a valid order: {exc.errors()[:2]}") from exc
    link = imported.link
    try:
        _check_pickup_node(request, tenant_id)
        order = order_rules.build_channel_order(
            request,
            order_rules.Totals(
                subtotal=imported.subtotal,
                shipping=imported.shipping,
                tax=imported.tax,
                discount=imported.discount,
                total=imported.total,
            ),
            link,
            tenant_id=tenant_id,
            now=now_iso(),
            start_code=workflows.current(tenant_id).anchor(OrderStatus.PENDING),
        )
    except ValidationFailed as exc:
        raise ImportProblem(f"{exc.message}: {exc.details}") from exc
    legacy = _legacy_import(tenant_id, link)
    if legacy is not None:
        return legacy, False
    stored, created = repos.orders.insert(order)
    if created:
        start_intake(stored)
        metrics.count(metrics.ORDERS_CREATED, tenant_id=tenant_id, channel=stored.channel.value)
    return stored, created


def _legacy_import(tenant_id: str, link: ChannelLink) -> Order | None:
    """The same channel order imported before channel ids had their own space (one read; such
    ids are never written any more, so no insert can race with it)."""
    return repos.orders.get(tenant_id, order_rules.legacy_channel_order_id(tenant_id, link))


def find_imported(tenant_id: str, link: ChannelLink) -> Order | None:
    """The order a channel's order was imported as, if any."""
    order = repos.orders.get(
        tenant_id,
        order_rules.channel_order_id_for(tenant_id, link.channel, link.account, link.channel_order_id),
    )
    return order or _legacy_import(tenant_id, link)
