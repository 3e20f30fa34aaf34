"""Shared helpers for component and end-to-end tests."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import boto3

NYC = {
    "address1": "456 Park Ave",
    "city": "New York",
    "state": "NY",
    "postal_code": "10022",
    "latitude": 40.7614,
    "longitude": -73.9776,
}


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "WEB",
        "fulfillment_type": "SHIP_TO_HOME",
        "customer_email": "customer@example.com",
        "customer_name": "John Doe",
        "line_items": [
            {"sku": "SKU-WIDGET-A", "product_name": "Premium Widget A", "quantity": 2, "unit_price": "29.99"},
            {"sku": "SKU-GADGET-X", "product_name": "Gadget X Pro", "quantity": 1},
        ],
        "shipping_address": NYC,
    }
    body.update(overrides)
    if body.get("shipping_address") is None:
        body.pop("shipping_address", None)
    return body


def ensure_product(admin: Any, sku: str, price: str = "10.00", **fields: Any) -> dict[str, Any]:
    """Put `sku` in the catalog (API orders are priced from it); one already there is kept."""
    reply = admin.post("/products", {"sku": sku, "name": sku.title(), "price": price, **fields})
    if reply.status == 409:
        reply = admin.get(f"/products/{sku}")
    assert reply.status in (200, 201), reply
    return dict(reply.body)


def wait_for_status(client: Any, order_id: str, statuses: set[str], timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = client.get(f"/orders/{order_id}")
        if last.status == 200 and last.body["status"] in statuses:
            return dict(last.body)
        time.sleep(0.05)
    raise AssertionError(f"order {order_id} never reached {statuses}; last: {last}")


def stream_records(stack: Any, table: str = "OrdersTable") -> list[dict[str, Any]]:
    """A table's stream records (the orders table's by default), as Lambda's stream mapping would
    deliver them."""
    arn = boto3.client("dynamodb").describe_table(TableName=stack[table])["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(page["Records"])
            iterator = page.get("NextShardIterator") if page["Records"] else None

    def plain(value: Any) -> Any:  # as Lambda delivers records: binary base64, times as numbers
        if isinstance(value, (bytes, bytearray)):
            return base64.b64encode(bytes(value)).decode()
        return value.timestamp() if hasattr(value, "timestamp") else str(value)

    region = arn.split(":")[3]
    return [
        {**json.loads(json.dumps(r, default=plain)), "eventSourceARN": arn, "awsRegion": region}
        for r in records
    ]


def _as_received(body: str) -> dict[str, Any]:
    """A ReceiveMessage message for `body`, as if it had just been sent and received once."""
    now = str(int(time.time() * 1000))
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": str(uuid.uuid4()),
        "Body": body,
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now,
            "ApproximateFirstReceiveTimestamp": now,
            "SenderId": "AIDAEXAMPLE",
        },
    }


def sqs_records(stack: Any, queue: str, messages: list[Any]) -> list[dict[str, Any]]:
    """Lambda SQS event records, as the event source mapping of `queue` (a logical id) builds
    them: from ReceiveMessage messages (received with every attribute), or from bodies alone."""
    from infra.local.pollers import sqs_event_record

    arn = stack.arn(queue)
    return [
        sqs_event_record(_as_received(m) if isinstance(m, str) else m, arn, arn.split(":")[3])
        for m in messages
    ]


def drain(stack: Any) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=stack["WebhookQueue"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            return bodies
        for m in messages:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=stack["WebhookQueue"], ReceiptHandle=m["ReceiptHandle"])
