"""Tenants, users, invitations, passwords, suspension and customers, over HTTP (ADR 0034)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable
from tests.component.helpers import NYC, order_body, wait_for_status

PASSWORD = "correct horse battery"


def _login(anon: ApiClient, email: str, password: str) -> ApiClient:
    reply = anon.post("/auth/login", {"email": email, "password": password})
    assert reply.status == 200, reply
    return anon.with_token(reply.body["access_token"])


@pytest.fixture(scope="module")
def web(stack: Any) -> ApiClient:
    return ApiClient(_api_callable(stack), source_ip="192.0.2.90")


@pytest.fixture(scope="module")
def root(web: ApiClient) -> ApiClient:
    return _login(web, "owner@example.com", "owner123")


@pytest.fixture(scope="module")
def shop(web: ApiClient, root: ApiClient) -> dict[str, Any]:
    """A tenant made through the API, its first SUPERADMIN signed in."""
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    made = root.post("/tenants", {"name": "Shop", "slug": slug, "admin_email": f"boss@{slug}.test"})
    assert made.status == 201, made
    accepted = web.post(
        "/auth/accept-invitation", {"token": made.body["invitation_token"], "password": PASSWORD}
    )
    assert accepted.status == 200, accepted
    return {**made.body, "admin": web.with_token(accepted.body["access_token"])}


def _invite(admin: ApiClient, web: ApiClient, role: str, email: str | None = None) -> tuple[str, ApiClient]:
    email = email or f"{role.lower()}-{uuid.uuid4().hex[:8]}@people.test"
    made = admin.post("/users", {"email": email, "name": role.title(), "role": role})
    assert made.status == 201, made
    assert made.body["invited"] is True and made.body["role"] == role
    accepted = web.post(
        "/auth/accept-invitation", {"token": made.body["invitation_token"], "password": PASSWORD}
    )
    assert accepted.status == 200, accepted
    return made.body["id"], web.with_token(accepted.body["access_token"])


# ------------------------------------------------------------------ tenants
def test_the_platform_owner_creates_lists_and_renames_tenants(root: ApiClient, shop: dict[str, Any]) -> None:
    assert shop["status"] == "ACTIVE" and shop["invitation_token"]
    listed = root.get("/tenants?limit=200")
    assert shop["id"] in {t["id"] for t in listed.body["items"]}
    assert "demo" in {t["slug"] for t in listed.body["items"]}
    renamed = root.patch(f"/tenants/{shop['id']}", {"name": "Shop & Co"})
    assert renamed.status == 200 and renamed.body["name"] == "Shop & Co"
    assert root.get(f"/tenants/{shop['id']}").body["slug"] == shop["slug"]
    assert root.get("/tenants/no-such-tenant").status == 404


def test_slugs_are_unique_and_well_formed(root: ApiClient, shop: dict[str, Any]) -> None:
    again = root.post("/tenants", {"name": "Copy", "slug": shop["slug"], "admin_email": "x@copy.test"})
    assert again.status == 409 and again.body["error"]["code"] == "slug_taken"
    for bad in ("A-shop", "-shop", "shop-", "s", "shop_1", "x" * 41):
        reply = root.post("/tenants", {"name": "Bad", "slug": bad, "admin_email": "x@bad.test"})
        assert reply.status == 422, (bad, reply)
    taken = root.post(
        "/tenants", {"name": "Dup", "slug": f"dup-{uuid.uuid4().hex[:6]}", "admin_email": "admin@example.com"}
    )
    assert taken.status == 409 and taken.body["error"]["code"] == "email_taken"


def test_an_invitation_works_once_and_expires(
    web: ApiClient, shop: dict[str, Any], frozen_clock: Any
) -> None:
    again = web.post("/auth/accept-invitation", {"token": shop["invitation_token"], "password": PASSWORD})
    assert again.status == 409 and again.body["error"]["code"] == "token_used"
    unknown = web.post("/auth/accept-invitation", {"token": "nope", "password": PASSWORD})
    assert unknown.status == 400 and unknown.body["error"]["code"] == "invalid_token"
    made = shop["admin"].post(
        "/users", {"email": f"late-{uuid.uuid4().hex[:6]}@x.test", "name": "Late", "role": "USER"}
    )
    weak = web.post("/auth/accept-invitation", {"token": made.body["invitation_token"], "password": "short"})
    assert weak.status == 422 and weak.body["error"]["code"] == "weak_password"
    frozen_clock.shift(7 * 86400)
    expired = web.post(
        "/auth/accept-invitation", {"token": made.body["invitation_token"], "password": PASSWORD}
    )
    assert expired.status == 400 and expired.body["error"]["code"] == "token_expired"


def test_an_invited_user_cannot_log_in_before_accepting(web: ApiClient, shop: dict[str, Any]) -> None:
    email = f"pending-{uuid.uuid4().hex[:6]}@x.test"
    shop["admin"].post("/users", {"email": email, "name": "Pending", "role": "USER"})
    assert web.post("/auth/login", {"email": email, "password": ""}).status == 422
    assert web.post("/auth/login", {"email": email, "password": PASSWORD}).status == 401


# ------------------------------------------------------------------ users
def test_a_superadmin_manages_only_their_tenants_users(web: ApiClient, shop: dict[str, Any]) -> None:
    admin = shop["admin"]
    user_id, _ = _invite(admin, web, "USER")
    listed = admin.get("/users").body["items"]
    assert user_id in {u["id"] for u in listed}
    assert {u["tenant_id"] for u in listed} == {shop["id"]}
    assert all("password_hash" not in u for u in listed)
    demo_admin = _login(web, "admin@example.com", "admin123")
    assert demo_admin.get(f"/users/{user_id}").status == 404
    assert demo_admin.patch(f"/users/{user_id}", {"role": "SUPERADMIN"}).status == 404
    assert demo_admin.delete(f"/users/{user_id}").status == 404
    assert demo_admin.post(f"/users/{user_id}/reset-password").status == 404
    owner_role = admin.post("/users", {"email": "po@x.test", "name": "PO", "role": "PLATFORM_OWNER"})
    assert owner_role.status == 422
    dup = admin.post("/users", {"email": "admin@example.com", "name": "Dup", "role": "USER"})
    assert dup.status == 409 and dup.body["error"]["code"] == "email_taken"


def test_the_last_superadmin_stays_and_nobody_demotes_themselves(
    web: ApiClient, shop: dict[str, Any]
) -> None:
    admin = shop["admin"]
    me = admin.get("/auth/me").body["user_id"]
    assert admin.get("/auth/me").body["tenant_slug"] == shop["slug"]
    for change in ({"role": "USER"}, {"active": False}):
        refused = admin.patch(f"/users/{me}", change)
        assert refused.status == 409 and refused.body["error"]["code"] == "cannot_change_self"
    assert admin.delete(f"/users/{me}").body["error"]["code"] == "cannot_change_self"
    assert admin.patch(f"/users/{me}", {"name": "Renamed Boss"}).status == 200
    second_id, second = _invite(admin, web, "SUPERADMIN")
    demoted = second.patch(f"/users/{me}", {"role": "USER"})
    assert demoted.status == 200 and demoted.body["role"] == "USER"
    assert admin.get("/users").body["error"]["code"] == "session_revoked"  # the role changed
    alone = second.patch(f"/users/{second_id}", {"role": "USER"})
    assert alone.status == 409 and alone.body["error"]["code"] == "cannot_change_self"
    back = second.patch(f"/users/{me}", {"role": "SUPERADMIN"})
    assert back.status == 200
    shop["admin"] = _login(web, back.body["email"], PASSWORD)


def test_the_platform_owner_cannot_remove_a_tenants_last_superadmin(web: ApiClient, root: ApiClient) -> None:
    demo_admin = next(
        u for u in root.get("/users?limit=200").body["items"] if u["email"] == "admin@example.com"
    )
    for change in ({"role": "USER"}, {"active": False}):
        refused = root.patch(f"/users/{demo_admin['id']}", change)
        assert refused.status == 409 and refused.body["error"]["code"] == "last_superadmin", refused
    assert root.delete(f"/users/{demo_admin['id']}").body["error"]["code"] == "last_superadmin"
    assert _login(web, "admin@example.com", "admin123").get("/auth/me").status == 200


def test_deactivating_or_deleting_a_user_ends_their_sessions(web: ApiClient, shop: dict[str, Any]) -> None:
    admin = shop["admin"]
    user_id, session = _invite(admin, web, "USER")
    assert session.get("/orders").status == 200
    assert admin.patch(f"/users/{user_id}", {"active": False}).body["active"] is False
    assert session.get("/orders").status == 401
    assert admin.patch(f"/users/{user_id}", {"active": True}).status == 200
    email = admin.get(f"/users/{user_id}").body["email"]
    session = _login(web, email, PASSWORD)
    assert admin.delete(f"/users/{user_id}").status == 200
    assert session.get("/orders").status == 401
    assert admin.get(f"/users/{user_id}").status == 404
    assert web.post("/auth/login", {"email": email, "password": PASSWORD}).status == 401


def test_a_reset_token_sets_a_new_password_once(web: ApiClient, shop: dict[str, Any]) -> None:
    admin = shop["admin"]
    user_id, session = _invite(admin, web, "USER")
    email = admin.get(f"/users/{user_id}").body["email"]
    reset = admin.post(f"/users/{user_id}/reset-password")
    assert reset.status == 201, reset
    done = web.post(
        "/auth/reset-password", {"token": reset.body["reset_token"], "password": "a new secret 1"}
    )
    assert done.status == 200, done
    assert session.get("/orders").status == 401  # every session it had ends
    assert web.post("/auth/login", {"email": email, "password": PASSWORD}).status == 401
    assert web.post("/auth/login", {"email": email, "password": "a new secret 1"}).status == 200
    again = web.post(
        "/auth/reset-password", {"token": reset.body["reset_token"], "password": "another one 2"}
    )
    assert again.status == 409 and again.body["error"]["code"] == "token_used"


def test_everyone_changes_their_own_password(web: ApiClient, shop: dict[str, Any]) -> None:
    user_id, session = _invite(shop["admin"], web, "CUSTOMER")
    wrong = session.post("/auth/password", {"current_password": "nope", "new_password": "whatever 123"})
    assert wrong.status == 403 and wrong.body["error"]["code"] == "invalid_credentials"
    weak = session.post("/auth/password", {"current_password": PASSWORD, "new_password": "123"})
    assert weak.status == 422 and weak.body["error"]["code"] == "weak_password"
    changed = session.post("/auth/password", {"current_password": PASSWORD, "new_password": "whatever 123"})
    assert changed.status == 200, changed
    assert session.get("/auth/me").status == 401  # the other sessions end
    assert web.with_token(changed.body["access_token"]).get("/auth/me").body["user_id"] == user_id


# ------------------------------------------------------------------ suspension
def test_a_suspended_tenants_tokens_and_keys_stop_working(
    web: ApiClient, root: ApiClient, shop: dict[str, Any]
) -> None:
    admin = shop["admin"]
    key = admin.post("/api-keys", {"name": "suspended soon"}).body["key"]
    machine = web.with_api_key(key)
    assert machine.get("/auth/me").status == 200
    assert root.patch(f"/tenants/{shop['id']}", {"status": "SUSPENDED"}).body["status"] == "SUSPENDED"
    for client in (admin, machine):
        refused = client.get("/auth/me")
        assert refused.status == 403 and refused.body["error"]["code"] == "tenant_suspended"
    login = shop["admin"].post("/auth/login", {"email": f"boss@{shop['slug']}.test", "password": PASSWORD})
    assert login.status == 403 and login.body["error"]["code"] == "tenant_suspended"
    assert root.patch(f"/tenants/{shop['id']}", {"status": "ACTIVE"}).status == 200
    assert admin.get("/auth/me").status == 200 and machine.get("/auth/me").status == 200


def test_the_platform_owners_own_tenant_is_never_suspended(root: ApiClient) -> None:
    refused = root.patch("/tenants/demo", {"status": "SUSPENDED"})
    assert refused.status == 409 and refused.body["error"]["code"] == "own_tenant"


def test_another_process_notices_a_suspension_within_its_cache_time(
    stack: Any, shop: dict[str, Any], frozen_clock: Any
) -> None:
    from oms.domain.errors import Forbidden
    from oms.services import tenants
    from oms.services.context import repos

    tenants.require_active(shop["id"])  # remembered as ACTIVE
    repos.tenancy.update_tenant(shop["id"], None, "SUSPENDED")  # another process suspends it
    try:
        tenants.require_active(shop["id"])  # still remembered
        frozen_clock.shift(tenants.TENANT_CACHE_SECONDS)
        with pytest.raises(Forbidden):
            tenants.require_active(shop["id"])
    finally:
        repos.tenancy.update_tenant(shop["id"], None, "ACTIVE")
        tenants.forget_cached()


# ------------------------------------------------------------------ customers
@pytest.fixture(scope="module")
def customer(web: ApiClient) -> ApiClient:
    return _login(web, "customer@example.com", "customer123")


def _place(client: ApiClient, **extra: Any) -> Any:
    body = {"line_items": [{"sku": "SKU-WIDGET-A", "quantity": 2}], "shipping_address": NYC, **extra}
    return client.post("/orders", body)


def test_a_customer_places_an_order_for_their_own_account(customer: ApiClient, web: ApiClient) -> None:
    placed = _place(customer)
    assert placed.status == 201, placed
    body = placed.body
    assert body["customer_email"] == "customer@example.com" and body["channel"] == "WEB"
    assert body["line_items"][0]["unit_price"] == "29.99" and body["total_amount"] == "59.98"
    for hidden in ("allocations", "created_by", "notes", "tags", "customer_user_id", "status_history"):
        assert hidden not in body
    staff = _login(web, "admin@example.com", "admin123").get(f"/orders/{body['id']}").body
    me = customer.get("/auth/me").body
    assert staff["customer_user_id"] == me["user_id"] and staff["created_by"] == "user:customer@example.com"
    for refused in (
        {"customer_email": "someone@else.test"},
        {"customer_name": "Someone"},
        {"channel": "POS"},
        {"line_items": [{"sku": "SKU-WIDGET-A", "quantity": 1, "unit_price": "0.01"}]},
    ):
        assert _place(customer, **refused).status == 422, refused
    pickup = _place(customer, fulfillment_type="STORE_PICKUP")
    assert pickup.status == 422


def test_a_customer_sees_and_cancels_only_their_own_orders(customer: ApiClient, web: ApiClient) -> None:
    demo_admin = _login(web, "admin@example.com", "admin123")
    staff_order = demo_admin.post("/orders", order_body()).body  # customer@example.com by email only
    mine = _place(customer).body
    _, other = _invite(demo_admin, web, "CUSTOMER")
    theirs = _place(other).body
    listed = {o["id"] for o in customer.get("/orders").body["items"]}
    assert mine["id"] in listed and theirs["id"] not in listed and staff_order["id"] not in listed
    assert {o["id"] for o in other.get("/orders").body["items"]} == {theirs["id"]}
    for order_id in (theirs["id"], staff_order["id"]):
        assert customer.get(f"/orders/{order_id}").status == 404
        assert customer.get(f"/orders/{order_id}/timeline").status == 404
        assert customer.post(f"/orders/{order_id}/cancel", {}).status == 404
    wait_for_status(customer, mine["id"], {"SOURCED", "BACKORDERED", "PICKING"})
    timeline = customer.get(f"/orders/{mine['id']}/timeline").body
    assert timeline["statuses"][0]["phase"] == "PENDING"
    assert all(set(s) == {"status_code", "phase", "at"} for s in timeline["statuses"])
    cancelled = customer.post(f"/orders/{mine['id']}/cancel", {"reason": "changed my mind"})
    assert cancelled.status == 200 and cancelled.body["status"] == "CANCELLED"
    assert "allocations" not in cancelled.body
    assert demo_admin.get(f"/orders/{theirs['id']}/timeline").status == 200


def test_a_customer_reads_the_catalog_and_nothing_internal(customer: ApiClient) -> None:
    catalog = customer.get("/catalog?limit=100")
    assert catalog.status == 200
    widget = next(i for i in catalog.body["items"] if i["sku"] == "SKU-WIDGET-A")
    assert widget == {
        "sku": "SKU-WIDGET-A",
        "name": "Premium Widget A",
        "description": widget["description"],
        "price": "29.99",
        "currency": "USD",
        "in_stock": True,
    }
    for path in (
        "/nodes",
        "/sourcing-rules",
        "/inventory",
        "/webhooks/endpoints",
        "/users",
        "/analytics/dashboard",
    ):
        assert customer.get(path).status == 403, path
    assert customer.get("/auth/me").body["tenant_slug"] == "demo"
