"""Nodes and stock use cases."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from oms.adapters import jobs
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from oms.domain.inventory import item_id_for
from oms.domain.models import AdjustmentReason, NodeStatus, Principal
from oms.domain.network import (
    Adjustment,
    AdjustRequest,
    AvailabilityRequest,
    InventoryCreate,
    InventoryItem,
    InventoryUpdate,
    Node,
    NodeCreate,
    NodeUpdate,
    TransferRequest,
)
from oms.services.context import repos, retry_lost_updates

_RETRIES = 5


# ------------------------------------------------------------------ nodes
def create_node(principal: Principal, request: NodeCreate) -> Node:
    now = now_iso()
    node = Node(
        id=str(uuid.uuid4()),
        tenant_id=principal.tenant_id,
        created_at=now,
        updated_at=now,
        **request.model_dump(),
    )
    repos.nodes.insert(node)
    return node


def list_nodes(
    principal: Principal,
    node_type: str | None = None,
    status: str | None = None,
    capability: str | None = None,
    include_deleted: bool = False,
) -> list[Node]:
    nodes = repos.nodes.all(principal.tenant_id, day=now_iso()[:10])
    if capability is not None and capability not in (
        "can_ship",
        "can_pickup",
        "can_curbside",
        "can_same_day",
    ):
        raise ValidationFailed(
            "unknown capability",
            details=[
                {
                    "loc": ["query", "capability"],
                    "msg": "use can_ship, can_pickup, can_curbside or can_same_day",
                    "type": "enum",
                }
            ],
        )
    return sorted(
        (
            n
            for n in nodes
            if (include_deleted or not n.deleted_at)
            and (node_type is None or n.node_type.value == node_type)
            and (status is None or n.status.value == status)
            and (capability is None or n.has(capability))
        ),
        key=lambda n: n.code,
    )


def get_node(principal: Principal, node_id: str) -> Node:
    found = repos.nodes.get_with_version(principal.tenant_id, node_id)
    if found is None or found[0].deleted_at:
        raise NotFound(f"node {node_id} not found", code="node_not_found")
    today = now_iso()[:10]
    used = repos.nodes.orders_on(principal.tenant_id, node_id, today)
    return found[0].model_copy(update={"current_daily_orders": used, "capacity_date": today})


def _change_node(principal: Principal, node_id: str, fields: dict[str, Any]) -> Node:
    def attempt() -> Node:
        found = repos.nodes.get_with_version(principal.tenant_id, node_id)
        if found is None or found[0].deleted_at:
            raise NotFound(f"node {node_id} not found", code="node_not_found")
        node, version = found
        updated = node.model_copy(update={**fields, "updated_at": now_iso()})
        repos.nodes.replace(updated, version)
        return updated

    return retry_lost_updates(attempt, "node")


def update_node(principal: Principal, node_id: str, request: NodeUpdate) -> Node:
    return _change_node(principal, node_id, request.model_dump(exclude_unset=True))


def delete_node(principal: Principal, node_id: str) -> Node:
    """Soft delete: the node stops being a sourcing candidate; its history stays readable."""
    return _change_node(principal, node_id, {"status": NodeStatus.CLOSED, "deleted_at": now_iso()})


def node_capacity(principal: Principal, node_id: str) -> dict[str, Any]:
    node = get_node(principal, node_id)
    today = node.capacity_date or now_iso()[:10]
    used = node.current_daily_orders
    cap = node.daily_order_capacity
    return {
        "node_id": node.id,
        "code": node.code,
        "date": today,
        "daily_order_capacity": cap,
        "current_daily_orders": used,
        "remaining": max(cap - used, 0),
        "utilization_pct": round(100.0 * used / cap, 2) if cap else 100.0,
    }


# ------------------------------------------------------------------ stock
def item_view(item: InventoryItem) -> dict[str, Any]:
    return {**item.model_dump(mode="json"), "low_stock": item.low_stock}


def create_item(principal: Principal, request: InventoryCreate) -> InventoryItem:
    get_node(principal, request.node_id)
    now = now_iso()
    item = InventoryItem(
        id=item_id_for(principal.tenant_id, request.node_id, request.sku),
        tenant_id=principal.tenant_id,
        node_id=request.node_id,
        sku=request.sku,
        product_name=request.product_name,
        on_hand=request.on_hand,
        reserved=0,
        available=request.on_hand,
        reorder_level=request.reorder_level,
        reorder_quantity=request.reorder_quantity,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repos.stock.insert(item)
    if item.on_hand > 0:
        jobs.request_backorder_resource(principal.tenant_id, [item.sku])
    return item


def list_items(
    principal: Principal,
    node_id: str | None,
    low_stock: bool | None,
    sku: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    if sku:
        items = repos.stock.batch_get(principal.tenant_id, repos.stock.ids_for_sku(principal.tenant_id, sku))
        next_cursor = None
        if node_id:
            items = [i for i in items if i.node_id == node_id]
    else:
        ids, next_cursor = repos.stock.list_ids(principal.tenant_id, node_id, limit, cursor)
        found = {i.id: i for i in repos.stock.batch_get(principal.tenant_id, ids)}
        items = [found[i] for i in ids if i in found]
    if low_stock is not None:
        items = [i for i in items if i.low_stock == low_stock]
    return {"items": [item_view(i) for i in items], "next_cursor": next_cursor, "count": len(items)}


def sku_stock(principal: Principal, sku: str) -> dict[str, Any]:
    items = sorted(
        repos.stock.batch_get(principal.tenant_id, repos.stock.ids_for_sku(principal.tenant_id, sku)),
        key=lambda i: i.node_id,
    )
    if not items:
        raise NotFound(f"no stock records for {sku}", code="sku_not_found")
    return {
        "sku": sku,
        "on_hand": sum(i.on_hand for i in items),
        "reserved": sum(i.reserved for i in items),
        "available": sum(i.available for i in items),
        "nodes": [item_view(i) for i in items],
    }


def get_item(principal: Principal, item_id: str) -> dict[str, Any]:
    item = repos.stock.require(principal.tenant_id, item_id)
    adjustments = repos.stock.adjustments(principal.tenant_id, item_id, limit=50)
    return {**item_view(item), "adjustments": [a.model_dump(mode="json") for a in adjustments]}


def update_item(principal: Principal, item_id: str, request: InventoryUpdate) -> InventoryItem:
    for _ in range(_RETRIES):
        item = repos.stock.require(principal.tenant_id, item_id)
        try:
            repos.stock.update_fields(
                principal.tenant_id,
                item_id,
                item.version,
                now_iso(),
                request.product_name,
                request.reorder_level,
                request.reorder_quantity,
            )
            return repos.stock.require(principal.tenant_id, item_id)
        except Conflict as exc:
            if exc.code != "concurrent_update":
                raise
    raise Conflict("the item is being changed by others; retry", code="concurrent_update")


def _adjustment(
    item: InventoryItem,
    reason: AdjustmentReason,
    delta: int,
    actor: str,
    now: str,
    note: str | None,
    reference: str | None = None,
) -> Adjustment:
    return Adjustment(
        id=str(uuid.uuid4()),
        item_id=item.id,
        node_id=item.node_id,
        sku=item.sku,
        reason=reason,
        delta_on_hand=delta,
        delta_reserved=0,
        on_hand_before=item.on_hand,
        on_hand_after=item.on_hand + delta,
        reserved_before=item.reserved,
        reserved_after=item.reserved,
        note=note,
        reference=reference,
        actor=actor,
        created_at=now,
    )


def adjust(principal: Principal, item_id: str, request: AdjustRequest) -> dict[str, Any]:
    """Change on-hand with a reason; never below what is reserved (that stock is promised)."""
    for _ in range(_RETRIES):
        item = repos.stock.require(principal.tenant_id, item_id)
        if item.available + request.delta < 0:
            raise InsufficientStock(
                f"cannot remove {-request.delta}: only {item.available} are not reserved",
                details={"on_hand": item.on_hand, "reserved": item.reserved, "available": item.available},
            )
        now = now_iso()
        adj = _adjustment(item, request.reason, request.delta, principal.actor, now, request.note)
        try:
            repos.stock.apply_on_hand_changes(principal.tenant_id, [(item, request.delta, 0)], [adj], now)
        except Conflict as exc:
            if exc.code in ("concurrent_update", "stock_conflict"):
                continue
            raise
        if request.delta > 0:  # stock arrived: backorders of this SKU may be sourced now
            jobs.request_backorder_resource(principal.tenant_id, [item.sku])
        return {
            "item": item_view(repos.stock.require(principal.tenant_id, item_id)),
            "adjustment": adj.model_dump(mode="json"),
        }
    raise Conflict("the item is being changed by others; retry", code="concurrent_update")


def transfer(principal: Principal, request: TransferRequest) -> dict[str, Any]:
    """Move stock between nodes in one transaction (both items versioned, both logged)."""
    get_node(principal, request.from_node_id)
    get_node(principal, request.to_node_id)
    src_id = item_id_for(principal.tenant_id, request.from_node_id, request.sku)
    dst_id = item_id_for(principal.tenant_id, request.to_node_id, request.sku)
    actor = principal.actor
    for _ in range(_RETRIES):
        src = repos.stock.get(principal.tenant_id, src_id)
        if src is None:
            raise NotFound(
                f"node {request.from_node_id} does not stock {request.sku}", code="inventory_item_not_found"
            )
        dst = repos.stock.get(principal.tenant_id, dst_id)
        if dst is None:
            now = now_iso()
            with contextlib.suppress(Conflict):
                repos.stock.insert(
                    InventoryItem(
                        id=dst_id,
                        tenant_id=principal.tenant_id,
                        node_id=request.to_node_id,
                        sku=request.sku,
                        product_name=src.product_name,
                        on_hand=0,
                        reserved=0,
                        available=0,
                        reorder_level=src.reorder_level,
                        reorder_quantity=src.reorder_quantity,
                        version=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
            continue
        if src.available < request.quantity:
            raise InsufficientStock(
                f"only {src.available} of {request.sku} are free at the source node",
                details={"available": src.available},
            )
        now = now_iso()
        transfer_id = str(uuid.uuid4())
        out_adj = _adjustment(
            src,
            AdjustmentReason.TRANSFER_OUT,
            -request.quantity,
            actor,
            now,
            request.note,
            reference=f"transfer:{transfer_id}",
        )
        in_adj = _adjustment(
            dst,
            AdjustmentReason.TRANSFER_IN,
            request.quantity,
            actor,
            now,
            request.note,
            reference=f"transfer:{transfer_id}",
        )
        try:
            repos.stock.apply_on_hand_changes(
                principal.tenant_id,
                [(src, -request.quantity, 0), (dst, request.quantity, 0)],
                [out_adj, in_adj],
                now,
            )
        except Conflict as exc:
            if exc.code in ("concurrent_update", "stock_conflict"):
                continue
            raise
        jobs.request_backorder_resource(principal.tenant_id, [request.sku])
        return {
            "transfer_id": transfer_id,
            "sku": request.sku,
            "quantity": request.quantity,
            "from": item_view(repos.stock.require(principal.tenant_id, src_id)),
            "to": item_view(repos.stock.require(principal.tenant_id, dst_id)),
        }
    raise Conflict("the items are being changed by others; retry", code="concurrent_update")


def check_availability(principal: Principal, request: AvailabilityRequest) -> dict[str, Any]:
    nodes = [
        n
        for n in repos.nodes.all(principal.tenant_id)
        if not n.deleted_at
        and n.status == NodeStatus.ACTIVE
        and (request.node_ids is None or n.id in request.node_ids)
    ]
    wanted = [item_id_for(principal.tenant_id, n.id, line.sku) for n in nodes for line in request.items]
    stock = {(i.node_id, i.sku): i.available for i in repos.stock.batch_get(principal.tenant_id, wanted)}
    lines = []
    for line in request.items:
        per_node = {n.code: stock.get((n.id, line.sku), 0) for n in nodes}
        total = sum(per_node.values())
        lines.append(
            {
                "sku": line.sku,
                "requested": line.quantity,
                "available": total,
                "fulfillable": total >= line.quantity,
                "nodes_that_can_fill": sorted(c for c, q in per_node.items() if q >= line.quantity),
                "by_node": per_node,
            }
        )
    single = [
        n.code
        for n in nodes
        if all(stock.get((n.id, line.sku), 0) >= line.quantity for line in request.items)
    ]
    return {
        "all_fulfillable": all(line["fulfillable"] for line in lines),
        "single_node_candidates": sorted(single),
        "items": lines,
    }
