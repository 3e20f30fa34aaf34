"""Issue 8, finding 1: channel linkage is server-only. As the demo USER, an order posted with the
tag `connector:<id>` and the external id `shopify:<shop>:<n>` was taken for the Shopify order n:
shipping it fulfilled that real order in Shopify (customer notified), and the real import of
order n was later dropped as a duplicate. Now the link is set by the import paths only, those
namespaces are refused from clients, and API and channel orders have separate ids."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from oms.domain.events import DomainEvent
from oms.services import shipments as shipment_service
from tests.component import test_connectors as channels
from tests.component.helpers import order_body
from tests.component.test_connectors import (
    SHOP,
    delivery,
    imported,
    queued,
    receive,
    ship,
    shopify_order,
    work,
)

# the connectors module's fixtures: one stack with fake channels, the demo shop and its connector
stack, shop, connector = channels.stack, channels.shop, channels.connector


def forged(connector_id: str, n: int, **overrides: Any) -> dict[str, Any]:
    return order_body(
        tags=[f"connector:{connector_id}"], external_order_id=f"shopify:{SHOP}:{n}", **overrides
    )


def test_a_user_cannot_claim_a_channel_order(user, admin, connector):
    before = admin.get("/orders?limit=200").body["count"]
    reply = user.post("/orders", forged(connector["id"], 9101))
    assert reply.status == 422, reply
    assert {tuple(d["loc"]) for d in reply.body["error"]["details"]} == {
        ("body", "external_order_id"),
        ("body", "tags", "0"),
    }
    assert {d["type"] for d in reply.body["error"]["details"]} == {"reserved_namespace"}
    assert admin.get("/orders?limit=200").body["count"] == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"tags": ["Connector:abc"]},
        {"tags": [" CONNECTOR :abc"]},
        {"tags": ["conn\u200bector:abc"]},
        {"tags": ["source:shopify"]},
        {"external_order_id": "SHOPIFY:" + SHOP + ":1"},
        {"external_order_id": "shopify\t:" + SHOP + ":1"},
        {"external_order_id": "\uff21\uff2d\uff21\uff3a\uff2f\uff2e\uff1aA1:113-0000001-0000001"},
        {"external_order_id": "amazon:A1SELLER:113-0000001-0000001"},
        {"external_order_id": "gid://shopify/Order/1"},
    ],
)
def test_reserved_namespaces_are_refused_however_they_are_spelled(user, overrides):
    reply = user.post("/orders", order_body(**overrides))
    assert reply.status == 422, reply
    (detail,) = reply.body["error"]["details"]
    assert detail["type"] == "reserved_namespace" and detail["loc"][1] in overrides


def test_an_api_order_with_the_raw_channel_id_does_not_collide_with_the_import(
    stack, user, admin, connector, invoke, shop
):
    # a client is free to use Shopify's number as its own reference
    mine = user.post("/orders", order_body(external_order_id="9102", tags=["from-pos"]))
    assert mine.status == 201 and mine.body["channel_link"] is None
    # the real order 9102 arrives from Shopify: it is imported as its own order, and linked
    assert receive(invoke, delivery(connector, "orders/create", shopify_order(9102)))[0] == 200
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}
    channel_order = imported(admin, 9102)
    assert channel_order["id"] != mine.body["id"]
    assert channel_order["channel_link"] == {
        "channel": "SHOPIFY",
        "connector_id": connector["id"],
        "account": SHOP,
        "channel_order_id": "9102",
    }
    kinds = [e["type"] for e in admin.get(f"/connectors/{connector['id']}/events").body["items"]]
    assert "order_imported" in kinds and "order_known" not in kinds
    # shipping the client's order tells Shopify nothing; shipping the channel's fulfils 9102
    pushes_before = len([r for r in shop.requests if b"fulfillmentCreate" in r["body"]])
    assert ship(stack, admin, invoke, mine.body["id"], "1ZMINE") == []  # not even queued (ADR 0022)
    assert "gid://shopify/Order/9102" not in shop.fulfilled
    assert len([r for r in shop.requests if b"fulfillmentCreate" in r["body"]]) == pushes_before
    pushed = ship(stack, admin, invoke, channel_order["id"], "1Z9102")
    assert work(invoke, pushed) == {"batchItemFailures": []}
    assert shop.fulfilled["gid://shopify/Order/9102"]["trackingInfo"]["number"] == "1Z9102"


def _store_order(admin: Any, **fields: Any) -> str:
    """An order written straight to the table, as data from before this change may look."""
    from oms.data.orders import body_record, order_record
    from oms.domain import orders as order_rules
    from oms.domain.models import Order

    created = admin.post("/orders", order_body()).body
    stored = admin.get(f"/orders/{created['id']}").body
    order_id = fields.pop("id", str(uuid.uuid4()))
    doc = {k: v for k, v in stored.items() if k != "status_history"} | {
        "id": order_id,
        "order_number": order_rules.order_number_for(order_id, stored["created_at"]),
        "status": "SHIPPED",
        "version": 1,
        "shipments": [{"carrier": "UPS", "tracking_number": "1ZOLD", "shipped_at": stored["created_at"]}],
        "events": [],
        **fields,
    }
    order = Order.model_validate(doc)
    body_record(order).save()
    order_record(order).save()
    return order_id


def _shipped_event(order_id: str) -> DomainEvent:
    return DomainEvent(
        event_id=str(uuid.uuid4()),
        type="order.shipped",
        tenant_id="demo",
        order_id=order_id,
        order_number=None,
        status="SHIPPED",
        sequence=2,
        occurred_at="2026-01-01T00:00:00.000Z",
        actor="test",
        change="fulfilment.shipped",
        data={},
    )


def test_shipments_go_back_only_through_the_server_set_link(admin, connector, shop):
    """A person's order that carries a channel's tag and external id (as orders made before this
    change could) is not pushed; an order a connector imported before links were stored is."""
    requests_before = len(shop.requests)
    person = _store_order(
        admin,
        tags=[f"connector:{connector['id']}"],
        external_order_id=f"shopify:{SHOP}:9103",
        created_by="user:user@example.com",
    )
    assert shipment_service.push_shipment(_shipped_event(person)) == "not_imported"
    assert len(shop.requests) == requests_before and "gid://shopify/Order/9103" not in shop.fulfilled

    from oms.domain import orders as order_rules
    from oms.domain.channels import ChannelLink

    link = ChannelLink(channel="SHOPIFY", connector_id=connector["id"], account=SHOP, channel_order_id="9104")
    legacy = _store_order(
        admin,
        id=order_rules.legacy_channel_order_id("demo", link),
        channel="WEB",
        tags=["source:shopify", f"connector:{connector['id']}"],
        external_order_id=f"shopify:{SHOP}:9104",
        created_by=f"user:connector:{connector['id']}",
    )
    assert admin.get(f"/orders/{legacy}").body["channel_link"] == link.model_dump()
    assert shipment_service.push_shipment(_shipped_event(legacy)) not in ("not_imported", "rejected")
    assert "gid://shopify/Order/9104" in shop.fulfilled
    assert admin.get(f"/orders/{legacy}").body["channel_link"] == link.model_dump()


def test_an_order_imported_before_the_id_split_is_found_again_not_doubled(stack, admin, connector, invoke):
    from oms.domain import orders as order_rules
    from oms.domain.channels import ChannelLink

    link = ChannelLink(channel="SHOPIFY", connector_id=connector["id"], account=SHOP, channel_order_id="9105")
    legacy = _store_order(
        admin,
        id=order_rules.legacy_channel_order_id("demo", link),
        channel="WEB",
        tags=["source:shopify", f"connector:{connector['id']}"],
        external_order_id=f"shopify:{SHOP}:9105",
        created_by=f"user:connector:{connector['id']}",
    )
    receive(invoke, delivery(connector, "orders/updated", shopify_order(9105)))
    assert work(invoke, queued(stack)) == {"batchItemFailures": []}
    assert imported(admin, 9105)["id"] == legacy  # one order, the one imported before


def test_a_shopify_push_refuses_an_id_that_is_not_shopify_s(connector, shop):
    from oms.adapters import shopify

    before = len(shop.requests)
    config = {"admin_api_url": shop.graphql_url, "access_token": "shpat_test_token"}
    for bad in ("1/../2", "1 OR 2", "", "gid://shopify/Order/1", "12345678901234567890123", "1\n"):
        with pytest.raises(shopify.ShopifyRejected):
            shopify.push_fulfilment(config, bad, "UPS", "1Z")
    assert len(shop.requests) == before
    with pytest.raises(shopify.ShopifyRejected):  # an endpoint built from a bad domain is refused too
        shopify.push_fulfilment({"shop_domain": "evil.com/x?", "api_version": "2025-10"}, "1", "UPS", "1Z")


def test_fulfilment_order_ids_from_shopify_are_checked_before_use(connector, monkeypatch):
    from oms.adapters import shopify

    sent: list[dict[str, Any]] = []

    def fake_graphql(config: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        sent.append(variables)
        nodes = [{"id": "gid://shopify/FulfillmentOrder/1/../../Order/2", "status": "OPEN"}]
        return {"order": {"fulfillmentOrders": {"nodes": nodes}}}

    monkeypatch.setattr(shopify, "_graphql", fake_graphql)
    with pytest.raises(shopify.ShopifyRejected):
        shopify.push_fulfilment({}, "1", "UPS", "1Z")
    assert len(sent) == 1  # the lookup only; no fulfillmentCreate with the odd id


def test_amazon_order_ids_are_checked_and_encoded_in_paths(monkeypatch):
    from oms.adapters import spapi

    calls: list[str] = []
    client = spapi.SpApiClient({"endpoint": "https://sellingpartnerapi-na.amazon.com"})
    monkeypatch.setattr(client, "_call", lambda method, path, **kw: calls.append(path))
    for bad in ("../../sellers", "113-0000001-0000001/x", "113 1", "a?b=c", "-1234", "113-1\n"):
        with pytest.raises(spapi.AmazonRejected):
            client.confirm_shipment(bad, {})
        with pytest.raises(spapi.AmazonRejected):
            client.get_order(bad)
    assert calls == []
    client.confirm_shipment("113-0000001-0000001", {})
    assert calls == ["/orders/v0/orders/113-0000001-0000001/shipmentConfirmation"]


def test_the_push_reads_the_link_not_the_tags_for_a_fake_shop(stack, admin, connector, invoke, shop):
    """The whole flow once more with a signed import: the pushed id is the link's."""
    receive(invoke, delivery(connector, "orders/create", shopify_order(9106)))
    work(invoke, queued(stack))
    order = imported(admin, 9106)
    shipped = ship(stack, admin, invoke, order["id"], "1Z9106")
    assert [json.loads(m["body"])["order_id"] for m in shipped] == [order["id"]]
    work(invoke, shipped)
    assert "gid://shopify/Order/9106" in shop.fulfilled
