"""Tenancy rules (oms.domain.tenancy) and what a customer sends and sees (oms.domain.customers)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.domain.customers import CustomerOrderCreate, customer_view, order_request, timeline
from oms.domain.errors import Conflict, ValidationFailed
from oms.domain.models import Allocation, Order, Role, Shipment
from oms.domain.orders import build_order
from oms.domain.tenancy import (
    INVITATION_SECONDS,
    RESET_SECONDS,
    TenantCreate,
    TokenKind,
    UserCreate,
    UserPatch,
    check_admin_change,
    check_new_password,
    new_token,
    token_digest,
    token_expired,
    valid_slug,
)
from tests.unit.factories import NOW, PRINCIPAL, catalog_for
from tests.unit.factories import order_request as staff_request

ADDRESS = {"address1": "1 Main St", "city": "Springfield", "country": "US"}


@pytest.mark.parametrize("slug", ["abc", "demo", "shop-1", "a1b", "x" * 40, "my-shop-2026"])
def test_good_slugs(slug: str) -> None:
    assert valid_slug(slug)
    TenantCreate(name="T", slug=slug, admin_email="a@b.co")


@pytest.mark.parametrize("slug", ["ab", "x" * 41, "-abc", "abc-", "Abc", "a_b", "a b", "ab.c", "ü-shop"])
def test_bad_slugs(slug: str) -> None:
    assert not valid_slug(slug)
    with pytest.raises(ValidationError):
        TenantCreate(name="T", slug=slug, admin_email="a@b.co")


def test_emails_are_normalised_and_checked() -> None:
    assert UserCreate(email=" Ann@Example.COM ", name="Ann", role=Role.USER).email == "ann@example.com"
    with pytest.raises(ValidationError):
        UserCreate(email="not-an-email", name="Ann", role=Role.USER)


@pytest.mark.parametrize("role", [Role.PLATFORM_OWNER, Role.INTEGRATION])
def test_only_a_tenants_people_roles_are_assignable(role: Role) -> None:
    with pytest.raises(ValidationError):
        UserCreate(email="a@b.co", name="A", role=role)
    with pytest.raises(ValidationError):
        UserPatch(role=role)
    for ok in (Role.SUPERADMIN, Role.USER, Role.CUSTOMER):
        assert UserPatch(role=ok).role is ok


def test_tokens_are_256_random_bits_stored_as_their_sha256() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) == 43 for t in tokens)
    token = next(iter(tokens))
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_digest(token)


def test_token_lifetimes_and_expiry() -> None:
    assert TokenKind.INVITATION.lifetime == INVITATION_SECONDS == 7 * 86400
    assert TokenKind.RESET.lifetime == RESET_SECONDS == 3600
    assert not token_expired(1000, 999.9)
    assert token_expired(1000, 1000)  # the end is exclusive
    assert token_expired(1000, 5000)


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "at least 8"), ("        ", "not only spaces"), ("Ann@Example.com", "not the email")],
)
def test_weak_passwords_are_refused(password: str, problem: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_new_password(password, "ann@example.com")
    assert caught.value.code == "weak_password" and problem in caught.value.message


def test_a_good_password_passes() -> None:
    check_new_password("correct horse battery", "ann@example.com")


def _change(**kw: object) -> int:
    base: dict[str, object] = {
        "actor_user_id": "me",
        "target_user_id": "them",
        "target_role": "SUPERADMIN",
        "target_active": True,
        "new_role": None,
        "new_active": None,
        "deleting": False,
        "active_admins": 2,
    }
    return check_admin_change(**{**base, **kw})  # type: ignore[arg-type]


def test_the_admin_count_follows_role_and_state() -> None:
    assert _change(new_role="USER") == -1
    assert _change(new_active=False) == -1
    assert _change(deleting=True) == -1
    assert _change(target_role="USER", new_role="SUPERADMIN") == 1
    assert _change(target_role="USER", target_active=False, new_role="SUPERADMIN") == 0
    assert _change(target_role="SUPERADMIN", target_active=False, new_active=True) == 1
    assert _change(target_role="USER", new_active=False) == 0
    assert _change(new_role="SUPERADMIN") == 0  # no change


@pytest.mark.parametrize("change", [{"new_role": "USER"}, {"new_active": False}, {"deleting": True}])
def test_the_last_active_superadmin_stays(change: dict[str, object]) -> None:
    with pytest.raises(Conflict) as caught:
        _change(active_admins=1, **change)
    assert caught.value.code == "last_superadmin"


@pytest.mark.parametrize("change", [{"new_role": "USER"}, {"new_active": False}, {"deleting": True}])
def test_nobody_demotes_deactivates_or_deletes_themselves(change: dict[str, object]) -> None:
    with pytest.raises(Conflict) as caught:
        _change(target_user_id="me", active_admins=5, **change)
    assert caught.value.code == "cannot_change_self"
    assert _change(target_user_id="me", new_role="SUPERADMIN", new_active=True) == 0  # a rename


# ------------------------------------------------------------------ customers
def test_a_customer_request_is_placed_for_their_account_on_the_web() -> None:
    request = CustomerOrderCreate.model_validate(
        {"line_items": [{"sku": "SKU-1", "quantity": 2}], "shipping_address": ADDRESS}
    )
    order = order_request(request, email="ann@example.com", name="Ann")
    assert (order.customer_email, order.customer_name, order.channel.value) == (
        "ann@example.com",
        "Ann",
        "WEB",
    )
    assert order.line_items[0].unit_price is None  # the catalog prices it


@pytest.mark.parametrize(
    "extra",
    [
        {"customer_email": "x@y.z"},
        {"customer_name": "X"},
        {"channel": "POS"},
        {"notes": "hi"},
        {"line_items": [{"sku": "SKU-1", "quantity": 1, "unit_price": "0.01"}]},
    ],
)
def test_a_customer_states_no_prices_no_customer_and_no_channel(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CustomerOrderCreate.model_validate(
            {"line_items": [{"sku": "SKU-1", "quantity": 2}], "shipping_address": ADDRESS, **extra}
        )


def test_a_customer_cannot_order_a_pickup() -> None:
    request = CustomerOrderCreate.model_validate(
        {
            "fulfillment_type": "STORE_PICKUP",
            "line_items": [{"sku": "SKU-1", "quantity": 1}],
            "shipping_address": ADDRESS,
        }
    )
    with pytest.raises(ValidationFailed):
        order_request(request, email="a@b.co", name="A")


def _staff_order(order_id: str) -> Order:
    request = staff_request()
    return build_order(
        request,
        order_id=order_id,
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )


def test_the_customer_view_hides_what_is_internal() -> None:
    order = _staff_order("00000000-0000-4000-8000-000000000001").model_copy(
        update={
            "notes": "VIP - call first",
            "tags": ["internal"],
            "allocations": [Allocation(node_id="node-1", node_code="DC-1", sku="SKU-1", quantity=1)],
            "shipments": [
                Shipment(
                    node_id="node-1",
                    carrier="UPS",
                    tracking_number="1Z",
                    shipped_at="2026-01-01T00:00:00Z",
                    actual_cost=Decimal("4.20"),
                )
            ],
        }
    )
    view = customer_view(order)
    text = str(view)
    for hidden in ("node-1", "DC-1", "VIP", "internal", "4.2", "created_by", "allocations", "user:"):
        assert hidden not in text, hidden
    assert view["shipments"] == [
        {
            "carrier": "UPS",
            "tracking_number": "1Z",
            "shipped_at": "2026-01-01T00:00:00Z",
            "delivered_at": None,
        }
    ]
    steps = timeline(order)
    assert all(set(s) == {"status_code", "phase", "at"} for s in steps["statuses"])
    assert "user:" not in str(steps)


def test_the_customer_sees_the_tenants_own_status_codes() -> None:
    """A custom status (QUALITY_CHECK in the PICKING phase) reads as the tenant named it."""
    from oms.domain.audit import AuditEvent
    from oms.domain.lifecycle import OrderStatus

    order = _staff_order("00000000-0000-4000-8000-000000000002")
    entered = AuditEvent(
        seq=2,
        type="order.status_changed",
        at="2026-01-01T00:05:00Z",
        actor="user:boss@example.com",
        from_status=OrderStatus.PENDING,
        to_status=OrderStatus.PICKING,
        from_code="PENDING",
        to_code="QUALITY_CHECK",
    )
    order = order.model_copy(
        update={
            "status": OrderStatus.PICKING,
            "status_code": "QUALITY_CHECK",
            "events": [*order.events, entered],
        }
    )
    assert customer_view(order)["status_code"] == "QUALITY_CHECK"
    assert timeline(order)["statuses"][-1] == {
        "status_code": "QUALITY_CHECK",
        "phase": "PICKING",
        "at": "2026-01-01T00:05:00Z",
    }


def test_an_order_a_customer_places_is_theirs_by_account() -> None:
    from oms.domain.models import Principal

    request = staff_request()
    shopper = Principal(user_id="c-1", email="alice@example.com", tenant_id="t1", role=Role.CUSTOMER)
    mine = build_order(
        request,
        order_id="00000000-0000-4000-8000-000000000001",
        principal=shopper,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )
    staff = build_order(
        request,
        order_id="00000000-0000-4000-8000-000000000002",
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )
    assert (mine.customer_user_id, staff.customer_user_id) == ("c-1", None)
