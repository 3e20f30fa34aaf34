"""Connectors against local fakes: the connectors API, Shopify webhooks through the Function URL
handler (signatures, duplicates, out-of-order deliveries), fulfilment pushed back, the SP-API
poller under throttling and paging, dead letters replayed once, the task log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.clock import now_iso, parse_iso, utcnow
from tests.component.helpers import drain, sqs_records, stream_records, wait_for_status
from tests.fakes import FakeShopify, FakeSpApi

SECRET = "shpss_" + "0123456789abcdef" * 2
SHOP = "cirrus-demo.myshopify.com"


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """Local fakes are on loopback: allow them, as `make run` does."""
    with deployed_template(
        parameters={"WebhookAllowInsecureTargets": "true"},
        # the gateway serves Function URLs locally; here there is none, so name its address
        extra_env={
            "CIRRUS_LOG_LEVEL": "WARNING",
            "CIRRUS_LOCAL_FUNCTION_URL_BASE": "http://127.0.0.1:3000/_fn",
        },
    ) as resources:
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeShopify]:
    fake = FakeShopify()
    yield fake
    fake.close()


@pytest.fixture
def connector(admin: Any, shop: FakeShopify) -> dict[str, Any]:
    reply = admin.post(
        "/connectors",
        {
            "type": "SHOPIFY",
            "name": "Demo shop",
            "config": {
                "shop_domain": SHOP,
                "access_token": "shpat_test_token",
                "webhook_secret": SECRET,
                "admin_api_url": shop.graphql_url,
            },
        },
    )
    assert reply.status == 201, reply
    return dict(reply.body)


def shopify_order(order_id: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "id": order_id,
        "name": f"#{order_id % 10000}",
        "email": "Shopper@Example.com",
        "currency": "USD",
        "total_line_items_price": "89.97",
        "total_discounts": "5.00",
        "total_tax": "7.20",
        "total_price": "101.16",
        "total_shipping_price_set": {"shop_money": {"amount": "8.99", "currency_code": "USD"}},
        "customer": {"first_name": "Sam", "last_name": "Shopper"},
        "shipping_address": {
            "address1": "350 5th Ave",
            "city": "New York",
            "province_code": "NY",
            "zip": "10118",
            "country_code": "US",
            "latitude": 40.7484,
            "longitude": -73.9857,
        },
        "line_items": [
            {
                "id": 1,
                "sku": "SKU-WIDGET-A",
                "title": "Widget A",
                "quantity": 2,
                "price": "29.99",
                "requires_shipping": True,
            },
            {
                "id": 2,
                "sku": "SKU-GADGET-X",
                "title": "Gadget X",
                "quantity": 1,
                "price": "29.99",
                "requires_shipping": True,
            },
        ],
    }
    body.update(overrides)
    return body


def delivery(
    connector: dict[str, Any],
    topic: str,
    payload: dict[str, Any],
    event_id: str | None = None,
    secret: str = SECRET,
    raw: bytes | None = None,
    signature: str | None = None,
    shop: str = SHOP,
    triggered_at: str | None = None,
) -> dict[str, Any]:
    body = raw if raw is not None else json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-shop-domain": shop,
        "x-shopify-event-id": event_id or str(uuid.uuid4()),
        "x-shopify-webhook-id": str(uuid.uuid4()),
        "x-shopify-triggered-at": triggered_at or now_iso(),
    }
    if signature != "":
        headers["x-shopify-hmac-sha256"] = signature or digest
    return {
        "version": "2.0",
        "rawPath": f"/shopify/{connector['tenant_id']}/{connector['id']}",
        "headers": headers,
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def queued(stack: Any, queue: str = "ConnectorQueue") -> list[dict[str, Any]]:
    """Every message now in the queue, taken, as the Lambda records its event source mapping makes."""
    sqs = boto3.client("sqs")
    out = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=stack[queue], MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return out
        out.extend(sqs_records(stack, queue, messages))
        for m in messages:
            sqs.delete_message(QueueUrl=stack[queue], ReceiptHandle=m["ReceiptHandle"])


def receive(invoke: Any, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    reply = invoke("ShopifyWebhookFunction", event)
    return reply["statusCode"], json.loads(reply["body"])


def work(invoke: Any, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(invoke("ConnectorWorkerFunction", {"Records": messages}))


def imported(admin: Any, shopify_id: int) -> dict[str, Any]:
    listed = admin.get("/orders?limit=100").body["items"]
    found = [o for o in listed if o.get("external_order_id") == f"shopify:{SHOP}:{shopify_id}"]
    assert len(found) == 1, found
    return dict(admin.get(f"/orders/{found[0]['id']}").body)


# ------------------------------------------------------------------ connectors API
def test_connector_lifecycle_masks_secrets(admin, user, connector, stack):
    assert connector["config"]["webhook_secret"] == "***" and connector["config"]["access_token"] == "***"
    assert connector["webhook_url"].endswith(f"/shopify/demo/{connector['id']}")
    assert connector["status"] == "ACTIVE"
    patched = admin.patch(
        f"/connectors/{connector['id']}",
        {"name": "Renamed", "config": {"webhook_secret": "***", "api_version": "2026-01"}},
    ).body
    assert patched["name"] == "Renamed" and patched["config"]["api_version"] == "2026-01"
    # the masked secret sent back kept the real one: a signed webhook still verifies
    status, _ = receive(
        lambda *a: stack.invoke(*a).payload, delivery(connector, "orders/create", shopify_order(1))
    )
    assert status == 200
    queued(stack)
    assert admin.post(f"/connectors/{connector['id']}/toggle", {}).body["status"] == "INACTIVE"
    assert admin.post(f"/connectors/{connector['id']}/toggle", {}).body["status"] == "ACTIVE"
    secret = admin.post("/connectors/generate-secret", {}).body["secret"]
    assert len(secret) == 64
    tested = admin.post(f"/connectors/{connector['id']}/test", {}).body
    assert tested["ok"] is True and "Fake Shop" in tested["detail"]
    assert user.get("/connectors").status == 403
    assert admin.delete(f"/connectors/{connector['id']}").status == 204
    assert admin.get(f"/connectors/{connector['id']}").status == 404


@pytest.mark.parametrize(
    "config",
    [
        {"shop_domain": "evil.example.com", "access_token": "shpat_12345678", "webhook_secret": SECRET},
        {"shop_domain": SHOP, "access_token": "shpat_12345678"},
        {"shop_domain": SHOP, "access_token": "shpat_12345678", "webhook_secret": "short"},
        {"shop_domain": SHOP, "access_token": "shpat_12345678", "webhook_secret": SECRET, "colour": "red"},
    ],
)
def test_bad_connector_config_is_422(admin, config):
    reply = admin.post("/connectors", {"type": "SHOPIFY", "name": "x", "config": config})
    assert reply.status == 422, reply


# ------------------------------------------------------------------ Shopify in
@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"raw": None, "flip": True}, "one flipped byte"),
        ({"reserialise": True}, "re-serialised JSON"),
        ({"signature": ""}, "missing header"),
        ({"secret": "another-secret-0123456789abcdef"}, "wrong secret"),
    ],
)
def test_tampered_webhooks_are_401_and_nothing_is_queued(stack, connector, invoke, change, why):
    queued(stack)
    payload = shopify_order(1001)
    good = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(SECRET.encode(), good, hashlib.sha256).digest()).decode()
    if change.get("flip"):
        body = bytearray(good)
        body[10] ^= 0x01
        event = delivery(connector, "orders/create", payload, raw=bytes(body), signature=digest)
    elif change.get("reserialise"):
        event = delivery(
            connector, "orders/create", payload, raw=json.dumps(payload, indent=2).encode(), signature=digest
        )
    elif "secret" in change:
        event = delivery(connector, "orders/create", payload, secret=change["secret"])
    else:
        event = delivery(connector, "orders/create", payload, signature="")
    status, body = receive(invoke, event)
    assert status == 401 and body["error"]["code"] == "invalid_signature", why
    assert queued(stack) == []


def test_an_order_is_imported_with_shopify_money_and_coordinates(stack, admin, connector, invoke):
    status, body = receive(invoke, delivery(connector, "orders/create", shopify_order(2001)))
    assert status == 200 and body == {"queued": True}
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}
    order = imported(admin, 2001)
    assert (
        order["subtotal"],
        order["discount_amount"],
        order["tax_amount"],
        order["shipping_amount"],
        order["total_amount"],
    ) == ("89.97", "5.00", "7.20", "8.99", "101.16")
    assert order["customer_email"] == "shopper@example.com" and order["channel"] == "WEB"
    assert order["shipping_address"]["latitude"] == 40.7484
    assert [(li["sku"], li["quantity"], li["unit_price"]) for li in order["line_items"]] == [
        ("SKU-WIDGET-A", 2, "29.99"),
        ("SKU-GADGET-X", 1, "29.99"),
    ]
    wait_for_status(admin, order["id"], {"SOURCED"})
    kinds = [e["type"] for e in admin.get(f"/connectors/{connector['id']}/events").body["items"]]
    assert "order_imported" in kinds


def test_the_same_event_three_times_concurrently_makes_one_order(stack, admin, connector, invoke):
    event = delivery(connector, "orders/create", shopify_order(3001), event_id="evt-3001")
    for _ in range(3):
        assert receive(invoke, event)[0] == 200
    messages = queued(stack)
    assert len(messages) == 3
    results: list[Any] = []
    threads = [threading.Thread(target=lambda m=m: results.append(work(invoke, [m]))) for m in messages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == {"batchItemFailures": []} for r in results)
    imported(admin, 3001)  # exactly one
    # the same order under another event id (Shopify re-sent it as a new delivery): still one
    receive(invoke, delivery(connector, "orders/create", shopify_order(3001)))
    work(invoke, queued(stack))
    imported(admin, 3001)


def test_updated_before_created_and_cancelled_after_shipped(stack, admin, connector, invoke):
    receive(invoke, delivery(connector, "orders/updated", shopify_order(4001)))
    work(invoke, queued(stack))
    order = imported(admin, 4001)  # the update arrived first: the order exists from it
    receive(invoke, delivery(connector, "orders/create", shopify_order(4001)))
    work(invoke, queued(stack))
    assert imported(admin, 4001)["id"] == order["id"]
    wait_for_status(admin, order["id"], {"SOURCED"})
    for step in ({"type": "PICKING"}, {"type": "PACKING"}, {"type": "READY_TO_SHIP"}):
        admin.post(f"/orders/{order['id']}/fulfillment-events", step)
    wait_for_status(admin, order["id"], {"READY_TO_SHIP"})
    admin.post(
        f"/orders/{order['id']}/fulfillment-events",
        {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z999"},
    )
    wait_for_status(admin, order["id"], {"SHIPPED"})
    receive(
        invoke,
        delivery(connector, "orders/cancelled", shopify_order(4001, cancelled_at="2026-11-21T12:00:00Z")),
    )
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}
    assert admin.get(f"/orders/{order['id']}").body["status"] == "SHIPPED"
    refused = [
        e
        for e in admin.get(f"/connectors/{connector['id']}/events").body["items"]
        if e["type"] == "cancel_refused"
    ]
    assert refused and refused[0]["order_id"] == order["id"]


def test_a_cancellation_before_shipping_cancels_and_releases(stack, admin, connector, invoke):
    receive(invoke, delivery(connector, "orders/create", shopify_order(5001)))
    work(invoke, queued(stack))
    order = imported(admin, 5001)
    wait_for_status(admin, order["id"], {"SOURCED"})
    receive(
        invoke,
        delivery(connector, "orders/cancelled", shopify_order(5001, cancelled_at="2026-11-21T12:00:00Z")),
    )
    work(invoke, queued(stack))
    assert admin.get(f"/orders/{order['id']}").body["status"] == "CANCELLED"


def test_pickup_when_nothing_ships_and_import_problems_are_logged(stack, admin, demo_nodes, invoke, shop):
    config = {
        "shop_domain": SHOP,
        "access_token": "shpat_test_token",
        "webhook_secret": SECRET,
        "admin_api_url": shop.graphql_url,
        "pickup_node_id": demo_nodes["STR-NYC-01"],
    }
    connector = admin.post("/connectors", {"type": "SHOPIFY", "name": "Pickup shop", "config": config}).body
    gift_card = shopify_order(
        6001,
        shipping_address=None,
        line_items=[
            {
                "id": 9,
                "sku": "SKU-WIDGET-A",
                "title": "In store",
                "quantity": 1,
                "price": "29.99",
                "requires_shipping": False,
            }
        ],
    )
    receive(invoke, delivery(connector, "orders/create", gift_card))
    work(invoke, queued(stack))
    order = imported(admin, 6001)
    assert order["fulfillment_type"] == "STORE_PICKUP" and order["pickup_node_id"] == demo_nodes["STR-NYC-01"]
    receive(invoke, delivery(connector, "orders/create", shopify_order(6002, line_items=[])))
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}  # not retried: it cannot get better
    problems = [
        e
        for e in admin.get(f"/connectors/{connector['id']}/events").body["items"]
        if e["type"] == "import_failed"
    ]
    assert problems and "no line items" in problems[0]["reason"]


# ------------------------------------------------------------------ shipments out, DLQ
def ship(stack: Any, admin: Any, invoke: Any, order_id: str, tracking: str) -> list[dict[str, Any]]:
    wait_for_status(admin, order_id, {"SOURCED"})
    for step in ({"type": "PICKING"}, {"type": "PACKING"}, {"type": "READY_TO_SHIP"}):
        admin.post(f"/orders/{order_id}/fulfillment-events", step)
    wait_for_status(admin, order_id, {"READY_TO_SHIP"})
    admin.post(
        f"/orders/{order_id}/fulfillment-events",
        {"type": "SHIPPED", "carrier": "UPS", "tracking_number": tracking},
    )
    wait_for_status(admin, order_id, {"SHIPPED"})
    queued(stack)
    drain(stack)
    records = [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER" and order_id in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
    invoke("EventPublisherFunction", {"Records": records})
    drain(stack)
    return queued(stack)  # what the connector worker is given


def test_a_shipment_is_pushed_to_shopify_with_tracking(stack, admin, connector, invoke, shop):
    receive(invoke, delivery(connector, "orders/create", shopify_order(7001)))
    work(invoke, queued(stack))
    order = imported(admin, 7001)
    shipped = ship(stack, admin, invoke, order["id"], "1Z7001")
    # the worker gets the shipment of a channel's order and nothing else of its life (ADR 0022)
    assert [json.loads(m["body"])["type"] for m in shipped] == ["order.shipped"]
    assert work(invoke, shipped) == {"batchItemFailures": []}
    pushed = shop.fulfilled["gid://shopify/Order/7001"]
    assert pushed["trackingInfo"] == {"company": "UPS", "number": "1Z7001"}
    assert work(invoke, shipped) == {"batchItemFailures": []}  # a redelivery: the event id was seen
    log = [e["type"] for e in admin.get(f"/connectors/{connector['id']}/events").body["items"]]
    assert log.count("shipment_pushed") == 1 and log.count("duplicate_event") == 1
    assert len([r for r in shop.requests if b"fulfillmentCreate" in r["body"]]) == 1
    tasks = admin.get("/ops/task-log").body["items"]
    assert {"connector.push_shipment", "connector.shopify_import"} <= {t["kind"] for t in tasks}
    assert all(t["tenant_id"] == "demo" and t["duration_ms"] >= 0 for t in tasks)


def test_a_failing_push_marks_the_connector_and_the_dead_letter_is_replayed_once(
    stack, admin, owner, connector, invoke, shop
):
    receive(invoke, delivery(connector, "orders/create", shopify_order(8001)))
    work(invoke, queued(stack))
    order = imported(admin, 8001)
    [message] = ship(stack, admin, invoke, order["id"], "1Z8001")
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack["ConnectorQueue"], MessageBody=message["body"])
    # an unrelated event in the same batch is not held back by the poison one
    good = {**json.loads(message["body"]), "event_id": str(uuid.uuid4()), "type": "order.created"}
    sqs.send_message(QueueUrl=stack["ConnectorQueue"], MessageBody=json.dumps(good))
    shop.failures = 1000
    for _ in range(6):  # maxReceiveCount is 5: the sixth receive moves it to the dead-letter queue
        batch = sqs_records(
            stack,
            "ConnectorQueue",
            sqs.receive_message(
                QueueUrl=stack["ConnectorQueue"],
                MaxNumberOfMessages=10,
                VisibilityTimeout=0,
                AttributeNames=["All"],
            ).get("Messages", []),
        )
        if not batch:
            continue
        failed = {f["itemIdentifier"] for f in work(invoke, batch)["batchItemFailures"]}
        for m in batch:
            if m["messageId"] not in failed:
                sqs.delete_message(QueueUrl=stack["ConnectorQueue"], ReceiptHandle=m["receiptHandle"])
    status = admin.get(f"/connectors/{connector['id']}").body
    assert status["status"] == "ERROR" and "500" in status["last_error"]
    dlq = {q["queue"]: q for q in owner.get("/ops/dlq").body["items"]}
    assert dlq["connectors"]["depth"]["visible"] == 1  # only the poison message
    assert admin.get("/ops/dlq").status == 403

    shop.failures = 0  # the fix
    admin.post(f"/connectors/{connector['id']}/toggle", {})  # ERROR -> ACTIVE
    replayed = owner.post("/ops/dlq/connectors/replay", {}).body
    assert replayed["moved"] == 1 and replayed["depth_after"]["visible"] == 0
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}
    assert "gid://shopify/Order/8001" in shop.fulfilled
    assert owner.post("/ops/dlq/nope/replay", {}).status == 404
    # a tenant admin reads only its own task log; the platform owner any tenant's
    assert admin.get("/ops/task-log?tenant=acme").status == 403
    platform = owner.get("/ops/task-log?tenant=_platform").body["items"]
    assert "ops.dlq_replay" in {t["kind"] for t in platform}


# ------------------------------------------------------------------ Amazon
def amazon_time(seconds_ago: float) -> str:
    """An SP-API timestamp (whole seconds, Z) `seconds_ago` before the test's frozen now."""
    return (utcnow() - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def amazon_order(n: int, updated: str, status: str = "UNSHIPPED") -> dict[str, Any]:
    return {
        "orderId": f"113-{n:07d}-0000001",
        "createdTime": (parse_iso(updated) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lastUpdatedTime": updated,
        "salesChannel": {"marketplaceId": "ATVPDKIKX0DER"},
        "fulfillment": {"fulfillmentStatus": status, "fulfilledBy": "MERCHANT"},
        "buyer": {"buyerEmail": f"buyer{n}@marketplace.amazon.com", "buyerName": "Alex Buyer"},
        "recipient": {
            "deliveryAddress": {
                "addressLine1": "1 Main St",
                "city": "Seattle",
                "stateOrRegion": "WA",
                "postalCode": "98101",
                "countryCode": "US",
            }
        },
        "orderItems": [
            {
                "orderItemId": f"OI-{n}",
                "quantityOrdered": 1,
                "product": {
                    "sellerSku": "SKU-GIZMO-1",
                    "title": "Gizmo",
                    "price": {"unitPrice": {"amount": "19.99", "currencyCode": "USD"}},
                },
            }
        ],
    }


@pytest.mark.date_sensitive  # the first window is "now - 1 day"
def test_the_amazon_poller_pages_through_429s_and_imports_each_order_once(stack, admin, invoke, frozen_clock):
    # changed two hours ago, a second apart: inside the first poll's window whatever the date
    orders = [amazon_order(i, updated=amazon_time(7200 - i)) for i in range(1, 8)]
    orders.append(amazon_order(50, updated=amazon_time(7200), status="PENDING"))  # unpaid: not yet
    fake = FakeSpApi(orders, page_size=2, throttle_every=3)
    try:
        connector = admin.post(
            "/connectors",
            {
                "type": "AMAZON",
                "name": "Amazon US",
                "config": {
                    "seller_id": "A1SELLER",
                    "marketplace_ids": ["ATVPDKIKX0DER"],
                    "lwa_client_id": "amzn1.client",
                    "lwa_client_secret": "secret",
                    "refresh_token": "Atzr|refresh",
                    "endpoint": fake.url,
                    "token_url": f"{fake.url}/auth/o2/token",
                },
            },
        ).body
        assert connector["config"]["refresh_token"] == "***"
        first = invoke("ConnectorPollerFunction", {"job": "poll_amazon"})
        assert first["connectors"] >= 1 and first["failed"] == 0
        assert fake.throttled >= 1
        listed = admin.get("/orders?limit=200").body["items"]
        mine = [o for o in listed if (o.get("external_order_id") or "").startswith("amazon:A1SELLER:")]
        assert len(mine) == 7 and all(o["channel"] == "MARKETPLACE" for o in mine)
        doc = admin.get(f"/connectors/{connector['id']}").body
        assert doc["watermark"] == orders[6]["lastUpdatedTime"]  # the newest change seen

        # a later poll overlaps the watermark and sees the same orders: nothing is doubled
        frozen_clock.shift(600)
        fake.orders.append(amazon_order(9, updated=amazon_time(60)))
        fake.orders[0] = amazon_order(1, updated=amazon_time(59), status="CANCELLED")
        invoke("ConnectorPollerFunction", {"job": "poll_amazon"})
        listed = admin.get("/orders?limit=200").body["items"]
        mine = {
            o["external_order_id"]: o
            for o in listed
            if (o.get("external_order_id") or "").startswith("amazon:A1SELLER:")
        }
        assert len(mine) == 8
        assert mine["amazon:A1SELLER:113-0000001-0000001"]["status"] == "CANCELLED"
        events = admin.get(f"/connectors/{connector['id']}/events").body["items"]
        polls = [e for e in events if e["type"] == "poll_completed"]
        assert len(polls) == 2 and max(p["throttled"] for p in polls) >= 1  # it slowed down, not failed

        # shipped: confirmShipment with a stable package reference, twice -> the same reference
        order = mine["amazon:A1SELLER:113-0000002-0000001"]
        shipped = ship(stack, admin, invoke, order["id"], "1ZAMZ2")
        work(invoke, shipped)
        work(invoke, shipped)  # the same event again: deduplicated on its id
        assert len(fake.confirmations) == 1
        # a push retried after a lost answer (a new attempt, not the same event) keeps the package
        # reference, so Amazon edits the package instead of adding one
        from oms.domain.events import DomainEvent
        from oms.services import shipments as shipment_service

        retried = DomainEvent.model_validate(
            {**json.loads(shipped[0]["body"]), "event_id": str(uuid.uuid4())}
        )
        shipment_service.push_shipment(retried)
        refs = {c["packageDetail"]["packageReferenceId"] for c in fake.confirmations}
        assert len(fake.confirmations) == 2 and len(refs) == 1
        assert fake.confirmations[0]["packageDetail"]["orderItems"] == [
            {"orderItemId": "OI-2", "quantity": 1}
        ]
        admin.delete(f"/connectors/{connector['id']}")  # the next test's poller must not reach it
    finally:
        fake.close()


@pytest.mark.date_sensitive  # a token bucket refilled by the clock, and the first window
def test_the_amazon_poller_spends_a_rate_budget_and_resumes_where_it_paused(admin, invoke, frozen_clock):
    orders = [amazon_order(100 + i, updated=amazon_time(3600 - i)) for i in range(7)]
    fake = FakeSpApi(orders, page_size=2, throttle_every=0)  # 4 pages
    try:
        config = {
            "seller_id": "A2PACED",
            "marketplace_ids": ["ATVPDKIKX0DER"],
            "lwa_client_id": "amzn1.client",
            "lwa_client_secret": "secret",
            "refresh_token": "Atzr|refresh",
            "endpoint": fake.url,
            "token_url": f"{fake.url}/auth/o2/token",
            "search_rate_per_second": 1.0,
            "search_burst": 2,
        }
        connector = admin.post("/connectors", {"type": "AMAZON", "name": "Paced", "config": config}).body

        def mine() -> list[str]:
            items = admin.get("/orders?limit=200").body["items"]
            return [
                o["external_order_id"]
                for o in items
                if (o.get("external_order_id") or "").startswith("amazon:A2PACED:")
            ]

        invoke("ConnectorPollerFunction", {"job": "poll_amazon"})
        first = admin.get(f"/connectors/{connector['id']}").body
        assert fake.calls == 2 and len(mine()) == 4  # the budget of 2 calls read 2 pages, then paused
        assert first["watermark"] is None and first["resume"]["token"] == "4"
        invoke("ConnectorPollerFunction", {"job": "poll_amazon"})  # no time has passed: no token
        assert fake.calls == 2 and admin.get(f"/connectors/{connector['id']}").body["resume"]["token"] == "4"
        frozen_clock.shift(2)  # at 1 token a second, two tokens come back
        invoke("ConnectorPollerFunction", {"job": "poll_amazon"})
        done = admin.get(f"/connectors/{connector['id']}").body
        assert fake.calls == 4 and sorted(mine()) == sorted(f"amazon:A2PACED:{o['orderId']}" for o in orders)
        assert done["resume"] is None and done["watermark"] == orders[-1]["lastUpdatedTime"]
        kinds = [e["type"] for e in admin.get(f"/connectors/{connector['id']}/events").body["items"]]
        assert kinds.count("poll_paused") == 2 and kinds.count("poll_completed") == 1
        admin.delete(f"/connectors/{connector['id']}")
    finally:
        fake.close()
