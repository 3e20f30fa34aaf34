"""Two tenants, every operation, every role: nothing of one tenant is visible or changeable from the
other (issue 12).

Tenant A is the demo tenant (its people, an API key, and the real ids `test_route_roles.demo_ids`
makes); tenant B is made through the API as the platform owner would (POST /tenants, the first
SUPERADMIN accepting the invitation, POST /users for each role, an API key) and given its own
node, product, stock, category, rule, webhook endpoint and orders (one by its customer).

For every operation of `app.specs` with ids in its path, each role of each tenant that the route
admits calls it with the OTHER tenant's real ids (a valid body where one is needed): the answer is a
403 or 404, never a 2xx, never a 5xx (`PLATFORM_WIDE` lists the few operations that are not about
a tenant's ids). Every list each admitted caller can read shows none of the other tenant's ids. A
snapshot of each tenant's resources, read by its own SUPERADMIN before and after, must not change.
Roles a route does not admit are refused before any lookup (test_route_roles proves that), so they
are not called here.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable
from tests.component.helpers import NYC, order_body
from tests.component.test_route_roles import (  # noqa: F401  (fixtures, used by name)
    ADMIN,
    CUSTOMER,
    MACHINE,
    OWNER,
    ROWS,
    USER,
    callers,
    demo_ids,
)

PASSWORD = "isolation pass 1"

# (method, path): who may get a 2xx with the other tenant's path values, and why
PLATFORM_WIDE: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/docs/assets/{name}"): frozenset({ADMIN, USER, CUSTOMER, OWNER, MACHINE}),  # static files
    ("POST", "/ingest/{source}"): frozenset({ADMIN, OWNER, MACHINE}),  # lands in the caller's tenant
    ("POST", "/ops/jobs/{name}/run"): frozenset({ADMIN, OWNER}),  # the caller's tenant
    ("POST", "/ops/dlq/{queue}/replay"): frozenset({OWNER}),  # the platform's queues
    ("GET", "/tenants/{tenant_id}"): frozenset({OWNER}),  # the platform owner's, by design
    ("PATCH", "/tenants/{tenant_id}"): frozenset({OWNER}),
    # a shop's public look for its login page and portal (name, logo, colours), by design
    ("GET", "/branding/{slug}"): frozenset({ADMIN, USER, CUSTOMER, OWNER, MACHINE}),
}
# lists that span tenants by design (the platform owner's)
PLATFORM_LISTS = {("GET", "/tenants"), ("GET", "/ops/dlq")}
ROLE_OF = {
    USER: "USER",
    ADMIN: "SUPERADMIN",
    OWNER: "PLATFORM_OWNER",
    MACHINE: "INTEGRATION",
    CUSTOMER: "CUSTOMER",
}


def _specs() -> list[Any]:
    from oms.api.app import app

    return list(app.specs)


def _admits(spec: Any, who: str) -> bool:
    return spec.role is None or ROLE_OF[who] in {r.value for r in spec.roles}


@pytest.fixture(scope="module")
def tenant_b(stack: Any, callers: dict[str, ApiClient]) -> dict[str, Any]:  # noqa: F811
    """Tenant B, made through the API: its callers and its real ids."""
    web = ApiClient(_api_callable(stack), source_ip="192.0.2.77")
    slug = f"iso-{uuid.uuid4().hex[:8]}"
    made = callers[OWNER].post(
        "/tenants", {"name": "Isolated", "slug": slug, "admin_email": f"boss@{slug}.test"}
    )
    assert made.status == 201, made

    def accept(token: str) -> ApiClient:
        reply = web.post("/auth/accept-invitation", {"token": token, "password": PASSWORD})
        assert reply.status == 200, reply
        return web.with_token(reply.body["access_token"])

    admin = accept(made.body["invitation_token"])
    people: dict[str, ApiClient] = {ADMIN: admin}
    user_ids: dict[str, str] = {}
    for who in (USER, CUSTOMER):
        invited = admin.post(
            "/users", {"email": f"{who.lower()}@{slug}.test", "name": who, "role": ROLE_OF[who]}
        )
        assert invited.status == 201, invited
        user_ids[who] = invited.body["id"]
        people[who] = accept(invited.body["invitation_token"])
    key = admin.post("/api-keys", {"name": "b machine"})
    people[MACHINE] = web.with_api_key(key.body["key"])

    sku = f"ISO-B-{uuid.uuid4().hex[:6].upper()}"
    node = admin.post(
        "/nodes",
        {
            "code": "B-WH",
            "name": "B warehouse",
            "node_type": "WAREHOUSE",
            "latitude": 40.7,
            "longitude": -74.0,
            "can_ship": True,
            "daily_order_capacity": 50,
        },
    )
    assert node.status == 201, node
    product = admin.post("/products", {"sku": sku, "name": "B thing", "price": "12.50"})
    assert product.status == 201, product
    item = admin.post("/inventory", {"node_id": node.body["id"], "sku": sku, "on_hand": 20})
    assert item.status == 201, item
    category = admin.post("/product-categories", {"name": "B things", "description": "only B's"})
    assert category.status == 201, category
    rule = admin.post(
        "/sourcing-rules", {"name": "B rule", "priority": 3, "strategy": "DISTANCE_OPTIMAL", "conditions": []}
    )
    assert rule.status == 201, rule
    endpoint = admin.post("/webhooks/endpoints", {"url": "https://93.184.216.34/b-hooks"})
    assert endpoint.status == 201, endpoint
    line = [{"sku": sku, "quantity": 1}]
    order = admin.post("/orders", order_body(customer_email=f"shopper@{slug}.test", line_items=line))
    assert order.status == 201, order
    bought = people[CUSTOMER].post("/orders", {"line_items": line, "shipping_address": NYC})
    assert bought.status == 201, bought
    ids = {
        "order_id": bought.body["id"],
        "order_ref": order.body["id"],
        "order_number": order.body["order_number"],
        "node_id": node.body["id"],
        "item_id": item.body["id"],
        "sku": sku,
        "name": "B things",
        "rule_id": rule.body["id"],
        "endpoint_id": endpoint.body["id"],
        "key_id": key.body["id"],
        "user_id": user_ids[USER],
        "tenant_id": made.body["id"],
        "source": "shopify",  # not ids: the same names in every tenant
        "queue": "warehouse",
    }
    return {"people": people, "ids": ids, "admin_order": order.body["id"], "slug": slug}


@pytest.fixture(scope="module")
def tenant_a(callers: dict[str, ApiClient], demo_ids: dict[str, str]) -> dict[str, Any]:  # noqa: F811
    people = {who: callers[who] for who in (ADMIN, USER, CUSTOMER, OWNER, MACHINE)}
    bought = callers[CUSTOMER].post(
        "/orders", {"line_items": [{"sku": "SKU-WIDGET-B", "quantity": 1}], "shipping_address": NYC}
    )
    assert bought.status == 201, bought
    return {"people": people, "ids": {**demo_ids, "customer_order": bought.body["id"]}}


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: ids.get(m.group(1), f"none-{uuid.uuid4().hex[:8]}"), path)


def _marks(ids: dict[str, str]) -> set[str]:
    """Values that would only be in an answer if it showed the tenant's data (ids, not names)."""
    shared = {"demo", "shopify", "warehouse", "docs.js", "SKU-WIDGET-A"}
    return {v for v in ids.values() if isinstance(v, str) and len(v) >= 8 and v not in shared}


