"""Returns, refunds and exchanges over HTTP (issue 13, ADR 0038): request, approve, partial
receipts (stock checked), refund and its repeat, over-return across returns, a customer's own
returns only, an exchange order created once at catalog prices, concurrent refunds."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from tests.component.apiclient import ApiClient
from tests.component.conftest import _login
from tests.component.helpers import NYC, order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")

SHIP = [
    {"type": "PICKING"},
    {"type": "PACKING"},
    {"type": "READY_TO_SHIP"},
    {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1ZRET"},
    {"type": "DELIVERED"},
]


def deliver(admin: ApiClient, order: dict[str, Any]) -> dict[str, Any]:
    wait_for_status(admin, order["id"], {"SOURCED"})
    for event in SHIP:
        reply = admin.post(f"/orders/{order['id']}/fulfillment-events", event)
        assert reply.status in (200, 202), reply
        wait_for_status(admin, order["id"], {event["type"]})
    return dict(admin.get(f"/orders/{order['id']}").body)


def delivered_order(admin: ApiClient, **overrides: Any) -> dict[str, Any]:
    return deliver(admin, admin.post("/orders", order_body(**overrides)).body)


def on_hand(admin: ApiClient, item_id: str) -> int:
    return int(admin.get(f"/inventory/{item_id}").body["on_hand"])


def test_request_approve_receive_refund(admin: ApiClient) -> None:
    order = delivered_order(admin)
    allocation = next(a for a in order["allocations"] if a["sku"] == "SKU-WIDGET-A")
    node, item = allocation["node_id"], allocation["item_id"]
    assert order["refunded_amount"] == "0.00" and order["returned_quantities"] == {}

    created = admin.post(
        f"/orders/{order['id']}/returns",
        {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 2, "reason": "SIZE_OR_FIT"}], "resolution": "REFUND"},
        headers={"Idempotency-Key": "rma-1"},
    )
    assert created.status == 201, created
    ret = created.body
    assert ret["status"] == "REQUESTED" and ret["lines"][0]["unit_price"] == "29.99"
    assert ret["rma_number"].startswith("RMA-") and ret["order_number"] == order["order_number"]
    again = admin.post(
        f"/orders/{order['id']}/returns",
        {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 2, "reason": "SIZE_OR_FIT"}], "resolution": "REFUND"},
        headers={"Idempotency-Key": "rma-1"},
    )
    assert again.status == 201 and again.body["id"] == ret["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    other = admin.post(
        f"/orders/{order['id']}/returns",
        {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "OTHER"}]},
        headers={"Idempotency-Key": "rma-1"},
    )
    assert other.status == 422 and other.body["error"]["code"] == "idempotency_key_reused"

    early = admin.post(f"/returns/{ret['id']}/refund")
    assert early.status == 409 and early.body["error"]["code"] == "not_received"
    receipt = {"node_id": node, "lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "SELLABLE"}]}
    refused = admin.post(f"/returns/{ret['id']}/receive", receipt)
    assert refused.status == 409 and refused.body["error"]["code"] == "return_not_approved"
    approved = admin.post(f"/returns/{ret['id']}/approve", {"note": "fine"})
    assert approved.status == 200 and approved.body["status"] == "APPROVED"
    assert admin.post(f"/returns/{ret['id']}/approve", {}).body["error"]["code"] == "return_not_pending"

    before = on_hand(admin, item)
    first = admin.post(f"/returns/{ret['id']}/receive", receipt, headers={"Idempotency-Key": "box-1"})
    assert first.status == 200 and first.body["status"] == "PARTIALLY_RECEIVED", first
    retried = admin.post(f"/returns/{ret['id']}/receive", receipt, headers={"Idempotency-Key": "box-1"})
    assert retried.status == 200 and retried.body["lines"][0]["received_sellable"] == 1
    assert on_hand(admin, item) == before + 1  # once, not twice
    over = admin.post(
        f"/returns/{ret['id']}/receive",
        {"node_id": node, "lines": [{"sku": "SKU-WIDGET-A", "quantity": 2, "condition": "DAMAGED"}]},
    )
    assert over.status == 422 and over.body["error"]["code"] == "over_receipt"
    damaged = admin.post(
        f"/returns/{ret['id']}/receive",
        {"node_id": node, "lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "DAMAGED"}]},
    )
    assert damaged.body["status"] == "RECEIVED" and damaged.body["lines"][0]["received_damaged"] == 1
    assert on_hand(admin, item) == before + 1  # written off: nothing added
    reasons = {
        a["reason"]
        for a in admin.get(f"/inventory/{item}").body["adjustments"]
        if a["reference"] == f"return:{ret['rma_number']}"
    }
    assert reasons == {"RETURNED", "DAMAGED"}
    assert (
        admin.post(f"/returns/{ret['id']}/receive", {"node_id": "nope", "lines": receipt["lines"]}).status
        == 404
    )

    refunded = admin.post(f"/returns/{ret['id']}/refund")
    assert refunded.status == 200, refunded
    refund = refunded.body["refund"]
    assert refunded.body["status"] == "REFUNDED" and refund["amount"] == "59.98"
    assert refund["lines"] == [{"sku": "SKU-WIDGET-A", "quantity": 2, "amount": "59.98"}]
    repeat = admin.post(f"/returns/{ret['id']}/refund")
    assert repeat.status == 200 and repeat.body["refund"]["id"] == refund["id"]
    final = admin.get(f"/orders/{order['id']}").body
    assert final["status"] == "PARTIALLY_RETURNED"  # the gadget is still out
    assert final["refunded_amount"] == "59.98" and final["returned_quantities"] == {"SKU-WIDGET-A": 2}
    kinds = [e["type"] for e in admin.get(f"/orders/{order['id']}/events").body["items"]]
    for kind in ("return.requested", "return.approved", "return.received", "order.refunded"):
        assert kind in kinds
    listed = admin.get(f"/returns?order_id={order['id']}").body["items"]
    assert [r["id"] for r in listed] == [ret["id"]]
    assert ret["id"] in {r["id"] for r in admin.get("/returns?status=REFUNDED").body["items"]}
    assert admin.get(f"/orders/{order['id']}/returns").body["items"][0]["id"] == ret["id"]


def test_over_return_across_two_returns_is_422_and_rejected_ones_free_the_units(admin: ApiClient) -> None:
    order = delivered_order(admin)
    line = {"sku": "SKU-WIDGET-A", "quantity": 2, "reason": "DEFECTIVE"}
    first = admin.post(f"/orders/{order['id']}/returns", {"lines": [line]}).body
    over = admin.post(f"/orders/{order['id']}/returns", {"lines": [{**line, "quantity": 1}]})
    assert over.status == 422 and over.body["error"]["code"] == "over_return"
    assert over.body["error"]["details"] == {
        "sku": "SKU-WIDGET-A",
        "delivered": 2,
        "already_returned": 2,
        "requested": 1,
    }
    assert admin.post(f"/returns/{first['id']}/reject", {"reason": "photos show no defect"}).status == 200
    assert admin.post(f"/orders/{order['id']}/returns", {"lines": [line]}).status == 201
    unknown = admin.post(f"/orders/{order['id']}/returns", {"lines": [{**line, "sku": "SKU-NOPE"}]})
    assert unknown.status == 422 and unknown.body["error"]["code"] == "unknown_sku"


def test_nothing_delivered_is_not_returnable(admin: ApiClient) -> None:
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    refused = admin.post(
        f"/orders/{order['id']}/returns",
        {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "OTHER"}]},
    )
    assert refused.status == 409 and refused.body["error"]["code"] == "not_returnable"


def test_a_customer_returns_only_from_their_own_orders(anon: ApiClient, admin: ApiClient) -> None:
    customer = _login(anon, "customer@example.com", "customer123")
    mine = customer.post(
        "/orders", {"line_items": [{"sku": "SKU-WIDGET-A", "quantity": 1}], "shipping_address": NYC}
    ).body
    deliver(admin, mine)
    staff_order = delivered_order(admin)  # the customer's email, but not placed by their account
    body = {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "NO_LONGER_NEEDED"}]}
    assert customer.post(f"/orders/{staff_order['id']}/returns", body).status == 404
    staff_return = admin.post(f"/orders/{staff_order['id']}/returns", body).body
    assert customer.get(f"/returns/{staff_return['id']}").status == 404
    assert customer.get(f"/orders/{staff_order['id']}/returns").status == 404
    own = customer.post(f"/orders/{mine['id']}/returns", body)
    assert own.status == 201, own
    assert "requested_by" not in own.body and "decided_by" not in own.body
    listed = {r["id"] for r in customer.get("/returns").body["items"]}
    assert own.body["id"] in listed and staff_return["id"] not in listed
    assert customer.get(f"/returns/{own.body['id']}").status == 200
    assert customer.post(f"/returns/{own.body['id']}/approve", {}).status == 403
    assert customer.get("/return-policy").body["return_window_days"] >= 0


def test_an_exchange_creates_one_order_at_catalog_prices(admin: ApiClient) -> None:
    order = delivered_order(admin)
    node = order["allocations"][0]["node_id"]
    ret = admin.post(
        f"/orders/{order['id']}/returns",
        {
            "lines": [{"sku": "SKU-GADGET-X", "quantity": 1, "reason": "WRONG_ITEM"}],
            "resolution": "EXCHANGE",
            "exchange_lines": [{"sku": "SKU-WIDGET-A", "quantity": 1}],
        },
    ).body
    admin.post(f"/returns/{ret['id']}/approve", {})
    receipt = {"node_id": node, "lines": [{"sku": "SKU-GADGET-X", "quantity": 1, "condition": "SELLABLE"}]}
    done = admin.post(f"/returns/{ret['id']}/receive", receipt, headers={"Idempotency-Key": "ex-1"})
    assert done.status == 200 and done.body["status"] == "EXCHANGED", done
    again = admin.post(f"/returns/{ret['id']}/receive", receipt, headers={"Idempotency-Key": "ex-1"})
    assert again.body["exchange_order_id"] == done.body["exchange_order_id"]
    replacement = admin.get(f"/orders/{done.body['exchange_order_id']}").body
    assert replacement["line_items"][0]["sku"] == "SKU-WIDGET-A"
    assert replacement["line_items"][0]["unit_price"] == "29.99"  # the catalog's
    gadget = next(line for line in order["line_items"] if line["sku"] == "SKU-GADGET-X")
    credit = min(Decimal(gadget["unit_price"]), Decimal("29.99"))
    assert Decimal(replacement["discount_amount"]) == credit
    assert Decimal(replacement["total_amount"]) == Decimal("29.99") - credit
    assert "exchange" in replacement["tags"]
    assert admin.post(f"/returns/{ret['id']}/refund").body["error"]["code"] == "return_is_exchange"


def test_concurrent_refunds_never_exceed_what_was_paid(admin: ApiClient, user: ApiClient) -> None:
    order = delivered_order(admin)
    node = order["allocations"][0]["node_id"]
    ids = []
    for line in order["line_items"]:
        ret = admin.post(
            f"/orders/{order['id']}/returns",
            {"lines": [{"sku": line["sku"], "quantity": line["quantity"], "reason": "DEFECTIVE"}]},
        ).body
        admin.post(f"/returns/{ret['id']}/approve", {})
        received = admin.post(
            f"/returns/{ret['id']}/receive",
            {
                "node_id": node,
                "lines": [{"sku": line["sku"], "quantity": line["quantity"], "condition": "DAMAGED"}],
            },
        )
        assert received.status == 200, received
        ids.append(ret["id"])
    answers: list[Any] = []

    def refund(client: ApiClient, return_id: str) -> None:
        answers.append(client.post(f"/returns/{return_id}/refund"))

    threads = [threading.Thread(target=refund, args=(c, i)) for i in ids for c in (admin, user)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a.status == 200 for a in answers), answers
    final = admin.get(f"/orders/{order['id']}").body
    assert Decimal(final["refunded_amount"]) == Decimal(final["total_amount"])
    assert final["status"] == "REFUNDED"
    per_return = {a.body["id"]: a.body["refund"]["id"] for a in answers}
    assert len(per_return) == len(ids)
    assert all(a.body["refund"]["id"] == per_return[a.body["id"]] for a in answers)


def test_the_return_policy(admin: ApiClient, user: ApiClient) -> None:
    assert user.call("PUT", "/return-policy", {"return_window_days": 10}).status == 403
    bad = admin.call("PUT", "/return-policy", {"return_window_days": 400})
    assert bad.status == 422
    saved = admin.call(
        "PUT",
        "/return-policy",
        {"return_window_days": 30, "restocking_fee_percent": "0", "refund_shipping": "FULL_RETURN"},
    )
    assert saved.status == 200 and saved.body["refund_shipping"] == "FULL_RETURN"
    assert saved.body["updated_by"] == "user:admin@example.com"
    assert admin.get("/return-policy").body["refund_shipping"] == "FULL_RETURN"
    admin.call("PUT", "/return-policy", {})


def test_a_return_request_emails_the_customer_through_the_outbox_and_the_actions_queue(
    stack: Any, admin: ApiClient, invoke: Any
) -> None:
    import boto3

    from tests.component.helpers import sqs_records, stream_records

    order = delivered_order(admin)
    body = {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "DEFECTIVE"}]}
    assert admin.post(f"/orders/{order['id']}/returns", body).status == 201
    headers = [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER" and order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
    assert invoke("EventPublisherFunction", {"Records": headers}) == {"batchItemFailures": []}
    sqs = boto3.client("sqs")
    found: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=stack["ActionsQueue"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            break
        for m in messages:
            sqs.delete_message(QueueUrl=stack["ActionsQueue"], ReceiptHandle=m["ReceiptHandle"])
            if order["id"] in m["Body"] and "return_requested" in m["Body"]:
                found.append(m["Body"])
    assert len(found) == 1, found
    for _ in range(2):  # redelivered: sent once
        result = invoke("ActionsFunction", {"Records": sqs_records(stack, "ActionsQueue", found)})
        assert result == {"batchItemFailures": []}, result
    sent = [
        e
        for e in admin.get(f"/orders/{order['id']}/emails").body["items"]
        if e["template"] == "return_requested"
    ]
    assert [e["status"] for e in sent] == ["SENT"]


def test_a_closed_return_window_is_409(admin: ApiClient) -> None:
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    for event in SHIP[:-1]:
        admin.post(f"/orders/{order['id']}/fulfillment-events", event)
        wait_for_status(admin, order["id"], {event["type"]})
    # the carrier reports the delivery at the moment the order was placed
    delivered = {"type": "DELIVERED", "occurred_at": order["created_at"]}
    assert admin.post(f"/orders/{order['id']}/fulfillment-events", delivered).status == 200
    wait_for_status(admin, order["id"], {"DELIVERED"})
    assert admin.call("PUT", "/return-policy", {"return_window_days": 0}).status == 200
    try:
        body = {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "OTHER"}]}
        closed = admin.post(f"/orders/{order['id']}/returns", body)
        assert closed.status == 409 and closed.body["error"]["code"] == "return_window_closed"
        assert closed.body["error"]["details"]["delivered_at"] == order["created_at"]
    finally:
        admin.call("PUT", "/return-policy", {})


def test_store_credit_is_recorded_on_the_return_not_refunded(admin: ApiClient) -> None:
    order = delivered_order(admin)
    node = order["allocations"][0]["node_id"]
    ret = admin.post(
        f"/orders/{order['id']}/returns",
        {
            "lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "DEFECTIVE"}],
            "resolution": "STORE_CREDIT",
        },
    ).body
    admin.post(f"/returns/{ret['id']}/approve", {})
    receipt = {"node_id": node, "lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "SELLABLE"}]}
    assert admin.post(f"/returns/{ret['id']}/receive", receipt).status == 200
    credited = admin.post(f"/returns/{ret['id']}/refund")
    assert credited.status == 200 and credited.body["status"] == "CREDITED", credited
    assert credited.body["store_credit"]["amount"] == "29.99" and credited.body["refund"] is None
    assert admin.post(f"/returns/{ret['id']}/refund").body["store_credit"] == credited.body["store_credit"]
    assert admin.get(f"/orders/{order['id']}").body["refunded_amount"] == "0.00"


def test_concurrent_requests_never_take_more_than_was_delivered(admin: ApiClient, user: ApiClient) -> None:
    order = delivered_order(admin)
    body = {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 2, "reason": "DEFECTIVE"}]}
    answers: list[Any] = []
    threads = [
        threading.Thread(target=lambda c=c: answers.append(c.post(f"/orders/{order['id']}/returns", body)))
        for c in (admin, user, admin, user)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status for a in answers) == [201, 422, 422, 422], answers
    assert len(admin.get(f"/orders/{order['id']}/returns").body["items"]) == 1


def test_the_channel_s_answer_to_a_refund_is_recorded_on_the_return(admin: ApiClient) -> None:
    from oms.services.return_settlement import record_channel_refund

    order = delivered_order(admin)
    node = order["allocations"][0]["node_id"]
    ret = admin.post(
        f"/orders/{order['id']}/returns",
        {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "reason": "OTHER"}]},
    ).body
    admin.post(f"/returns/{ret['id']}/approve", {})
    receipt = {"node_id": node, "lines": [{"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "SELLABLE"}]}
    admin.post(f"/returns/{ret['id']}/receive", receipt)
    refund = admin.post(f"/returns/{ret['id']}/refund").body["refund"]
    assert refund["channel_status"] is None  # an API order: no channel to tell
    assert record_channel_refund("demo", ret["id"], "not-this-refund", "DONE") is None
    assert record_channel_refund("acme", ret["id"], refund["id"], "DONE") is None  # another tenant
    done = record_channel_refund("demo", ret["id"], refund["id"], "DONE")
    assert done is not None and done.refund is not None and done.refund.channel_status == "DONE"
    late = record_channel_refund("demo", ret["id"], refund["id"], "FAILED")
    assert late is not None and late.refund is not None and late.refund.channel_status == "DONE"
    assert admin.get(f"/returns/{ret['id']}").body["refund"]["channel_status"] == "DONE"
