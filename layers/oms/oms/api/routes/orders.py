"""Orders, their callbacks and audit trail."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from oms.api.http import PageQuery, current_request, route
from oms.api.instance import app
from oms.domain.customers import CustomerOrderCreate, customer_view
from oms.domain.models import (
    CancelRequest,
    FulfilmentEvent,
    ListQuery,
    Order,
    OrderCreate,
    Principal,
    Role,
    StatusPatch,
)
from oms.services import callbacks, customers, fulfilment, orders


def _view(principal: Principal, order: Order) -> dict[str, Any]:
    """A customer sees the customer view of their order; staff and machines all of it."""
    return customer_view(order) if principal.role is Role.CUSTOMER else order.public()


@route(
    app,
    "/orders",
    ["POST"],
    role=Role.CUSTOMER,
    integration=True,
    status=201,
    body=OrderCreate,
    customer_body=CustomerOrderCreate,
)
def create_order(principal: Principal, *, body: OrderCreate | CustomerOrderCreate) -> Any:
    """Place an order. A CUSTOMER sends `CustomerOrderCreate`: the order is theirs (their
    account's email and name, channel WEB, catalog prices)."""
    key = current_request(app).headers.get("idempotency-key")
    if isinstance(body, CustomerOrderCreate):
        order, created = customers.create_order(principal, body, key)
    else:
        order, created = orders.create_order(body, principal, key)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Location": f"/orders/{order.id}",
    }
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(body=json.dumps(_view(principal, order), default=str), status_code=201, headers=headers)


@route(app, "/orders", ["GET"], role=Role.CUSTOMER, query=ListQuery)
def list_orders(principal: Principal, *, query: ListQuery) -> dict[str, Any]:
    """The tenant's orders, newest first; a CUSTOMER's own only."""
    if principal.role is Role.CUSTOMER:
        return customers.list_orders(principal, query)
    return orders.list_orders(principal, query)


@route(app, "/orders/number/{order_number}", ["GET"], integration=True)
def get_by_number(principal: Principal, order_number: str) -> dict[str, Any]:
    return orders.get_by_number(principal, order_number).public()


@route(app, "/orders/{order_id}", ["GET"], role=Role.CUSTOMER, integration=True)
def get_order(principal: Principal, order_id: str) -> dict[str, Any]:
    """An order of the tenant (a CUSTOMER: their own, the customer view; others' are 404)."""
    return _view(principal, customers.readable_order(principal, order_id))


@route(app, "/orders/{order_id}/timeline", ["GET"], role=Role.CUSTOMER, integration=True)
def customer_timeline(principal: Principal, order_id: str) -> dict[str, Any]:
    """The customer-safe timeline: status changes (code, phase, time) and shipments (tracking)."""
    return customers.order_timeline(principal, order_id)


@route(app, "/orders/{order_id}/status", ["PATCH"], role=Role.SUPERADMIN, body=StatusPatch)
def patch_status(principal: Principal, order_id: str, *, body: StatusPatch) -> dict[str, Any]:
    return orders.patch_status(principal, order_id, body).public()


@route(app, "/orders/{order_id}/cancel", ["POST"], role=Role.CUSTOMER, integration=True, body=CancelRequest)
def cancel(principal: Principal, order_id: str, *, body: CancelRequest) -> dict[str, Any]:
    """Cancel: SUPERADMIN and INTEGRATION any order of the tenant, a USER the orders they created,
    a CUSTOMER their own (while the workflow allows)."""
    if principal.role is Role.CUSTOMER:
        return customer_view(customers.cancel_order(principal, order_id, body))
    return orders.cancel_order(principal, order_id, body).public()


@route(app, "/orders/{order_id}/events", ["GET"], query=PageQuery)
def order_events(principal: Principal, order_id: str, *, query: PageQuery) -> dict[str, Any]:
    """The order's audit trail, oldest first, paged (`limit`, `next_cursor`)."""
    return orders.events(principal, order_id, query.limit, query.cursor)


@route(app, "/orders/{order_id}/rejected-callbacks", ["GET"], query=PageQuery)
def rejected_callbacks(principal: Principal, order_id: str, *, query: PageQuery) -> dict[str, Any]:
    """Callbacks the order refused, newest first: the first few of each day, and how many in all."""
    return callbacks.refused(principal, order_id, query.limit, query.cursor)


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