SNAPSHOT = (
    "/nodes/{node_id}",
    "/inventory/{item_id}",
    "/products/{sku}",
    "/sourcing-rules/{rule_id}",
    "/webhooks/endpoints/{endpoint_id}",
    "/users/{user_id}",
)


def _snapshot(admin: ApiClient, ids: dict[str, str]) -> dict[str, Any]:
    out = {}
    for path in SNAPSHOT:
        reply = admin.get(_fill(path, ids))
        out[path] = (reply.status, reply.body)
    return out


def _answer_ok(status: int, wide: bool) -> bool:
    """The other tenant's ids: refused (403) or not found (404); 2xx only where PLATFORM_WIDE."""
    return status in (401, 403, 404) or (wide and 200 <= status < 300)


def _sweep(people: dict[str, ApiClient], own: dict[str, str], other: dict[str, str]) -> list[str]:
    """Problems found (empty: isolated); the last entry counts the calls made."""
    problems: list[str] = []
    calls = 0
    others = _marks(other) - _marks(own)
    for spec in _specs():
        op = (spec.method, spec.path)
        for who, client in people.items():
            if not _admits(spec, who):
                continue
            if "{" in spec.path:
                row = ROWS.get(op)
                body = row.body if row is not None and row.body is not None else None
                if spec.method in ("POST", "PATCH") and body is None:
                    body = {}
                reply = client.call(spec.method, _fill(spec.path, other), body)
                calls += 1
                if not _answer_ok(reply.status, who in PLATFORM_WIDE.get(op, frozenset())):
                    problems.append(f"{spec.method} {spec.path} as {who}: {reply.status} {reply.body}")
            elif spec.method == "GET" and op not in PLATFORM_LISTS:
                reply = client.get(spec.path)
                calls += 1
                text = json.dumps(reply.body)
                leaked = sorted(m for m in others if m in text)
                if reply.status >= 500 or leaked:
                    problems.append(f"GET {spec.path} as {who}: {reply.status}, shows {leaked}")
    return [*problems, f"{calls} calls"]


