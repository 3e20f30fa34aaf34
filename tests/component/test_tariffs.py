"""Tariffs (ADR 0032): one active per tenant, changes over the version read, money as strings;
and the on-demand generator the ops CLI calls (its tenant rule, dry run, backfill)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.component.apiclient import ApiClient

pytestmark = pytest.mark.usefixtures("stack")

BODY = {
    "name": "Premium",
    "per_order": "2",
    "per_pick_line": "0.3",
    "per_unit": "0.05",
    "per_pack": "0.75",
    "per_label": "0.40",
    "per_return": "3.00",
    "sla_credits": [{"milestone": "delivered", "share_of_order_fee": "0.25"}],
    "auto_credit_limit": "10",
}


def active(client: ApiClient) -> list[str]:
    return [t["name"] for t in client.get("/billing/tariffs").body["items"] if t["is_active"]]


def test_the_demo_tariff_is_seeded_and_readable_by_staff(user: ApiClient) -> None:
    items = user.get("/billing/tariffs").body["items"]
    standard = next(t for t in items if t["name"] == "Standard fulfilment")
    assert (standard["per_order"], standard["per_return"], standard["auto_credit_limit"]) == (
        "1.20",
        "2.00",
        "25.00",
    )
    assert standard["sla_credits"] == [{"milestone": "shipped", "share_of_order_fee": "0.5"}]
    assert user.post("/billing/tariffs", BODY).status == 403


def test_a_new_active_tariff_deactivates_the_other_and_changes_need_the_version(admin: ApiClient) -> None:
    created = admin.post("/billing/tariffs", BODY)
    assert created.status == 201, created
    tariff = created.body
    assert (tariff["per_order"], tariff["per_pick_line"], tariff["version"]) == ("2.00", "0.30", 1)
    assert active(admin) == ["Premium"]

    stale = admin.patch(f"/billing/tariffs/{tariff['id']}", {"version": 7, "per_unit": "0.06"})
    assert (stale.status, stale.body["error"]["code"]) == (409, "version_conflict")
    changed = admin.patch(f"/billing/tariffs/{tariff['id']}", {"version": 1, "per_unit": "0.06"})
    assert changed.status == 200, changed
    assert (changed.body["per_unit"], changed.body["version"], changed.body["name"]) == ("0.06", 2, "Premium")

    standard = next(
        t for t in admin.get("/billing/tariffs").body["items"] if t["name"] == "Standard fulfilment"
    )
    back = admin.patch(
        f"/billing/tariffs/{standard['id']}", {"version": standard["version"], "is_active": True}
    )
    assert back.status == 200, back
    assert active(admin) == ["Standard fulfilment"]
    assert admin.get(f"/billing/tariffs/{tariff['id']}").body["version"] == 3  # deactivated: a change


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"per_order": "-1"}, "per_order"),
        ({"per_unit": "0.001"}, "per_unit"),
        ({"sla_credits": [{"milestone": "shipped", "share_of_order_fee": "1.5"}]}, "sla_credits"),
        ({"currency": "usd"}, "currency"),
    ],
)
def test_bad_tariff_values_are_422(admin: ApiClient, patch: dict[str, Any], where: str) -> None:
    reply = admin.post("/billing/tariffs", {**BODY, **patch})
    assert reply.status == 422, reply
    assert any(where in d["loc"] for d in reply.body["error"]["details"]), reply


def test_the_generator_on_demand_dry_run_backfill_and_tenant_rule(admin: ApiClient, owner: ApiClient) -> None:
    dry = admin.post("/billing/invoices/generate", {"backfill": True, "days_back": 3, "dry_run": True})
    assert dry.status == 200, dry
    days = [i["day"] for i in dry.body["generate"]["invoices"]]
    assert len(days) == 3 and days == sorted(days)
    assert all(i["action"] in ("empty", "would_be_created") for i in dry.body["generate"]["invoices"])
    assert admin.get("/invoices").body["items"] == []  # a dry run writes nothing

    other = admin.post("/billing/invoices/generate", {"tenant_id": "acme"})
    assert (other.status, other.body["error"]["code"]) == (403, "insufficient_role")
    by_owner = owner.post("/billing/invoices/generate", {"tenant_id": "acme", "lookback_hours": 48})
    assert by_owner.status == 200, by_owner
    assert by_owner.body["generate"]["note"] == "no active tariff: nothing billed"
