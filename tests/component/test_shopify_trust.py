"""Shopify inbound trusts only what is signed (issue 8), and the KubeRiva seed's connector
requests and public receiver work as written.

The signature covers the raw body only; every header is checked against something signed or
configured: the signature as bytes, the shop against the connector, the age against the clock
(frozen with time-machine), and a cancellation only by the signed body's `cancelled_at`.

It runs on test_connectors' fixtures (`stack`, `shop`: module-scoped, so this module gets its own
instances); ruff's F811 takes a fixture used as an argument for a redefinition."""

# ruff: noqa: F811

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from oms.domain.clock import iso
from tests.component.test_connectors import (
    SECRET,
    SHOP,
    delivery,
    imported,
    queued,
    receive,
    shop,  # noqa: F401
    shopify_order,
    stack,  # noqa: F401
    work,
)
from tests.fakes import FakeShopify


@pytest.fixture
def connector(admin: Any, shop: FakeShopify) -> dict[str, Any]:
    config = {
        "shop_domain": SHOP,
        "access_token": "shpat_test_token",
        "webhook_secret": SECRET,
        "admin_api_url": shop.graphql_url,
    }
    reply = admin.post("/connectors", {"type": "SHOPIFY", "name": "Trust shop", "config": config})
    assert reply.status == 201, reply
    return dict(reply.body)


NOW = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)  # any date: the clock is frozen here


def public_call(anon: Any, connector_id: str, event: dict[str, Any]) -> Any:
    """The same delivery, sent to the API's public receiver instead of the Function URL."""
    return anon.post(
        f"/connectors/{connector_id}/webhook", raw=event["body"].encode(), headers=event["headers"]
    )


# ------------------------------------------------------------------ finding 6: a non-ASCII byte
@pytest.mark.parametrize(
    "signature",
    [
        "\xe9" * 44,  # a byte over 0x7f, as API Gateway hands latin-1 header bytes over
        "caf\xe9",
        "\u2603" * 10,
        "not base64 at all!",
        base64.b64encode(b"short").decode(),  # base64, but not 32 bytes
    ],
)
def test_an_unreadable_signature_is_401_on_both_receivers(stack, connector, invoke, anon, signature):
    queued(stack)
    event = delivery(connector, "orders/create", shopify_order(6001), signature=signature)
    status, body = receive(invoke, event)
    assert status == 401 and body["error"]["code"] == "invalid_signature"
    reply = public_call(anon, connector["id"], event)
    assert reply.status == 401 and reply.body["error"]["code"] == "invalid_signature", reply
    assert queued(stack) == []


def test_the_signature_is_compared_as_bytes_whatever_its_padding_spacing(stack, connector, invoke):
    """The header is base64 of the digest: surrounding spaces are not part of it."""
    queued(stack)
    payload = shopify_order(6002)
    raw = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    status, _ = receive(invoke, delivery(connector, "orders/create", payload, signature=f" {digest} "))
    assert status == 200
    assert len(queued(stack)) == 1


# ------------------------------------------------------------------ the shop
def test_a_delivery_from_another_shop_is_401_and_nothing_is_queued(stack, connector, invoke, anon):
    """One app secret signs every shop that installed the app: the signature alone is not enough."""
    queued(stack)
    for shop_header in ("other-shop.myshopify.com", "", "CIRRUS-DEMO.myshopify.com.evil"):
        event = delivery(connector, "orders/create", shopify_order(6101), shop=shop_header)
        status, body = receive(invoke, event)
        assert status == 401 and body["error"]["code"] == "shop_mismatch", shop_header
        assert public_call(anon, connector["id"], event).status == 401
    assert queued(stack) == []
    upper = delivery(connector, "orders/create", shopify_order(6102), shop=SHOP.upper())
    assert receive(invoke, upper)[0] == 200  # host names are case-insensitive
    queued(stack)