def test_nothing_of_one_tenant_is_visible_or_changeable_from_the_other(
    tenant_a: dict[str, Any], tenant_b: dict[str, Any]
) -> None:
    a_ids, b_ids = tenant_a["ids"], tenant_b["ids"]
    a_admin, b_admin = tenant_a["people"][ADMIN], tenant_b["people"][ADMIN]
    before = (_snapshot(a_admin, a_ids), _snapshot(b_admin, b_ids))
    *from_b, b_calls = _sweep(tenant_b["people"], b_ids, a_ids)
    *from_a, a_calls = _sweep(tenant_a["people"], a_ids, b_ids)
    assert not from_b + from_a, "\n".join(from_b + from_a)
    assert int(b_calls.split()[0]) > 150 and int(a_calls.split()[0]) > 250, (b_calls, a_calls)
    assert (_snapshot(a_admin, a_ids), _snapshot(b_admin, b_ids)) == before


def test_ids_of_the_other_tenant_in_a_body_are_refused(
    tenant_a: dict[str, Any], tenant_b: dict[str, Any]
) -> None:
    a, b = tenant_a["ids"], tenant_b["ids"]
    for admin, theirs in ((tenant_b["people"][ADMIN], a), (tenant_a["people"][ADMIN], b)):
        stock = admin.post("/inventory", {"node_id": theirs["node_id"], "sku": f"X-{uuid.uuid4().hex[:6]}"})
        assert stock.status == 404, stock
        pickup = admin.post(
            "/orders", order_body(fulfillment_type="STORE_PICKUP", pickup_node_id=theirs["node_id"])
        )
        assert pickup.status == 422, pickup
        moved = admin.post(
            "/inventory/transfer",
            {
                "from_node_id": theirs["node_id"],
                "to_node_id": theirs["node_id"],
                "sku": theirs["sku"],
                "quantity": 1,
            },
        )
        assert moved.status in (404, 409, 422), moved


def test_a_customer_of_one_tenant_never_sees_the_others_orders(
    tenant_a: dict[str, Any], tenant_b: dict[str, Any]
) -> None:
    a_customer, b_customer = tenant_a["people"][CUSTOMER], tenant_b["people"][CUSTOMER]
    assert b_customer.get(f"/orders/{tenant_a['ids']['customer_order']}").status == 404
    assert a_customer.get(f"/orders/{tenant_b['ids']['order_id']}").status == 404
    assert {o["id"] for o in b_customer.get("/orders").body["items"]} == {tenant_b["ids"]["order_id"]}
    b_catalog = {i["sku"] for i in b_customer.get("/catalog").body["items"]}
    assert b_catalog == {tenant_b["ids"]["sku"]}
    assert b_customer.get("/auth/me").body["tenant_slug"] == tenant_b["slug"]
