"""Orders, their callbacks and audit trail."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from oms.api.http import current_request, route
from oms.api.instance import app
from oms.domain.models import (
    CancelRequest,
    FulfilmentEvent,
    ListQuery,
    OrderCreate,
    Principal,
    Role,
    StatusPatch,
)
from oms.services import fulfilment, orders


@route(app, "/orders", ["POST"], integration=True, status=201, body=OrderCreate)
def create_order(principal: Principal, *, body: OrderCreate) -> Any:
    key = current_request(app).headers.get("idempotency-key")
    order, created = orders.create_order(body, principal, key)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Location": f"/orders/{order.id}",
    }
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(body=json.dumps(order.public(), default=str), status_code=201, headers=headers)


@route(app, "/orders", ["GET"], query=ListQuery)
def list_orders(principal: Principal, *, query: ListQuery) -> dict[str, Any]:
    return orders.list_orders(principal, query)


@route(app, "/orders/number/{order_number}", ["GET"], integration=True)
def get_by_number(principal: Principal, order_number: str) -> dict[str, Any]:
    return orders.get_by_number(principal, order_number).public()


@route(app, "/orders/{order_id}", ["GET"], integration=True)
def get_order(principal: Principal, order_id: str) -> dict[str, Any]:
    return orders.get_order(principal, order_id).public()


@route(app, "/orders/{order_id}/status", ["PATCH"], role=Role.SUPERADMIN, body=StatusPatch)
def patch_status(principal: Principal, order_id: str, *, body: StatusPatch) -> dict[str, Any]:
    return orders.patch_status(principal, order_id, body).public()


@route(app, "/orders/{order_id}/cancel", ["POST"], integration=True, body=CancelRequest)
def cancel(principal: Principal, order_id: str, *, body: CancelRequest) -> dict[str, Any]:
    """Cancel: SUPERADMIN and INTEGRATION any order of the tenant, a USER the orders they created."""
    return orders.cancel_order(principal, order_id, body).public()


@route(app, "/orders/{order_id}/events", ["GET"])
def order_events(principal: Principal, order_id: str) -> dict[str, Any]:
    items = orders.events(principal, order_id)
    return {"items": items, "count": len(items)}


@route(app, "/orders/{order_id}/sourcing", ["GET"])
def sourcing_decisions(principal: Principal, order_id: str) -> dict[str, Any]:
    items = orders.sourcing_decisions(principal, order_id)
    return {"items": items, "count": len(items)}


@route(
    app,
    "/orders/{order_id}/fulfillment-events",
    ["POST"],
    role=Role.SUPERADMIN,
    integration=True,
    body=FulfilmentEvent,
)
def fulfilment_event(principal: Principal, order_id: str, *, body: FulfilmentEvent) -> Any:
    """A warehouse or carrier callback (INTEGRATION key, or a SUPERADMIN by hand).

    200 when the event was applied now; 202 when it resumed the workflow (applied shortly)."""
    result = fulfilment.accept_fulfilment_event(principal, order_id, body)
    return Response(
        body=json.dumps(result),
        status_code=200 if result["applied"] or result.get("duplicate") else 202,
        headers={"Content-Type": "application/json"},
    )


@route(app, "/orders/{order_id}/sourcing", ["POST"], role=Role.SUPERADMIN, status=202)
def resource_order(principal: Principal, order_id: str) -> dict[str, Any]:
    """Source a backordered order again now (the scheduled job does this when stock arrives)."""
    return orders.request_resource(principal, order_id)
