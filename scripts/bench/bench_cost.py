"""AWS operations per order over its whole life, and the list-price cost per million orders.

Method: the real template is deployed into moto in-process; N orders are created through the API
function and driven to DELIVERED by warehouse/carrier callbacks (the pick and shipment requests
are received and deleted from their queues, as a WMS/carrier integration would). Every AWS call
made by any function or by the state machine is intercepted at botocore and counted:
- DynamoDB write/read units are computed from the items before and after each write (1 KB write
  units, 4 KB read units, x2 inside transactions, eventual reads x0.5) and the index entries each
  write adds or removes (KEYS_ONLY indexes: one unit per entry written or deleted; the radar's
  ALL-projected gsi1: the item's size, also when an entry is rewritten);
- Lambda invocations and their durations are measured in-process; billed duration adds 6 ms per
  AWS call made (the network round trip that in-process moto does not have);
- Express executions are billed at 64 MB in 100 ms steps: the task time they contain + 50 ms;
- logs: 0.4 KB per invocation (START/END/REPORT + a line) at CloudWatch ingestion price.
Prices: ../shared/design/reference.md (us-east-1, on demand, arm64).
What the SLA radar and Invoice Guard add is counted apart (scripts/bench/radar_cost.py): the
figures before theirs are without them.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Set
from typing import Any

from benchlib import figure

N_ORDERS = 20
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s": 0.0000133334,
    "http_api_request": 1.00 / 1e6,
    "ddb_wu": 0.625 / 1e6,
    "ddb_ru": 0.125 / 1e6,
    "express_execution": 1.00 / 1e6,
    "express_gb_s": 0.00001667,
    "sqs_request": 0.40 / 1e6,
    "eventbridge_event": 1.00 / 1e6,
    "logs_gb": 0.50,
    # SES is not in ../shared/design/reference.md: its public list price, $0.10 per 1,000 emails
    "ses_email": 0.10 / 1000,
}
# the default workflow's email actions an order that is delivered triggers (a cancelled one: 2)
EMAILS_PER_ORDER = ("order_confirmation", "order_shipped", "order_delivered")
NETWORK_MS_PER_AWS_CALL = 6.0
LOG_KB_PER_INVOCATION = 0.4


# ---------------------------------------------------------------------------- DynamoDB sizing
def _value_size(value: dict[str, Any]) -> float:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        return len(str(raw).lstrip("-").replace(".", "")) / 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "B":
        return len(raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) for k, v in raw.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in raw)
    return 0


def item_size(item: dict[str, Any] | None) -> float:
    if not item:
        return 0
    return sum(len(k.encode()) + _value_size(v) for k, v in item.items())


class DynamoMeter:
    """Reads items straight from moto's backend to size every write."""

    def __init__(self) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        self.wu = 0.0
        self.ru = 0.0
        self.gsi_wu = 0.0
        self.wu_by_kind: Counter[str] = Counter()

    def _table(self, name: str) -> Any:
        return self.backend.get_table(name)

    def _key(self, table: Any, item_or_key: dict[str, Any]) -> dict[str, Any]:
        key = {table.hash_key_attr: item_or_key[table.hash_key_attr]}
        if table.range_key_attr:
            key[table.range_key_attr] = item_or_key[table.range_key_attr]
        return key

    def _get(self, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self.backend.get_item(table_name, key)
        return item.to_json()["Attributes"] if item else None

    def _index_units(self, table: Any, before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
        units = 0
        for index in table.global_indexes:
            attrs = [k["AttributeName"] for k in index.schema]

            def key_of(item: dict[str, Any] | None, attrs: list[str] = attrs) -> tuple[Any, ...] | None:
                if not item or any(a not in item for a in attrs):
                    return None
                return tuple(json.dumps(item[a], sort_keys=True) for a in attrs)

            k_before, k_after = key_of(before), key_of(after)
            if (index.projection or {}).get("ProjectionType", "KEYS_ONLY") == "KEYS_ONLY":
                if k_before != k_after:
                    units += (k_before is not None) + (k_after is not None)
            elif before != after:  # ALL (the radar's gsi1): entries cost the item's size
                if k_before is not None and k_before != k_after:
                    units += math.ceil(max(item_size(before), 1) / 1024)
                if k_after is not None:
                    units += math.ceil(max(item_size(after), 1) / 1024)
        return units

    def snapshot(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any, bool]]:
        """(table, key, before, transactional) for every item a write will touch."""
        targets: list[tuple[str, dict[str, Any], Any, bool]] = []
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = self._table(params["TableName"])
            key = self._key(table, params.get("Item") or params["Key"])
            targets.append((params["TableName"], key, self._get(params["TableName"], key), False))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, op),) = entry.items()
                if kind == "ConditionCheck":
                    continue
                table = self._table(op["TableName"])
                key = self._key(table, op.get("Item") or op["Key"])
                targets.append((op["TableName"], key, self._get(op["TableName"], key), True))
        elif operation == "BatchWriteItem":
            for table_name, requests in params["RequestItems"].items():
                table = self._table(table_name)
                for request in requests:
                    body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
                    key = self._key(table, body)
                    targets.append((table_name, key, self._get(table_name, key), False))
        return targets

    def account_write(
        self, targets: list[tuple[str, dict[str, Any], Any, bool]], params: dict[str, Any]
    ) -> None:
        for table_name, key, before, transactional in targets:
            after = self._get(table_name, key)
            size = max(item_size(before), item_size(after), 1)
            units = math.ceil(size / 1024) * (2 if transactional else 1)
            self.wu += units
            pk = str(key.get("pk", {}).get("S", ""))
            sk = str(key.get("sk", {}).get("S", "?"))
            kind = (
                "LEARN" if "#LEARN" in pk else "TASKLOG" if sk[:2] == "20" else sk.split("#", maxsplit=1)[0]
            )
            self.wu_by_kind[f"{kind}{' (txn)' if transactional else ''}"] += units
            self.gsi_wu += self._index_units(self._table(table_name), before, after)

    def account_read(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        if operation == "GetItem":
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            self.ru += math.ceil(max(item_size(response.get("Item")), 1) / 4096) * factor
        elif operation == "BatchGetItem":
            for table_name, items in response.get("Responses", {}).items():
                factor = 1.0 if params["RequestItems"][table_name].get("ConsistentRead") else 0.5
                for item in items:
                    self.ru += math.ceil(max(item_size(item), 1) / 4096) * factor
        elif operation == "Query":
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            total = sum(item_size(i) for i in response.get("Items", []))
            self.ru += math.ceil(max(total, 1) / 4096) * factor
        elif operation == "TransactGetItems":
            for entry in response.get("Responses", []):
                self.ru += math.ceil(max(item_size(entry.get("Item")), 1) / 4096) * 2


# ---------------------------------------------------------------------------- interception
class Meter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.lambda_runs: Counter[str] = Counter()
        self.lambda_ms: defaultdict[str, float] = defaultdict(float)
        self.lambda_aws_calls: Counter[str] = Counter()
        self.dynamo = DynamoMeter()
        self._local = threading.local()
        self._lock = threading.RLock()
        self.enabled = False
        self.uncounted: set[str] = set()  # request ids of invocations made while ignoring
        self.units_by_function: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # WU, RU
        self.learning_sqs = 0  # requests on the learning queue (the outbox's sends, the label job's)

    def install(self) -> None:
        import botocore.client

        from infra.local import lambda_runtime

        meter = self
        original_call = botocore.client.BaseClient._make_api_call
        original_invoke = lambda_runtime.FunctionRuntime.invoke
        original_run = lambda_runtime.FunctionRuntime._run

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if not meter.enabled or getattr(meter._local, "ignore", False):
                return original_call(client, operation, params)
            service = client.meta.service_model.service_name
            meter.calls[f"{service}:{operation}"] += 1
            fn = lambda_runtime.current_function()
            if fn:
                meter.lambda_aws_calls[fn] += 1
            if service == "sqs" and "LearningQueue" in str(params.get("QueueUrl", "")):
                meter.learning_sqs += 1
            if service != "dynamodb":
                return original_call(client, operation, params)
            with meter._lock:  # size before/after without another writer in between
                before = (meter.dynamo.wu + meter.dynamo.gsi_wu, meter.dynamo.ru)
                targets = meter.dynamo.snapshot(operation, params)
                try:
                    response = original_call(client, operation, params)
                finally:
                    meter.dynamo.account_write(targets, params)
                meter.dynamo.account_read(operation, params, response)
                if fn:
                    meter.units_by_function[fn][0] += meter.dynamo.wu + meter.dynamo.gsi_wu - before[0]
                    meter.units_by_function[fn][1] += meter.dynamo.ru - before[1]
            return response

        def invoke(runtime: Any, event: Any, **kwargs: Any) -> Any:
            if not meter.enabled:
                return original_invoke(runtime, event, **kwargs)
            if getattr(meter._local, "ignore", False):
                # the handler runs on a container thread: tell it (by request id) not to count
                kwargs["request_id"] = kwargs.get("request_id") or f"uncounted-{uuid.uuid4()}"
                meter.uncounted.add(kwargs["request_id"])
                return original_invoke(runtime, event, **kwargs)
            outcome = original_invoke(runtime, event, **kwargs)
            meter.lambda_runs[runtime.logical_id] += 1
            meter.lambda_ms[runtime.logical_id] += outcome.duration_ms
            return outcome

        def run(runtime: Any, event: Any, request_id: str | None) -> Any:
            previous = getattr(meter._local, "ignore", False)
            meter._local.ignore = previous or request_id in meter.uncounted
            try:
                return original_run(runtime, event, request_id)
            finally:
                meter._local.ignore = previous

        botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        lambda_runtime.FunctionRuntime.invoke = invoke  # type: ignore[method-assign]
        lambda_runtime.FunctionRuntime._run = run  # type: ignore[method-assign]


# ---------------------------------------------------------------------------- scenario
def _login(client: Any, meter: Meter) -> Any:
    """Again after the clock jumped (a token lives an hour of it): uncounted."""
    meter._local.ignore = True
    token = client.post("/auth/login", {"email": "admin@example.com", "password": "admin123"}).body
    meter._local.ignore = False
    return client.with_token(token["access_token"])


def _drive(stack: Any, meter: Meter, extra: Any, seeded: Set[str]) -> None:
    """`extra`: radar_cost.Breakdown, the SLA radar's and Invoice Guard's part of the flow;
    `seeded`: the inventory stream's records before the orders (the demo's seeding)."""
    import boto3

    from tests.component.apiclient import ApiClient
    from tests.component.helpers import order_body, wait_for_status

    def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(stack.invoke("ApiFunction", event).payload)

    client = ApiClient(api)
    admin = _login(client, meter)
    sqs = boto3.client("sqs")
    queues = {name: stack[name] for name in ("WarehouseQueue", "CarrierQueue")}

    def drain(name: str) -> None:
        """A WMS/carrier integration long-polls its queue: at these rates one receive brings one
        message, which it deletes. (Its empty long polls, 20 s each, are per queue, ~130 k a
        month whatever the volume, not per order; polling until empty here would bill one empty
        receive per order that no integration makes.)"""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            meter._local.ignore = True  # has it arrived? (the long poll's wait, uncounted)
            waiting = sqs.get_queue_attributes(
                QueueUrl=queues[name], AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            meter._local.ignore = False
            if waiting == "0":
                time.sleep(0.05)
                continue
            messages = sqs.receive_message(QueueUrl=queues[name], MaxNumberOfMessages=1).get("Messages", [])
            for m in messages:
                sqs.delete_message(QueueUrl=queues[name], ReceiptHandle=m["ReceiptHandle"])
            return
        raise TimeoutError(f"nothing arrived in {name}")

    def wait(order_id: str, status: str) -> None:
        """Poll from this thread only, uncounted: the executions run (and are counted) elsewhere."""
        meter._local.ignore = True
        try:
            wait_for_status(admin, order_id, {status})
        finally:
            meter._local.ignore = False

    meter.enabled = True
    extra.start()
    for i in range(N_ORDERS):
        order = admin.post(
            "/orders",
            order_body(customer_email=f"cost{i}@example.com"),
            headers={"Idempotency-Key": f"cost-{i}"},
        ).body
        wait(order["id"], "SOURCED")
        drain("WarehouseQueue")
        extra.after_step()
        for event, status in (
            ({"type": "PICKING"}, "PICKING"),
            ({"type": "PACKING"}, "PACKING"),
            ({"type": "READY_TO_SHIP"}, "READY_TO_SHIP"),
            ({"type": "SHIPPED", "carrier": "UPS", "tracking_number": f"1Z{i}"}, "SHIPPED"),
            ({"type": "OUT_FOR_DELIVERY"}, "OUT_FOR_DELIVERY"),
            ({"type": "DELIVERED"}, "DELIVERED"),
        ):
            if extra.before(i, status):  # a late callback: the clock moved past its deadline
                admin = _login(client, meter)
            reply = admin.post(f"/orders/{order['id']}/fulfillment-events", event)
            assert reply.status in (200, 202), reply
            wait(order["id"], status)
            if status == "READY_TO_SHIP":
                drain("CarrierQueue")  # sent by the execution after the status write
            extra.after_step()
        extra.after_order()
    _drive_events(stack, meter, seeded)
    # the learning loop's scheduled jobs, once for these orders (hourly and 4-hourly in AWS)
    for job in ("label_outcomes", "update_node_performance"):
        outcome = stack.invoke("LearningFunction", {"job": job, "tenant_id": "demo"})
        assert not outcome.errored, outcome.payload
    extra.finish()
    meter.enabled = False


def _stock_changes_so_far(stack: Any) -> set[str]:
    from tests.component.helpers import stream_records

    return {r["dynamodb"]["SequenceNumber"] for r in stream_records(stack, table="InventoryTable")}


def _drive_events(stack: Any, meter: Meter, seeded: Set[str] = frozenset()) -> None:
    """The outbox as Lambda runs it: stream batches of up to 100 header changes to the publisher
    (stream reads by a Lambda trigger are free), which sends each event to the queues of the
    consumers that act on it, 10 per request; the webhook dispatcher and the connector worker take
    batches of 10. Here no webhook endpoint is subscribed and the orders are the API's own (no
    channel to tell): their events go nowhere. A webhook delivery's own cost is
    `make bench BENCH=integrations`. The projection function (the read models, ADRs 0028, 0029)
    takes the stream in batches of 100 too, through its filter: the headers and the bodies; so do
    the inventory stream's two consumers (stock alerts, channel stock sync)."""
    import boto3

    from oms.data.stream import header_from_image
    from oms.domain.events import events_from_change
    from tests.component.helpers import sqs_records, stream_records

    meter._local.ignore = True
    everything = stream_records(stack)
    meter._local.ignore = False
    records = [r for r in everything if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER"]
    projected = [r for r in everything if r["dynamodb"]["Keys"]["sk"]["S"] in ("ORDER", "BODY")]
    for r in records:  # what the outbox derives, whether or not a consumer wants it
        change = r["dynamodb"]
        old, new = header_from_image(change.get("OldImage")), header_from_image(change.get("NewImage"))
        meter.calls["domain events"] += len(events_from_change(old, new, None))
    for start in range(0, len(records), 100):
        stack.invoke("EventPublisherFunction", {"Records": records[start : start + 100]})
    for start in range(0, len(projected), 100):
        outcome = stack.invoke("ProjectionFunction", {"Records": projected[start : start + 100]})
        assert not outcome.errored and not outcome.payload["batchItemFailures"], outcome.payload
    # the inventory table's stream (ADRs 0039, 0040): its two consumers take the stock items'
    # changes (their filter: sk = ITEM; reservations and adjustments never invoke them) in batches
    # of up to 100; the stock alerts raise and resolve, the stock sync finds no syncing connector
    meter._local.ignore = True
    stock = [
        r for r in stream_records(stack, table="InventoryTable") if r["dynamodb"]["Keys"]["sk"]["S"] == "ITEM"
    ]
    meter._local.ignore = False
    for consumer in ("StockAlertsFunction", "StockSyncFunction"):
        for start in range(0, len(stock), 100):
            outcome = stack.invoke(consumer, {"Records": stock[start : start + 100]})
            assert not outcome.errored and not outcome.payload["batchItemFailures"], outcome.payload
    sqs = boto3.client("sqs")
    for queue, consumer in (
        ("WebhookQueue", "WebhookDispatcherFunction"),
        ("ConnectorQueue", "ConnectorWorkerFunction"),
    ):
        url = stack[queue]
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not messages:
                break
            stack.invoke(consumer, {"Records": sqs_records(stack, queue, messages)})
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


def run() -> list[dict[str, Any]]:
    from radar_cost import Breakdown

    from infra.local.testing import deployed_template, wait_for_executions
    from oms.domain.clock import use_clock

    with deployed_template() as stack:
        from oms.demo import seed_demo_data

        seed_demo_data()
        meter = Meter()  # after the mock started: it reads moto's live backend
        meter.install()
        extra = Breakdown(stack, meter, N_ORDERS)  # counts (and takes out) the radar's, Invoice Guard's
        extra.install()
        try:
            with use_clock(extra.clock):
                _drive(stack, meter, extra, _stock_changes_so_far(stack))
                wait_for_executions(10)
                radar_figures = extra.figures()
            email_figures, email_per_1m = _email_cost(meter)
        finally:
            extra.uninstall()

    n = N_ORDERS
    per = {k: v / n for k, v in meter.calls.items()}
    api_requests = meter.lambda_runs["ApiFunction"] / n
    executions = meter.calls["stepfunctions:StartExecution"] / n
    invocations = sum(meter.lambda_runs.values()) / n
    gb = 256 / 1024
    lambda_gb_s = (
        sum(
            (meter.lambda_ms[f] + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls[f]) / 1000 * gb
            for f in meter.lambda_runs
        )
        / n
    )
    task_ms = (
        meter.lambda_ms["FulfilmentTaskFunction"]
        + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls["FulfilmentTaskFunction"]
    ) / n
    per_execution_ms = task_ms / executions + 50 if executions else 0
    express_gb_s = executions * math.ceil(per_execution_ms / 100) * 0.1 * (64 / 1024)
    sqs = sum(v for k, v in per.items() if k.startswith("sqs:"))
    wu = (meter.dynamo.wu + meter.dynamo.gsi_wu) / n
    ru = meter.dynamo.ru / n
    logs_gb = invocations * LOG_KB_PER_INVOCATION / 1024 / 1024

    cost = {
        "Lambda requests": invocations * PRICES["lambda_request"],
        "Lambda duration": lambda_gb_s * PRICES["lambda_gb_s"],
        "HTTP API": api_requests * PRICES["http_api_request"],
        "DynamoDB writes": wu * PRICES["ddb_wu"],
        "DynamoDB reads": ru * PRICES["ddb_ru"],
        "Step Functions Express": executions * PRICES["express_execution"]
        + express_gb_s * PRICES["express_gb_s"],
        "SQS": sqs * PRICES["sqs_request"],
        "CloudWatch Logs": logs_gb * PRICES["logs_gb"],
    }
    total = sum(cost.values()) * 1e6
    learning = _learning_cost(meter, n)
    read_models = _read_models_cost(meter, n)

    print(f"  per order, averaged over {n} orders taken to DELIVERED:")
    for key, value in sorted(per.items()):
        print(f"    {key:<40} {value:6.2f}")
    for fn in sorted(meter.lambda_runs):
        runs = meter.lambda_runs[fn] / n
        ms = meter.lambda_ms[fn] / max(meter.lambda_runs[fn], 1)
        print(f"    lambda {fn:<33} {runs:6.2f} runs, {ms:6.1f} ms each in-process")
    print(
        f"    DynamoDB write units {meter.dynamo.wu / n:6.1f} table + {meter.dynamo.gsi_wu / n:4.1f} index;"
        f" read units {ru:5.1f}"
    )
    print("    write units by record kind:", {k: round(v / n, 1) for k, v in meter.dynamo.wu_by_kind.items()})
    print("  list-price cost per 1M orders:")
    for key, value in cost.items():
        print(f"    {key:<24} ${value * 1e6:8.2f}")
    return [
        figure(
            "cost per 1M orders (list price)",
            total - learning - read_models,
            "$",
            target=45,
            note="the order's life; naive design ~ $347; see the breakdown above",
        ),
        figure(
            "learning loop adds per 1M orders",
            learning,
            "$",
            target=3,
            note="outcome records, the learning queue, labels and node metrics",
        ),
        figure("read models add per 1M orders", read_models, "$", note="projection function, batches of 100"),
        figure("cost per 1M orders with the learning loop and read models", total, "$", target=50),
        figure("Lambda invocations per order", invocations, "runs"),
        figure("Express executions per order", executions, "runs"),
        figure("Step Functions state transitions billed per order", 0, "transitions", note="Express only"),
        figure("DynamoDB write units per order", wu, "WU"),
        figure("DynamoDB read units per order", ru, "RU"),
        figure("SQS requests per order", sqs, "requests"),
        figure("HTTP API requests per order", api_requests, "requests"),
        figure("domain events per order", per.get("domain events", 0), "events"),
        *radar_figures,
        figure(
            "cost per 1M orders with email on",
            total + email_per_1m,
            "$",
            note="the line above plus the 3 customer emails of a delivered order (SES priced)",
        ),
        *email_figures,
    ]


def _email_cost(meter: Meter) -> tuple[list[dict[str, Any]], float]:
    """What customer email adds per 1M orders (ADR 0036): the default workflow's 3 email actions
    of a delivered order (confirmation, shipped, delivered; a cancelled order has 2). Each action
    runs for real through the actions worker's `handle` (its effect-once claim, then
    `send_order_email` into moto's SES) and is metered: its DynamoDB units (the action claim,
    branding, template, opt-out and suppression reads, the email log claim and its outcome) and
    its SES call; the ActionsQueue message costs 2 more SQS requests (receive, delete: the
    publisher's send is in the order's figure) and one worker invocation of the measured time
    (+6 ms per AWS call). SES is priced at $0.10 per 1,000 emails (not in reference.md)."""
    from oms.domain.workflow_actions import ActionMessage
    from oms.services import actions
    from oms.services.context import repos

    meter._local.ignore = True
    ids, _ = repos.orders.page_ids(
        "demo", status=None, email=None, created_from=None, created_to=None, limit=N_ORDERS, cursor=None
    )
    meter._local.ignore = False
    # measured apart: the order's figures above must not include it (restored below)
    saved = (
        meter.dynamo.wu, meter.dynamo.gsi_wu, meter.dynamo.ru,
        Counter(meter.dynamo.wu_by_kind), Counter(meter.calls), Counter(meter.lambda_aws_calls),
    )  # fmt: skip
    before_units = (meter.dynamo.wu + meter.dynamo.gsi_wu, meter.dynamo.ru)
    before_calls = sum(meter.calls.values())
    before_ses = meter.calls["sesv2:SendEmail"]
    meter.enabled = True
    started = time.perf_counter()
    sent = 0
    for order_id in ids:
        for n, template in enumerate(EMAILS_PER_ORDER):
            message = ActionMessage(
                tenant_id="demo",
                order_id=order_id,
                seq=900 + n,  # not an entry the order has: a new effect key, sent again
                status_code="BENCH",
                action_id=f"bench-{template}",
                type="email",
                config={"template": template},
            )
            outcome = actions.handle(message)
            assert outcome == "SENT", outcome
            sent += 1
    elapsed_ms = (time.perf_counter() - started) * 1000
    meter.enabled = False
    per_email_wu = (meter.dynamo.wu + meter.dynamo.gsi_wu - before_units[0]) / sent
    per_email_ru = (meter.dynamo.ru - before_units[1]) / sent
    per_email_calls = (sum(meter.calls.values()) - before_calls) / sent
    assert meter.calls["sesv2:SendEmail"] - before_ses == sent
    meter.dynamo.wu, meter.dynamo.gsi_wu, meter.dynamo.ru = saved[0], saved[1], saved[2]
    meter.dynamo.wu_by_kind, meter.calls, meter.lambda_aws_calls = saved[3], saved[4], saved[5]
    worker_gb_s = (elapsed_ms / sent + NETWORK_MS_PER_AWS_CALL * per_email_calls) / 1000 * (256 / 1024)
    per_email = (
        PRICES["ses_email"]
        + per_email_wu * PRICES["ddb_wu"]
        + per_email_ru * PRICES["ddb_ru"]
        + 2 * PRICES["sqs_request"]
        + PRICES["lambda_request"]
        + worker_gb_s * PRICES["lambda_gb_s"]
        + LOG_KB_PER_INVOCATION / 1024 / 1024 * PRICES["logs_gb"]
    )
    per_order = per_email * len(EMAILS_PER_ORDER)
    print(
        f"  email: {per_email_wu:.1f} WU, {per_email_ru:.1f} RU, {per_email_calls:.1f} AWS calls per email;"
        f" SES ${PRICES['ses_email'] * 1e6 * len(EMAILS_PER_ORDER):.2f}"
        f" of ${per_order * 1e6:.2f} per 1M orders"
    )
    return [
        figure(
            "email on: adds per 1M orders",
            per_order * 1e6,
            "$",
            note=f"{len(EMAILS_PER_ORDER)} emails per order; SES at $0.10 per 1,000 (not in reference.md)",
        ),
        figure("DynamoDB write units per email", per_email_wu, "WU"),
    ], per_order * 1e6


def _learning_cost(meter: Meter, n: int) -> float:
    """What the learning loop adds per 1M orders: the decision's outcome records, the learning
    queue's requests (the outbox's sends, the label job's receives and deletes), and the jobs'
    own DynamoDB units and run time (they run on schedules, a few hundred times a month)."""
    job = "LearningFunction"
    wu, ru = meter.units_by_function[job]
    outcome_wu = meter.dynamo.wu_by_kind.get("OUTCOME", 0.0)
    ms = meter.lambda_ms[job] + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls[job]
    per_order = (
        (outcome_wu + wu) * PRICES["ddb_wu"]
        + ru * PRICES["ddb_ru"]
        + meter.learning_sqs * PRICES["sqs_request"]
        + ms / 1000 * (512 / 1024) * PRICES["lambda_gb_s"]
    ) / n
    print(
        f"  learning loop per order: {outcome_wu / n:.1f} WU outcome records, {wu / n:.1f} WU and"
        f" {ru / n:.1f} RU by the jobs, {meter.learning_sqs / n:.2f} learning-queue requests"
    )
    return per_order * 1e6


def _read_models_cost(meter: Meter, n: int) -> float:
    """What the read models kept from the orders stream add per 1M orders (ADRs 0028, 0029): the
    projection function's runs, time and logs, and its DynamoDB units in the insights table."""
    fn = "ProjectionFunction"
    wu, ru = meter.units_by_function[fn]
    runs = meter.lambda_runs[fn]
    ms = meter.lambda_ms[fn] + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls[fn]
    per_order = (
        wu * PRICES["ddb_wu"]
        + ru * PRICES["ddb_ru"]
        + runs * PRICES["lambda_request"]
        + ms / 1000 * (256 / 1024) * PRICES["lambda_gb_s"]
        + runs * LOG_KB_PER_INVOCATION / 1024 / 1024 * PRICES["logs_gb"]
    ) / n
    print(f"  read models per order: {wu / n:.2f} WU, {ru / n:.2f} RU, {runs / n:.2f} projection runs")
    return per_order * 1e6
