"""The outbox: an order's stored changes become domain events on the bus, routed to the webhook
queue, each exactly once per change and with a stable id."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.component.helpers import order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


def stream_records(stack: Any) -> list[dict[str, Any]]:
    """The orders table's stream records, as Lambda's stream mapping would deliver them."""
    arn = boto3.client("dynamodb").describe_table(TableName=stack["OrdersTable"])["Table"]["LatestStreamArn"]
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
    return [json.loads(json.dumps(r, default=str)) for r in records]


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


def test_each_order_change_is_published_once_with_a_stable_id(stack, admin, invoke):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    drain(stack)
    mine = [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER" and order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
    assert invoke("EventPublisherFunction", {"Records": mine}) == {"batchItemFailures": []}
    envelopes = [e for e in drain(stack) if e["detail"]["order_id"] == order["id"]]
    assert [e["detail-type"] for e in envelopes] == [
        "order.created",
        "order.confirmed",
        "order.sourcing",
        "order.sourced",
    ]
    assert all(e["source"] == "cirrus.oms" for e in envelopes)
    details = [e["detail"] for e in envelopes]
    assert [d["sequence"] for d in details] == [1, 2, 3, 4]
    assert details[0]["order_number"] == order["order_number"] and details[-1]["status"] == "SOURCED"
    assert len({d["event_id"] for d in details}) == 4

    # the stream redelivers the batch (a retry): the same events, with the same ids
    invoke("EventPublisherFunction", {"Records": mine})
    again = [e["detail"]["event_id"] for e in drain(stack) if e["detail"]["order_id"] == order["id"]]
    assert again == [d["event_id"] for d in details]


def test_bodies_and_decision_trails_publish_nothing(stack, invoke):
    others = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["sk"]["S"] != "ORDER"]
    assert others  # bodies and trails are in the stream too (the mapping's filter drops them)
    drain(stack)
    invoke("EventPublisherFunction", {"Records": others[:20]})
    assert drain(stack) == []
