"""What returns add to the cost of running orders (issue 13, ADR 0038): the AWS operations of one
return's life, and what a 10 % return rate adds per 1M orders.

Method (bench_cost's meter and prices): the real template in moto in-process; N orders are taken
to DELIVERED uncounted; then, counted, each gets a return: requested, approved, received (one unit
sellable, one damaged: the stock transaction), refunded, and the outbox publishes its events; the
actions queue's emails (SES priced) and the inventory stream's consumers follow, counted. The
cost per 1M orders at 10 % returns is 0.1 x 1M x the cost of one return; `make bench BENCH=cost`
gives the order's own life.
"""

from __future__ import annotations

from typing import Any

from bench_cost import LOG_KB_PER_INVOCATION, NETWORK_MS_PER_AWS_CALL, PRICES, Meter
from benchlib import figure

N_RETURNS = 10
RETURN_RATE = 0.10


def _delivered(admin: Any, i: int) -> dict[str, Any]:
    from tests.component.helpers import order_body, wait_for_status

    order = admin.post("/orders", order_body(customer_email=f"ret{i}@example.com")).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    for event in (
        {"type": "PICKING"},
        {"type": "PACKING"},
        {"type": "READY_TO_SHIP"},
        {"type": "SHIPPED", "carrier": "UPS", "tracking_number": f"1ZR{i}"},
        {"type": "DELIVERED"},
    ):
        assert admin.post(f"/orders/{order['id']}/fulfillment-events", event).status in (200, 202)
        wait_for_status(admin, order["id"], {event["type"]})
    return dict(admin.get(f"/orders/{order['id']}").body)


def run() -> list[dict[str, Any]]:
    from infra.local.testing import deployed_template, wait_for_executions
    from tests.component.apiclient import ApiClient
    from tests.component.helpers import stream_records

    with deployed_template() as stack:
        from oms.demo import seed_demo_data

        seed_demo_data()

        def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
            return dict(stack.invoke("ApiFunction", event).payload)

        anon = ApiClient(api)
        token = anon.post("/auth/login", {"email": "admin@example.com", "password": "admin123"}).body
        admin = anon.with_token(token["access_token"])
        orders = [_delivered(admin, i) for i in range(N_RETURNS)]
        wait_for_executions(10)
        seen = {
            (r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["SequenceNumber"]) for r in stream_records(stack)
        }
        stock_seen = {r["dynamodb"]["SequenceNumber"] for r in stream_records(stack, table="InventoryTable")}
        meter = Meter()
        meter.install()
        meter.enabled = True
        for order in orders:
            node = order["allocations"][0]["node_id"]
            body = {"lines": [{"sku": "SKU-WIDGET-A", "quantity": 2, "reason": "DEFECTIVE"}]}
            ret = admin.post(f"/orders/{order['id']}/returns", body).body
            assert admin.post(f"/returns/{ret['id']}/approve", {}).status == 200
            receipt = {
                "node_id": node,
                "lines": [
                    {"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "SELLABLE"},
                    {"sku": "SKU-WIDGET-A", "quantity": 1, "condition": "DAMAGED"},
                ],
            }
            assert admin.post(f"/returns/{ret['id']}/receive", receipt).status == 200
            assert admin.post(f"/returns/{ret['id']}/refund").status == 200
        meter._local.ignore = True
        fresh = [
            r
            for r in stream_records(stack)
            if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER"
            and (r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["SequenceNumber"]) not in seen
        ]
        meter._local.ignore = False
        for start in range(0, len(fresh), 100):
            stack.invoke("EventPublisherFunction", {"Records": fresh[start : start + 100]})
        _consume_the_rest(stack, meter, stock_seen)
        meter.enabled = False

    n = N_RETURNS
    invocations = sum(meter.lambda_runs.values()) / n
    gb = 256 / 1024
    lambda_gb_s = (
        sum(
            (meter.lambda_ms[f] + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls[f]) / 1000 * gb
            for f in meter.lambda_runs
        )
        / n
    )
    sqs = sum(v for k, v in meter.calls.items() if k.startswith("sqs:")) / n
    emails = meter.calls["sesv2:SendEmail"] / n
    wu = (meter.dynamo.wu + meter.dynamo.gsi_wu) / n
    ru = meter.dynamo.ru / n
    api_requests = meter.lambda_runs["ApiFunction"] / n
    per_return = (
        invocations * PRICES["lambda_request"]
        + lambda_gb_s * PRICES["lambda_gb_s"]
        + api_requests * PRICES["http_api_request"]
        + wu * PRICES["ddb_wu"]
        + ru * PRICES["ddb_ru"]
        + sqs * PRICES["sqs_request"]
        + invocations * LOG_KB_PER_INVOCATION / 1024 / 1024 * PRICES["logs_gb"]
        + emails * PRICES["ses_email"]
    )
    print(f"  per return, averaged over {n} (request, approve, receive, refund, events):")
    print(
        f"    write units {wu:.1f}, read units {ru:.1f}, Lambda runs {invocations:.1f}, SQS {sqs:.1f},"
        f" emails {emails:.1f}"
    )
    return [
        figure(
            "returns add per 1M orders at a 10 % return rate",
            per_return * RETURN_RATE * 1e6,
            "$",
            note="add to `cost per 1M orders` (BENCH=cost); the return's emails (SES) included",
        ),
        figure("cost of one return's life", per_return * 1e6, "$ per 1M returns"),
        figure("DynamoDB write units per return", wu, "WU"),
        figure("DynamoDB read units per return", ru, "RU"),
        figure("HTTP API requests per return", api_requests, "requests"),
        figure("customer emails per return", emails, "emails"),
    ]


def _consume_the_rest(stack: Any, meter: Any, stock_seen: set[str]) -> None:
    """What follows the returns' events, counted: the actions queue's emails (return requested,
    received, refunded: ActionsFunction, batches of 10, SES), and the inventory stream's two
    consumers for the receipts' stock changes (batches of up to 100, their filter: stock items)."""
    import boto3

    from tests.component.helpers import sqs_records, stream_records

    sqs = boto3.client("sqs")
    url = stack["ActionsQueue"]
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            break
        outcome = stack.invoke("ActionsFunction", {"Records": sqs_records(stack, "ActionsQueue", messages)})
        assert not outcome.errored and not outcome.payload["batchItemFailures"], outcome.payload
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    meter._local.ignore = True
    stock = [
        r
        for r in stream_records(stack, table="InventoryTable")
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ITEM" and r["dynamodb"]["SequenceNumber"] not in stock_seen
    ]
    meter._local.ignore = False
    for consumer in ("StockAlertsFunction", "StockSyncFunction"):
        for start in range(0, len(stock), 100):
            outcome = stack.invoke(consumer, {"Records": stock[start : start + 100]})
            assert not outcome.errored and not outcome.payload["batchItemFailures"], outcome.payload
