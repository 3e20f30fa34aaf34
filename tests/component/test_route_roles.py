"""Every operation x every role, against a hand-written table (the role matrix of the README).

For each operation of `app.specs`, seven callers: anonymous, CUSTOMER, USER, SUPERADMIN,
PLATFORM_OWNER and INTEGRATION of the demo tenant (ids that do not exist, a minimal body `{}`), and a
SUPERADMIN of another tenant (the demo tenant's real ids, a valid body). Expected:

* a caller the row admits gets past authorisation: neither 401 nor 403, and no 5xx;
* anonymous, when the row does not admit it: 401; any other caller it does not admit: 403
  `insufficient_role`, decided before the body is validated or anything is looked up (a CUSTOMER,
  a shopper of the tenant, is admitted only by the rows that name it: `PEOPLE | {CUSTOMER}`);
* the other tenant's SUPERADMIN, for operations on an id: 404 (nothing of another tenant is found,
  changed or deleted), or 403 when the row does not admit a SUPERADMIN at all.

A new route fails `test_every_operation_has_a_row` until its row is added below (the message
prints the row to paste, with the roles the route declares; check them against the work).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable
from tests.component.helpers import order_body, wait_for_status

ANON, USER, ADMIN, OWNER, MACHINE = "anonymous", "USER", "SUPERADMIN", "PLATFORM_OWNER", "INTEGRATION"
CUSTOMER = "CUSTOMER"
CALLERS = (ANON, CUSTOMER, USER, ADMIN, OWNER, MACHINE)
PUBLIC = frozenset(CALLERS)
PEOPLE = frozenset({USER, ADMIN, OWNER})
ADMINS = frozenset({ADMIN, OWNER})
OWNERS = frozenset({OWNER})


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    # a valid body for the cross-tenant call (it must reach the lookup to show a 404)
    body: dict[str, Any] | None = None
    # the cross-tenant SUPERADMIN's status when it is not "404 if admitted, else 403"
    cross: int | None = None
    why: str = field(default="", compare=False)


# fmt: off
ROWS: dict[tuple[str, str], Row] = {
    # system
    ("GET", "/health"): Row(PUBLIC),
    ("POST", "/auth/login"): Row(PUBLIC),
    ("GET", "/openapi.json"): Row(PUBLIC),
    ("GET", "/docs"): Row(PUBLIC),
    ("GET", "/docs/assets/{name}"): Row(PUBLIC, cross=200, why="static docs files, no tenant data"),
    ("GET", "/auth/me"): Row(PEOPLE | {CUSTOMER, MACHINE}),
    ("POST", "/auth/accept-invitation"): Row(PUBLIC, why="the one-time token is the authentication"),
    ("POST", "/auth/reset-password"): Row(PUBLIC, why="the one-time token is the authentication"),
    ("POST", "/auth/password"): Row(PEOPLE | {CUSTOMER}, why="one's own password"),
    # tenants: the platform owner's; users: a tenant's SUPERADMIN manages its own (ADR 0034)
    ("POST", "/tenants"): Row(OWNERS),
    ("GET", "/tenants"): Row(OWNERS),
    ("GET", "/tenants/{tenant_id}"): Row(OWNERS),
    ("PATCH", "/tenants/{tenant_id}"): Row(OWNERS, body={"name": "taken over"}),
    ("POST", "/users"): Row(ADMINS),
    ("GET", "/users"): Row(ADMINS),
    ("GET", "/users/{user_id}"): Row(ADMINS),
    ("PATCH", "/users/{user_id}"): Row(ADMINS, body={"name": "taken over"}),
    ("DELETE", "/users/{user_id}"): Row(ADMINS),
    ("POST", "/users/{user_id}/reset-password"): Row(ADMINS),
    # shoppers (CUSTOMER): the catalog, and their own orders only (others' are 404)
    ("GET", "/catalog"): Row(PEOPLE | {CUSTOMER}),
    # API keys: a tenant's SUPERADMIN issues and revokes them
    ("POST", "/api-keys"): Row(ADMINS),
    ("GET", "/api-keys"): Row(ADMINS),
    ("DELETE", "/api-keys/{key_id}"): Row(ADMINS),
    # orders: people read and create; machines ingest, call back and cancel
    ("POST", "/orders"): Row(PEOPLE | {CUSTOMER, MACHINE}, why="a CUSTOMER's order is their own"),
    ("GET", "/orders"): Row(PEOPLE | {CUSTOMER}, why="a CUSTOMER lists their own orders"),
    ("GET", "/orders/number/{order_number}"): Row(PEOPLE | {MACHINE}),
    ("GET", "/orders/{order_id}"): Row(PEOPLE | {CUSTOMER, MACHINE}, why="a CUSTOMER: own orders"),
    ("GET", "/orders/{order_id}/timeline"): Row(PEOPLE | {CUSTOMER, MACHINE}, why="customer-safe"),
    ("PATCH", "/orders/{order_id}/status"): Row(ADMINS, body={"status": "CANCELLED"}),
    ("POST", "/orders/{order_id}/cancel"): Row(PEOPLE | {CUSTOMER, MACHINE}, body={},
                                               why="a USER only their own orders (403 not_your_order)"),
    ("GET", "/orders/{order_id}/events"): Row(PEOPLE),
    ("GET", "/orders/{order_id}/rejected-callbacks"): Row(PEOPLE),
    ("GET", "/orders/{order_id}/sourcing"): Row(PEOPLE),
    ("POST", "/orders/{order_id}/fulfillment-events"): Row(ADMINS | {MACHINE}, body={"type": "PICKING"}),
    ("POST", "/orders/{order_id}/sourcing"): Row(ADMINS),
    # returns (ADR 0038): people and a CUSTOMER (own orders only, others' 404) ask and read;
    # people decide and refund; people and machines (a warehouse) receive
    ("GET", "/return-policy"): Row(PEOPLE | {CUSTOMER}),
    ("PUT", "/return-policy"): Row(ADMINS),
    ("POST", "/orders/{order_id}/returns"): Row(
        PEOPLE | {CUSTOMER}, body={"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "OTHER"}]},
        why="a CUSTOMER: own orders"),
    ("GET", "/orders/{order_id}/returns"): Row(PEOPLE | {CUSTOMER, MACHINE}, why="as GET /orders/{id}"),
    ("GET", "/returns"): Row(PEOPLE | {CUSTOMER}, why="a CUSTOMER lists their own returns"),
    ("GET", "/returns/{return_id}"): Row(PEOPLE | {CUSTOMER}, why="a CUSTOMER: own returns"),
    ("POST", "/returns/{return_id}/approve"): Row(PEOPLE, body={}),
    ("POST", "/returns/{return_id}/reject"): Row(PEOPLE, body={"reason": "taken over"}),
    ("POST", "/returns/{return_id}/receive"): Row(PEOPLE | {MACHINE}, body={
        "node_id": "n", "lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "SELLABLE"}]}),
    ("POST", "/returns/{return_id}/refund"): Row(PEOPLE),
    # nodes and stock: everyone reads, admins change
    ("POST", "/nodes"): Row(ADMINS),
    ("GET", "/nodes"): Row(PEOPLE),
    ("GET", "/nodes/{node_id}"): Row(PEOPLE),
    ("PATCH", "/nodes/{node_id}"): Row(ADMINS, body={"name": "taken over"}),
    ("DELETE", "/nodes/{node_id}"): Row(ADMINS),
    ("GET", "/nodes/{node_id}/capacity"): Row(PEOPLE),
    ("POST", "/inventory"): Row(ADMINS),
    ("GET", "/inventory"): Row(PEOPLE),
    ("GET", "/inventory/sku/{sku}"): Row(PEOPLE, why="the SKU is the demo's; the other tenant has none"),
    ("POST", "/inventory/check-availability"): Row(PEOPLE),
    ("POST", "/inventory/transfer"): Row(ADMINS),
    ("GET", "/inventory/{item_id}"): Row(PEOPLE),
    ("PATCH", "/inventory/{item_id}"): Row(ADMINS, body={"reorder_level": 1}),
    ("POST", "/inventory/{item_id}/adjust"): Row(ADMINS, body={"delta": -1, "reason": "DAMAGED"}),
    ("GET", "/inventory/products"): Row(PEOPLE),
    ("GET", "/inventory/products/{sku}"): Row(PEOPLE, why="the SKU is the demo's; the other tenant has none"),
    ("PATCH", "/inventory/products/{sku}"): Row(ADMINS, body={"reorder_level": 7}),
    ("GET", "/inventory/alerts"): Row(PEOPLE),
    # sourcing rules: everyone reads and dry-runs, admins change
    ("POST", "/products"): Row(ADMINS),
    ("GET", "/products"): Row(PEOPLE),
    ("GET", "/products/{sku}"): Row(PEOPLE),
    ("PATCH", "/products/{sku}"): Row(ADMINS, body={"name": "taken over", "version": 1}),
    ("DELETE", "/products/{sku}"): Row(ADMINS),
    ("POST", "/product-categories"): Row(ADMINS),
    ("GET", "/product-categories"): Row(PEOPLE),
    ("GET", "/product-categories/{name}"): Row(PEOPLE),
    ("PATCH", "/product-categories/{name}"): Row(ADMINS, body={"version": 1, "description": "taken over"}),
    # search: every person of the tenant; machines ingest and read by id, they do not browse
    ("POST", "/search/orders"): Row(PEOPLE),
    ("GET", "/search/orders"): Row(PEOPLE),
    ("POST", "/search/products"): Row(PEOPLE),
    # analytics: figures of the caller's tenant, for every person in it (ADR 0029)
    ("GET", "/analytics/dashboard"): Row(PEOPLE),
    ("GET", "/analytics/orders/volume"): Row(PEOPLE),
    ("GET", "/analytics/inventory/summary"): Row(PEOPLE),
    ("POST", "/sourcing-rules"): Row(ADMINS),
    ("GET", "/sourcing-rules"): Row(PEOPLE),
    ("POST", "/sourcing-rules/evaluate"): Row(PEOPLE),
    ("GET", "/sourcing-rules/{rule_id}"): Row(PEOPLE),
    ("PATCH", "/sourcing-rules/{rule_id}"): Row(ADMINS, body={"priority": 1}),
    ("DELETE", "/sourcing-rules/{rule_id}"): Row(ADMINS),
    ("POST", "/sourcing-rules/{rule_id}/toggle"): Row(ADMINS),
    # the tenant's workflow (ADR 0035): admins edit it; its status badges are for everyone
    ("GET", "/workflow"): Row(ADMINS),
    ("PUT", "/workflow"): Row(ADMINS),
    ("POST", "/workflow/rollback"): Row(ADMINS),
    ("GET", "/workflow/versions"): Row(ADMINS),
    ("GET", "/workflow/statuses"): Row(PEOPLE | {CUSTOMER}),
    # integrations: secrets and outbound traffic, admins only
    ("POST", "/webhooks/endpoints"): Row(ADMINS),
    ("GET", "/webhooks/endpoints"): Row(ADMINS),
    ("GET", "/webhooks/endpoints/{endpoint_id}"): Row(ADMINS),
    ("PATCH", "/webhooks/endpoints/{endpoint_id}"): Row(ADMINS, body={"description": "mine now"}),
    ("DELETE", "/webhooks/endpoints/{endpoint_id}"): Row(ADMINS),
    ("POST", "/webhooks/endpoints/{endpoint_id}/rotate-secret"): Row(ADMINS),
    ("POST", "/webhooks/endpoints/{endpoint_id}/test"): Row(ADMINS),
    ("GET", "/webhooks/events"): Row(ADMINS),
    ("POST", "/webhooks/events/{delivery_id}/retry"): Row(ADMINS),
    ("POST", "/connectors"): Row(ADMINS),
    ("GET", "/connectors"): Row(ADMINS),
    ("POST", "/connectors/generate-secret"): Row(ADMINS),
    ("GET", "/connectors/{connector_id}"): Row(ADMINS),
    ("PATCH", "/connectors/{connector_id}"): Row(ADMINS, body={"name": "mine now"}),
    ("DELETE", "/connectors/{connector_id}"): Row(ADMINS),
    ("POST", "/connectors/{connector_id}/toggle"): Row(ADMINS),
    ("POST", "/connectors/{connector_id}/test"): Row(ADMINS),
    ("GET", "/connectors/{connector_id}/events"): Row(ADMINS),
    ("GET", "/connectors/{connector_id}/stock-sync"): Row(ADMINS),
    ("POST", "/connectors/{connector_id}/stock-sync/reconcile"): Row(ADMINS),
    # Shopify's deliveries: no caller; the HMAC of the body made with the connector's secret is the
    # authentication, so anyone without it (another tenant's admin too) gets 401 invalid_signature
    ("POST", "/connectors/{connector_id}/webhook"): Row(PUBLIC, cross=401,
                                                         why="authenticated by the Shopify HMAC"),
    # operations: the task log is per tenant; dead letters span tenants (the platform's)
    ("GET", "/ops/task-log"): Row(ADMINS),
    ("POST", "/ops/jobs/{name}/run"): Row(ADMINS, why="a learning job, for the caller's tenant"),
    ("GET", "/ops/dlq"): Row(OWNERS),
    # Invoice Guard (ADR 0032): staff read tariffs and invoices; a SUPERADMIN sets tariffs,
    # decides adjustments and runs the generator (its own tenant; another: the platform owner)
    ("GET", "/billing/tariffs"): Row(PEOPLE),
    ("POST", "/billing/tariffs"): Row(ADMINS),
    ("GET", "/billing/tariffs/{tariff_id}"): Row(PEOPLE),
    ("PATCH", "/billing/tariffs/{tariff_id}"): Row(ADMINS, body={"version": 1, "name": "Cross"}),
    ("POST", "/billing/invoices/generate"): Row(ADMINS, why="the caller's tenant unless PLATFORM_OWNER"),
    ("GET", "/invoices"): Row(PEOPLE),
    ("GET", "/invoices/{invoice_id}"): Row(PEOPLE),
    ("GET", "/invoices/{invoice_id}.csv"): Row(PEOPLE),
    ("POST", "/invoices/{invoice_id}/adjustments/{adjustment_id}/approve"): Row(ADMINS),
    ("POST", "/invoices/{invoice_id}/adjustments/{adjustment_id}/reject"): Row(ADMINS),
    ("POST", "/ops/dlq/{queue}/replay"): Row(OWNERS),
    # the AI architect: a tenant's SUPERADMIN decides what the learning loop may change
    ("GET", "/architect/experiments"): Row(ADMINS),
    ("POST", "/architect/experiments"): Row(ADMINS),
    ("GET", "/architect/experiments/{experiment_id}"): Row(ADMINS),
    ("POST", "/architect/experiments/{experiment_id}/pause"): Row(ADMINS),
    ("POST", "/architect/experiments/{experiment_id}/resume"): Row(ADMINS),
    ("GET", "/architect/experiments/{experiment_id}/results"): Row(ADMINS),
    ("GET", "/architect/proposals"): Row(ADMINS),
    ("GET", "/architect/proposals/{proposal_id}"): Row(ADMINS),
    ("POST", "/architect/proposals/{proposal_id}/approve"): Row(ADMINS),
    ("POST", "/architect/proposals/{proposal_id}/reject"): Row(ADMINS, body={"reason": "taken over"}),
    ("POST", "/architect/proposals/{proposal_id}/apply"): Row(ADMINS),
    ("POST", "/architect/proposals/{proposal_id}/rollback"): Row(ADMINS),
    ("GET", "/architect/patterns"): Row(ADMINS),
    ("GET", "/architect/node-performance"): Row(ADMINS),
    ("GET", "/architect/ai-sourcing/performance"): Row(ADMINS),
    ("POST", "/architect/chat"): Row(ADMINS),
    # the exception analyst (ADR 0033): the tenant's AI cache, a policy check that may call Claude
    # (tokens of the tenant's budget), and the Slack URL (a credential, outbound traffic)
    ("POST", "/admin/cache/clear"): Row(ADMINS, why="the caller's tenant's AI cache generation"),
    ("POST", "/admin/ai/lint-policy"): Row(ADMINS),
    ("GET", "/notifications/slack"): Row(ADMINS),
    ("PUT", "/notifications/slack"): Row(ADMINS),
    # the SLA radar (ADR 0031): events come from API keys (admins may send them too, for replays);
    # an event always lands in the sender's own tenant, so another tenant's admin simply adds one
    ("POST", "/ingest/{source}"): Row(ADMINS | {MACHINE}, cross=202, why="the caller's own tenant",
                                      body={"event_id": "roles-cross", "event_type": "order_paid",
                                            "external_order_id": "ROLES-1",
                                            "occurred_at": "2026-01-01T00:00:00Z"}),
    ("GET", "/sla/policies"): Row(PEOPLE),
    ("POST", "/sla/policies"): Row(ADMINS),
    ("GET", "/sla/policies/{policy_id}"): Row(PEOPLE),
    ("PATCH", "/sla/policies/{policy_id}"): Row(ADMINS, body={"expected_version": 1, "name": "taken over"}),
    ("DELETE", "/sla/policies/{policy_id}"): Row(ADMINS),
    ("GET", "/sla/radar"): Row(PEOPLE),
    ("GET", "/sla/orders/{order_ref}/timeline"): Row(PEOPLE),
    # exceptions: ops staff (every person) read, acknowledge and resolve them
    ("GET", "/exceptions"): Row(PEOPLE),
    ("GET", "/exceptions/{exception_id}"): Row(PEOPLE),
    ("POST", "/exceptions/{exception_id}/acknowledge"): Row(PEOPLE),
    ("POST", "/exceptions/{exception_id}/resolve"): Row(PEOPLE, body={"note": "taken over"}),
    # branding and customer email (ADR 0036): everyone of the tenant reads the branding, a
    # SUPERADMIN changes it and the templates; the slug's public branding is for the login page
    ("GET", "/branding"): Row(PEOPLE | {CUSTOMER}),
    ("PUT", "/branding"): Row(ADMINS),
    ("GET", "/branding/{slug}"): Row(PUBLIC, cross=200, why="public: a shop's name, logo and colours"),
    ("GET", "/email/templates"): Row(ADMINS),
    ("GET", "/email/templates/{name}"): Row(ADMINS),
    ("PUT", "/email/templates/{name}"): Row(ADMINS, body={"subject": "s", "html": "h", "text": "t"}),
    ("DELETE", "/email/templates/{name}"): Row(ADMINS),
    ("POST", "/email/templates/{name}/preview"): Row(ADMINS),
    ("GET", "/orders/{order_id}/emails"): Row(PEOPLE),
    ("POST", "/email/unsubscribe"): Row(PUBLIC),
    ("GET", "/me/email-preferences"): Row(PEOPLE | {CUSTOMER}),
    ("PUT", "/me/email-preferences"): Row(PEOPLE | {CUSTOMER}),
    ("GET", "/email/suppressions"): Row(ADMINS),
    ("DELETE", "/email/suppressions/{email}"): Row(ADMINS),
}
# fmt: on


def _specs() -> list[Any]:
    from oms.api.app import app

    return list(app.specs)


def _operations() -> list[tuple[str, str]]:
    found = {(s.method, s.path) for s in _specs()}
    return sorted(found | set(ROWS), key=lambda op: (op[1], op[0]))


def _declared(method: str, path: str) -> frozenset[str]:
    spec = next(s for s in _specs() if (s.method, s.path) == (method, path))
    return PUBLIC if spec.role is None else frozenset(r.value for r in spec.roles)


def _suggested_row(method: str, path: str) -> str:
    names = {PUBLIC: "PUBLIC", PEOPLE: "PEOPLE", ADMINS: "ADMINS", OWNERS: "OWNERS"}
    roles = _declared(method, path)
    base = roles - {MACHINE}
    text = names.get(base, "{" + ", ".join(sorted(base)) + "}")
    if base == PEOPLE | {CUSTOMER}:
        text = "PEOPLE | {CUSTOMER}"
    if MACHINE in roles and roles != PUBLIC:
        text += " | {MACHINE}"
    return f'    ("{method}", "{path}"): Row({text}),'


def test_every_operation_has_a_row() -> None:
    declared = {(s.method, s.path) for s in _specs()}
    missing = sorted(declared - set(ROWS), key=lambda op: (op[1], op[0]))
    assert not missing, (
        "operations without a row in ROWS of tests/component/test_route_roles.py (add them, after "
        "checking the roles against the work they do; the README's role matrix too):\n"
        + "\n".join(_suggested_row(m, p) for m, p in missing)
    )
    stale = sorted(set(ROWS) - declared)
    assert not stale, f"rows for operations that no longer exist (remove them): {stale}"


@pytest.mark.parametrize(
    ("method", "path"),
    [op for op in _operations() if op in ROWS and op in {(s.method, s.path) for s in _specs()}],
)
def test_the_table_matches_what_each_route_declares(method: str, path: str) -> None:
    assert _declared(method, path) == ROWS[(method, path)].allowed, (
        f"{method} {path}: the route admits {sorted(_declared(method, path))}, "
        f"the table {sorted(ROWS[(method, path)].allowed)}"
    )


# ------------------------------------------------------------------ over HTTP
@pytest.fixture(scope="module")
def callers(stack: Any) -> dict[str, ApiClient]:
    anon = ApiClient(_api_callable(stack), source_ip="192.0.2.200")

    def login(email: str, password: str) -> ApiClient:
        reply = anon.post("/auth/login", {"email": email, "password": password})
        assert reply.status == 200, reply
        return anon.with_token(reply.body["access_token"])

    admin = login("admin@example.com", "admin123")
    key = admin.post("/api-keys", {"name": "route x role"}).body["key"]
    return {
        ANON: anon,
        CUSTOMER: login("customer@example.com", "customer123"),
        USER: login("user@example.com", "user123"),
        ADMIN: admin,
        OWNER: login("owner@example.com", "owner123"),
        MACHINE: anon.with_api_key(key),
    }


@pytest.fixture(scope="module")
def foreign_admin(stack: Any) -> ApiClient:
    """A SUPERADMIN of tenant `acme`."""
    from oms.adapters.passwords import hash_password
    from oms.data.directory import StoredUser
    from oms.domain.clock import now_iso
    from oms.services.context import repos

    repos.directory.put_tenant("acme", "Acme", now_iso())
    repos.directory.put_user(
        StoredUser(
            user_id=str(uuid.uuid4()),
            tenant_id="acme",
            email="roles-boss@acme.test",
            name="Boss",
            role="SUPERADMIN",
            password_hash=hash_password("acme-pass"),
            active=True,
        ),
        now_iso(),
        overwrite=True,
    )
    anon = ApiClient(_api_callable(stack), source_ip="192.0.2.201")
    reply = anon.post("/auth/login", {"email": "roles-boss@acme.test", "password": "acme-pass"})
    assert reply.status == 200, reply
    return anon.with_token(reply.body["access_token"])


@pytest.fixture(scope="module")
def demo_ids(callers: dict[str, ApiClient]) -> Iterator[dict[str, str]]:
    """Real ids of the demo tenant, one per path parameter."""
    from oms.services.context import repos

    admin = callers[ADMIN]
    order = wait_for_status(admin, admin.post("/orders", order_body()).body["id"], {"SOURCED"})
    endpoint = admin.post("/webhooks/endpoints", {"url": "https://93.184.216.34/hooks"})
    assert endpoint.status == 201, endpoint
    connector = admin.post(
        "/connectors",
        {
            "type": "SHOPIFY",
            "name": "Role shop",
            "config": {
                "shop_domain": "role-shop.myshopify.com",
                "access_token": "shpat_role_token",
                "webhook_secret": "role-webhook-secret-0123456789",
            },
        },
    )
    assert connector.status == 201, connector
    delivery_id = f"role-{uuid.uuid4().hex}"
    delivery = {
        "id": delivery_id,
        "tenant_id": "demo",
        "endpoint_id": endpoint.body["id"],
        "url": endpoint.body["url"],
        "event_id": str(uuid.uuid4()),
        "event_type": "order.created",
        "payload": "{}",
        "state": "DEAD",
        "attempts": [],
        "next_retry_at": None,
        "created_at": order["created_at"],
        "updated_at": order["created_at"],
    }
    assert repos.webhooks.insert_delivery("demo", delivery, 4102444800)
    experiment = admin.post(
        "/architect/experiments",
        {
            "name": "roles",
            "strategy_a": "DISTANCE_OPTIMAL",
            "strategy_b": "AI_ADAPTIVE",
            "traffic_split_pct": 10,
        },
    )
    assert experiment.status == 201, experiment
    from oms.services import proposals

    proposal = proposals.create(
        "demo", kind="sourcing_rule", summary="roles", payload={"name": "roles", "priority": 1},
        source="chat", by="user:admin@example.com",
    )  # fmt: skip
    late = [
        ("shopify", "order_paid", "2020-01-01T00:00:00Z"),
        ("wms", "pick_completed", "2020-01-01T05:00:00Z"),
    ]
    breaches = []
    for source, kind, at in late:
        sent = admin.post(
            f"/ingest/{source}",
            {
                "event_id": f"roles-{kind}",
                "event_type": kind,
                "external_order_id": "ROLES-LATE",
                "occurred_at": at,
            },
        )
        assert sent.status in (200, 202), sent
        breaches += sent.body["breaches"]
    yield {
        "source": "shopify",
        "policy_id": admin.get("/sla/policies").body["items"][0]["id"],
        "exception_id": breaches[0]["exception_id"],
        "order_ref": order["id"],
        "order_id": order["id"],
        "order_number": order["order_number"],
        "return_id": f"{order['id']}-R1",
        "node_id": admin.get("/nodes").body["items"][0]["id"],
        "item_id": admin.get("/inventory?limit=1").body["items"][0]["id"],
        "sku": "SKU-WIDGET-A",
        "name": "docs.js",
        "rule_id": admin.get("/sourcing-rules").body["items"][0]["id"],
        "endpoint_id": endpoint.body["id"],
        "delivery_id": delivery_id,
        "connector_id": connector.body["id"],
        "key_id": admin.post("/api-keys", {"name": "cross-tenant target"}).body["id"],
        "queue": "warehouse",
        "experiment_id": experiment.body["id"],
        "proposal_id": proposal.id,
        "tariff_id": admin.get("/billing/tariffs").body["items"][0]["id"],
        "invoice_id": "INV-20260101-00000000",
        "adjustment_id": str(uuid.uuid4()),
        "tenant_id": "demo",
        "user_id": next(
            u["id"] for u in admin.get("/users?limit=200").body["items"] if u["email"] == "user@example.com"
        ),
        "slug": "demo",
        "email": "roles-suppressed@example.com",
    }


def _fill(path: str, values: dict[str, str] | None) -> str:
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)] if values else f"no-such-{m.group(1)}", path)


def _check(who: str, row: Row, reply: Any, what: str) -> None:
    assert reply.status < 500, f"{what} as {who}: {reply}"
    if who in row.allowed:
        assert reply.status not in (401, 403), f"{what} as {who} should pass authorisation: {reply}"
    elif who == ANON:
        assert reply.status == 401, f"{what} as {who} should be 401: {reply}"
    else:
        assert reply.status == 403, f"{what} as {who} should be 403: {reply}"
        assert reply.body["error"]["code"] == "insufficient_role", f"{what} as {who}: {reply}"


@pytest.mark.parametrize(("method", "path"), _operations())
def test_each_role_gets_what_the_table_says(
    method: str,
    path: str,
    callers: dict[str, ApiClient],
    foreign_admin: ApiClient,
    demo_ids: dict[str, str],
) -> None:
    row = ROWS.get((method, path))
    if row is None:
        pytest.fail(f"no row for {method} {path} in ROWS; add:\n{_suggested_row(method, path)}")
    for who in CALLERS:
        body = {} if method in ("POST", "PATCH") else None
        reply = callers[who].call(method, _fill(path, None), body)
        _check(who, row, reply, f"{method} {path}")

    if "{" not in path:
        return
    target = _fill(path, demo_ids)
    # the resource itself, as its own tenant reads it before and after (nothing may change)
    resource = path[: path.rindex("}") + 1]
    readable = method != "GET" and ("GET", resource) in ROWS
    before = callers[ADMIN].get(_fill(resource, demo_ids)) if readable else None
    reply = foreign_admin.call(method, target, row.body if row.body is not None else None)
    expected = row.cross or (404 if ADMIN in row.allowed else 403)
    assert reply.status == expected, f"{method} {target} as another tenant's SUPERADMIN: {reply}"
    if before is not None:
        after = callers[ADMIN].get(_fill(resource, demo_ids))
        assert (after.status, after.body) == (before.status, before.body), f"{method} {target} changed it"
