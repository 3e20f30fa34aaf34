"""Channel stock sync (ADR 0040): Shopify pushes per 1,000 stock changes to one SKU.

The real template in moto in-process, the fake Shopify on loopback, and the real functions: each
change is an inventory adjustment through the inventory service; the inventory table's stream is
given to StockSyncFunction in batches as its mapping would (one batch per simulated second), and
the push worker runs on what StockSyncQueue makes visible (the coalescing delay passes on a
frozen, stepped clock, so no real waiting). Two arrival patterns:

- a burst: all 1,000 changes before the first push is due (a bulk import, a stock count);
- sustained: 10 changes a second for 100 seconds (a best seller during a sale).

Each run checks that Shopify ends with Cirrus's final quantity (never a lost last value)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from benchlib import figure

N_CHANGES = 1000
SKU = "SKU-WIDGET-A"
LOCATION = "gid://shopify/Location/11"


class _Stream:
    """New records of the inventory table's stream (each shard read on from where it stopped)."""

    def __init__(self, table: str) -> None:
        import boto3

        self.arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.client = boto3.client("dynamodbstreams")
        self.last: dict[str, str] = {}

    def new(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard in self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            sid = shard["ShardId"]
            where = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.last[sid]}
                if sid in self.last
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = self.client.get_shard_iterator(StreamArn=self.arn, ShardId=sid, **where)[
                "ShardIterator"
            ]
            while iterator:
                page = self.client.get_records(ShardIterator=iterator, Limit=1000)
                records.extend(page["Records"])
                if page["Records"]:
                    self.last[sid] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterator = page.get("NextShardIterator") if page["Records"] else None

        def plain(value: Any) -> Any:
            if isinstance(value, (bytes, bytearray)):
                return base64.b64encode(bytes(value)).decode()
            return value.timestamp() if hasattr(value, "timestamp") else str(value)

        return [
            {**json.loads(json.dumps(r, default=plain)), "eventSourceARN": self.arn, "awsRegion": "us-east-1"}
            for r in records
            if r["dynamodb"]["Keys"]["sk"]["S"] == "ITEM"  # the mapping's filter
        ]


def _scenario(stack: Any, clock: Any, shop: Any, stream: _Stream, per_second: int) -> int:
    """Apply N_CHANGES adjustments at `per_second`; the Shopify calls made for them."""
    import boto3

    from oms.domain.inventory import item_id_for
    from oms.domain.models import Principal, Role
    from oms.domain.network import AdjustRequest
    from oms.services import inventory
    from oms.services.context import repos
    from tests.component.helpers import sqs_records

    principal = Principal(user_id="b", email="bench@example.com", tenant_id="demo", role=Role.SUPERADMIN)
    node = next(n.id for n in repos.nodes.all("demo") if n.code == "DC-EAST")
    item_id = item_id_for("demo", node, SKU)
    sqs = boto3.client("sqs")
    url = stack["StockSyncQueue"]
    calls_before = len(shop.set_calls)

    def one_second(changes: int) -> None:
        for i in range(changes):
            delta = 2 if i % 2 == 0 else -1
            inventory.adjust(
                principal, item_id, AdjustRequest(delta=delta, reason="RECEIVED" if delta > 0 else "DAMAGED")
            )
        records = stream.new()
        for start in range(0, len(records), 100):
            stack.invoke("StockSyncFunction", {"Records": records[start : start + 100]})
        clock.shift(1)
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not got:
                break
            outcome = stack.invoke(
                "StockSyncFunction", {"Records": sqs_records(stack, "StockSyncQueue", got)}
            )
            assert outcome.payload == {"batchItemFailures": []}, outcome.payload
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    left = N_CHANGES
    while left > 0:
        now = min(per_second, left)
        one_second(now)
        left -= now
    for _ in range(8):  # the last window closes
        one_second(0)
    final = repos.stock.get("demo", item_id)
    assert final is not None and shop.available(SKU, LOCATION) == final.available, "lost the last value"
    return len(shop.set_calls) - calls_before


def run() -> list[dict[str, Any]]:
    import logging

    import time_machine

    from infra.local.testing import deployed_template
    from tests.fakes import FakeShopify

    logging.getLogger("oms").setLevel(logging.ERROR)
    shop = FakeShopify()
    # receipts would ask the backorder job to run (not this figure's work)
    quiet = {"FULFILMENT_STATE_MACHINE_ARN": "", "MAINTENANCE_FUNCTION_NAME": "", "CIRRUS_LOG_LEVEL": "ERROR"}
    try:
        with (
            deployed_template(parameters={"WebhookAllowInsecureTargets": "true"}, extra_env=quiet) as stack,
            time_machine.travel(datetime.now(UTC), tick=False) as clock,
        ):
            from oms.demo import seed_demo_data
            from oms.domain.connectors import ConnectorCreate
            from oms.domain.models import Principal, Role
            from oms.services import connectors as connector_service
            from oms.services.context import repos

            seed_demo_data()
            stream = _Stream(stack["InventoryTable"])
            stream.new()  # the seed is history
            node = next(n.id for n in repos.nodes.all("demo") if n.code == "DC-EAST")
            principal = Principal(
                user_id="b", email="bench@example.com", tenant_id="demo", role=Role.SUPERADMIN
            )
            connector_service.create(
                principal,
                ConnectorCreate.model_validate(
                    {
                        "type": "SHOPIFY",
                        "name": "bench",
                        "config": {
                            "shop_domain": "cirrus-bench.myshopify.com",
                            "access_token": "shpat_bench_1",
                            "webhook_secret": "shpss_" + "bench0123456789a" * 2,
                            "admin_api_url": shop.graphql_url,
                            "location_map": {node: LOCATION},
                            "sync_inventory": True,
                        },
                    }
                ),
            )
            shop.add_variant(SKU, 1)
            burst = _scenario(stack, clock, shop, stream, per_second=N_CHANGES)
            sustained = _scenario(stack, clock, shop, stream, per_second=10)
    finally:
        shop.close()
    return [
        figure(
            "stock sync: Shopify pushes per 1,000 changes to one SKU (burst)",
            burst,
            "pushes",
            target=2,
            note="all changes inside one coalescing window; final quantity checked",
        ),
        figure(
            "stock sync: Shopify pushes per 1,000 changes to one SKU (10 changes/s)",
            sustained,
            "pushes",
            target=40,
            note="one push per coalescing window (5 s delay); final quantity checked",
        ),
    ]