# ------------------------------------------------------------------ the age (frozen clock)
def test_deliveries_older_than_72_hours_are_refused(stack, connector, invoke):
    queued(stack)
    with time_machine.travel(NOW, tick=False):
        fresh = delivery(
            connector,
            "orders/create",
            shopify_order(6201),
            triggered_at=iso(NOW - timedelta(hours=71, minutes=59)),
        )
        assert receive(invoke, fresh)[0] == 200
        for when, why in (
            (iso(NOW - timedelta(hours=72, minutes=1)), "72 hours and a minute old"),
            ("2031-04-28T11:59:00.123456789Z", "Shopify's nanoseconds, 72 h 1 min old"),
            (iso(NOW + timedelta(minutes=30)), "from the future"),
            ("yesterday", "unreadable"),
        ):
            event = delivery(connector, "orders/create", shopify_order(6202), triggered_at=when)
            status, body = receive(invoke, event)
            assert status == 401 and body["error"]["code"] == "stale_delivery", why
        # the headers are not signed: the signed body's updated_at gives an old order away too
        replay = delivery(
            connector,
            "orders/updated",
            shopify_order(6203, updated_at=iso(NOW - timedelta(days=10))),
            triggered_at=iso(NOW),
        )
        status, body = receive(invoke, replay)
        assert status == 401 and body["error"]["code"] == "stale_delivery"
        event = delivery(connector, "orders/create", shopify_order(6204))
        del event["headers"]["x-shopify-triggered-at"]
        assert receive(invoke, event)[0] == 401
    assert len(queued(stack)) == 1  # only the fresh one


# ------------------------------------------------------------------ cancellation
def test_the_topic_header_alone_cancels_nothing(stack, admin, connector, invoke):
    """`orders/cancelled` with a signed body that has no cancelled_at: logged, not cancelled."""
    receive(invoke, delivery(connector, "orders/create", shopify_order(6301)))
    work(invoke, queued(stack))
    order = imported(admin, 6301)
    receive(invoke, delivery(connector, "orders/cancelled", shopify_order(6301)))
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}
    assert admin.get(f"/orders/{order['id']}").body["status"] != "CANCELLED"
    events = admin.get(f"/connectors/{connector['id']}/events").body["items"]
    assert any(e["type"] == "cancel_ignored" and e["order_id"] == order["id"] for e in events)
    # the signed body says so, under any topic: cancelled
    receive(
        invoke,
        delivery(connector, "orders/updated", shopify_order(6301, cancelled_at="2031-05-01T11:00:00Z")),
    )
    work(invoke, queued(stack))
    assert admin.get(f"/orders/{order['id']}").body["status"] == "CANCELLED"


# ------------------------------------------------------------------ the seed's requests
def test_the_seeds_shopify_connector_works_as_written(stack, admin, anon, invoke):
    """README of the KubeRiva seed, 'Shopify Setup', step 1, then Shopify calling step 2's URL."""
    reply = admin.post(
        "/connectors/",
        {
            "name": "My Shopify Store",
            "connector_type": "SHOPIFY",
            "direction": "BIDIRECTIONAL",
            "config": {
                "shop_url": "mystore.myshopify.com",
                "access_token": "shpat_xxxxxxxxxxxx",
                "webhook_secret": "my-hmac-secret",
                "api_version": "2024-01",
            },
        },
    )
    assert reply.status == 201, reply
    view = reply.body
    assert view["type"] == "SHOPIFY" and view["connector_type"] == "SHOPIFY"
    assert view["direction"] == "BIDIRECTIONAL"
    assert view["config"]["shop_domain"] == "mystore.myshopify.com"
    assert view["config"]["webhook_secret"] == "***" and "shop_url" not in view["config"]
    assert view["webhook_path"] == f"/connectors/{view['id']}/webhook"
    assert admin.get(f"/connectors/{view['id']}/").body["id"] == view["id"]

    queued(stack)
    payload = shopify_order(6401)
    raw = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(b"my-hmac-secret", raw, hashlib.sha256).digest()).decode()
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-hmac-sha256": digest,
        "x-shopify-shop-domain": "mystore.myshopify.com",
        "x-shopify-event-id": str(uuid.uuid4()),
        "x-shopify-triggered-at": iso(datetime.now(UTC)),
    }
    got = anon.post(view["webhook_path"], raw=raw, headers=headers)
    assert got.status == 200 and got.body == {"queued": True}, got
    assert anon.post(view["webhook_path"] + "/", raw=raw, headers=headers).status == 200
    messages = queued(stack)
    assert len(messages) == 2
    assert {json.loads(m["body"])["tenant_id"] for m in messages} == {view["tenant_id"]}
    work(invoke, messages[:1])
    listed = admin.get("/orders?limit=100").body["items"]
    assert any(o.get("external_order_id") == "shopify:mystore.myshopify.com:6401" for o in listed)
    admin.delete(f"/connectors/{view['id']}")
    assert anon.post(view["webhook_path"], raw=raw, headers=headers).status == 404


