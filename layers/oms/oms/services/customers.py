"""A CUSTOMER's orders and the tenant's catalog as shoppers see it (issue 12).

A customer's orders are theirs by account (`Order.customer_user_id`, set by the server), never by
an email a client sends: they are listed from the sparse by_customer index, and any other order
is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from oms.domain.customers import CustomerOrderCreate, customer_summary, order_request, timeline
from oms.domain.errors import NotFound
from oms.domain.inventory import item_id_for
from oms.domain.models import CancelRequest, ListQuery, Order, Principal, Role
from oms.services import orders
from oms.services.context import repos


def _account(principal: Principal) -> tuple[str, str]:
    user = repos.directory.user_by_email(principal.email)
    if user is None or user.user_id != principal.user_id:
        raise NotFound("this account no longer exists", code="user_not_found")
    return user.email, user.name


def create_order(
    principal: Principal, request: CustomerOrderCreate, idempotency_key: str | None
) -> tuple[Order, bool]:
    """The customer's order: their account's email and name, channel WEB, catalog prices. An
    Idempotency-Key is the customer's own (another's same key is another order)."""
    email, name = _account(principal)
    key = f"customer:{principal.user_id}:{idempotency_key}" if idempotency_key else None
    return orders.create_order(order_request(request, email=email, name=name), principal, key)


def own_order(principal: Principal, order_id: str) -> Order:
    """The order, if the calling customer placed it; 404 otherwise."""
    order = repos.orders.get(principal.tenant_id, order_id)
    if order is None or order.customer_user_id != principal.user_id:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    return order


def readable_order(principal: Principal, order_id: str) -> Order:
    """The order as the caller may read it: a customer their own, everyone else the tenant's."""
    if principal.role is Role.CUSTOMER:
        return own_order(principal, order_id)
    return orders.get_order(principal, order_id)


def list_orders(principal: Principal, query: ListQuery) -> dict[str, Any]:
    """The customer's own orders, newest first (their partition of the by_customer index)."""
    ids, cursor = repos.orders.customer_page_ids(
        principal.tenant_id, principal.user_id, query.limit, query.cursor
    )
    found = [
        o for o in repos.orders.batch_get(principal.tenant_id, ids) if o.customer_user_id == principal.user_id
    ]
    if query.status:
        found = [o for o in found if o.status == query.status]
    return {"items": [customer_summary(o) for o in found], "next_cursor": cursor, "count": len(found)}


def cancel_order(principal: Principal, order_id: str, request: CancelRequest) -> Order:
    """Cancel one's own order while the workflow allows it (409 once it does not)."""
    own_order(principal, order_id)
    return orders.cancel_order(principal, order_id, request)


def order_timeline(principal: Principal, order_id: str) -> dict[str, Any]:
    return timeline(readable_order(principal, order_id))


def catalog(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """Sellable products with their price and whether any node has one available."""
    products, next_cursor = repos.products.page(
        principal.tenant_id, category=None, active=True, limit=limit, cursor=cursor
    )
    node_ids = sorted(n.id for n in repos.nodes.all(principal.tenant_id))
    wanted = [item_id_for(principal.tenant_id, node, p.sku) for p in products for node in node_ids]
    available: dict[str, int] = {}
    for item in repos.stock.batch_get(principal.tenant_id, wanted) if wanted else []:
        available[item.sku] = available.get(item.sku, 0) + max(item.available, 0)
    items = [
        {
            "sku": p.sku,
            "name": p.name,
            "description": p.description,
            "price": str(p.price),
            "currency": p.currency,
            "in_stock": available.get(p.sku, 0) > 0,
        }
        for p in products
    ]
    return {"items": items, "count": len(items), "next_cursor": next_cursor}