def test_the_seeds_amazon_connector_works_as_written(admin):
    reply = admin.post(
        "/connectors/",
        {
            "name": "Amazon US",
            "connector_type": "AMAZON_SP",
            "direction": "BIDIRECTIONAL",
            "config": {
                "marketplace_id": "ATVPDKIKX0DER",
                "seller_id": "YOURSELLERID",
                "client_id": "amzn1.application-oa2-client.xxx",
                "client_secret": "xxxx",
                "refresh_token": "Atzr|xxxxx",
            },
        },
    )
    assert reply.status == 201, reply
    config = reply.body["config"]
    assert reply.body["type"] == "AMAZON" and reply.body["connector_type"] == "AMAZON_SP"
    assert config["marketplace_ids"] == ["ATVPDKIKX0DER"] and config["lwa_client_id"].startswith("amzn1.")
    assert config["lwa_client_secret"] == "***" and config["refresh_token"] == "***"
    # the seed's names in a PATCH too; "***" keeps a secret...
    path = f"/connectors/{reply.body['id']}"
    kept = admin.patch(path, {"direction": "INBOUND", "config": {"client_secret": "***", "search_burst": 5}})
    assert kept.status == 200 and kept.body["direction"] == "INBOUND"
    # ... but another marketplace is another destination: the credentials must come again (ADR 0020)
    moved = {"marketplace_id": "A2EUQ1WTGCTBG2", "client_secret": "***"}
    refused = admin.patch(path, {"config": moved})
    assert refused.status == 422 and refused.body["error"]["code"] == "secrets_required"
    again = {**moved, "client_secret": "yyyy", "refresh_token": "Atzr|yyyyy"}
    patched = admin.patch(path, {"config": again}).body
    assert patched["config"]["marketplace_ids"] == ["A2EUQ1WTGCTBG2"] and patched["direction"] == "INBOUND"
    admin.delete(path)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "config": {}},  # no type at all
        {"type": "SHOPIFY", "connector_type": "AMAZON_SP", "name": "x", "config": {}},
        {"connector_type": "WOOCOMMERCE", "name": "x", "config": {}},
        {"connector_type": "SHOPIFY", "direction": "SIDEWAYS", "name": "x", "config": {}},
        {
            "connector_type": "SHOPIFY",
            "name": "both names",
            "config": {
                "shop_url": "a.myshopify.com",
                "shop_domain": "b.myshopify.com",
                "access_token": "shpat_12345678",
                "webhook_secret": SECRET,
            },
        },
    ],
)
def test_seed_style_mistakes_are_422(admin, body):
    reply = admin.post("/connectors", body)
    assert reply.status == 422 and reply.body["error"]["code"] == "validation_failed", reply


def test_an_outbound_only_connector_takes_no_orders_in(stack, admin, connector, invoke):
    queued(stack)
    admin.patch(f"/connectors/{connector['id']}", {"direction": "OUTBOUND"})
    status, body = receive(invoke, delivery(connector, "orders/create", shopify_order(6501)))
    assert status == 200 and "OUTBOUND" in body["ignored"]
    assert queued(stack) == []


# ------------------------------------------------------------------ no cross-tenant confusion
def test_the_public_receiver_acts_only_in_the_connectors_own_tenant(stack, admin, other_tenant, anon):
    """Two tenants, two connectors on the same shop and secret: a delivery to one connector id is
    queued for that connector's tenant only, and an unknown id is a 404 that names nothing."""
    config = {"shop_domain": SHOP, "access_token": "shpat_test_token", "webhook_secret": SECRET}
    mine = admin.post("/connectors", {"type": "SHOPIFY", "name": "mine", "config": config}).body
    theirs = other_tenant.post("/connectors", {"type": "SHOPIFY", "name": "theirs", "config": config}).body
    assert mine["tenant_id"] != theirs["tenant_id"]
    queued(stack)
    for target in (mine, theirs):
        event = delivery(target, "orders/create", shopify_order(6601))
        assert public_call(anon, target["id"], event).status == 200
        [message] = queued(stack)
        sent = json.loads(message["body"])
        assert (sent["tenant_id"], sent["connector_id"]) == (target["tenant_id"], target["id"])
    missing = public_call(anon, str(uuid.uuid4()), delivery(mine, "orders/create", shopify_order(6602)))
    assert missing.status == 404 and missing.body["error"]["code"] == "connector_not_found"
    long_id = public_call(anon, "x" * 5000, delivery(mine, "orders/create", shopify_order(6603)))
    assert long_id.status == 404
    admin.delete(f"/connectors/{mine['id']}")
    other_tenant.delete(f"/connectors/{theirs['id']}")
