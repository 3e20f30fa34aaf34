"""Stock alerts in the deployed template (ADR 0039): stock adjusted over HTTP below its reorder
level, to zero and back; the inventory stream's records fed to StockAlertsFunction as Lambda's
mapping would; the alerts and counts of `GET /inventory/alerts`; the events signed to a subscribed
webhook (through WebhookQueue and the dispatcher); a redelivered batch raising nothing new; the
hourly scan catching a reorder level changed while nobody consumed the stream. Every AWS call is
checked against the function's role."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.clock import epoch
from oms.domain.webhooks import verify_signature
from tests.component import iam_audit
from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable
from tests.component.helpers import sqs_records, stream_records
from tests.fakes import Receiver

EVENTS = ["inventory.low_stock", "inventory.out_of_stock", "inventory.restocked"]


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    parameters = {"WebhookAllowInsecureTargets": "true", "WebhookRetrySeconds": "1,1,1"}
    with (
        deployed_template(parameters=parameters, extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}) as resources,
        iam_audit.enforced(resources),
    ):
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture(scope="module")
def admin(stack: Any) -> ApiClient:
    anon = ApiClient(_api_callable(stack))
    reply = anon.post("/auth/login", {"email": "admin@example.com", "password": "admin123"})
    return anon.with_token(reply.body["access_token"])


@pytest.fixture(scope="module")
def node(admin: ApiClient) -> dict[str, Any]:
    return dict(admin.get("/nodes").body["items"][0])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


class Consumer:
    """Feeds the inventory stream to the stock alerts function from where it last stopped."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.seen = 0
        self.last: list[dict[str, Any]] = []

    def skip(self) -> None:
        self.seen = len(stream_records(self.stack, "InventoryTable"))

    def pump(self, records: list[dict[str, Any]] | None = None) -> None:
        if records is None:
            every = stream_records(self.stack, "InventoryTable")
            records, self.seen = every[self.seen :], len(every)
            self.last = records
        if not records:
            return
        result = self.stack.invoke("StockAlertsFunction", {"Records": records})
        assert not result.errored, result.payload
        assert result.payload == {"batchItemFailures": []}, result.payload


def new_item(admin: ApiClient, node: dict[str, Any], on_hand: int, reorder_level: int) -> dict[str, Any]:
    sku = f"SKU-ALERT-{uuid.uuid4().hex[:8].upper()}"
    body = {"node_id": node["id"], "sku": sku, "product_name": "Alert Widget", "on_hand": on_hand,
            "reorder_level": reorder_level}  # fmt: skip
    reply = admin.post("/inventory", body)
    assert reply.status == 201, reply
    return dict(reply.body)


def adjust(admin: ApiClient, item: dict[str, Any], delta: int) -> None:
    reply = admin.post(f"/inventory/{item['id']}/adjust", {"delta": delta, "reason": "CYCLE_COUNT"})
    assert reply.status == 200, reply


def alerts_of(admin: ApiClient, sku: str, query: str = "") -> list[dict[str, Any]]:
    reply = admin.get(f"/inventory/alerts?limit=200{query}" + (f"&sku={sku}" if sku else ""))
    assert reply.status == 200, reply
    return list(reply.body["items"])


def dispatch(stack: Any) -> int:
    """Run the dispatcher on the events in WebhookQueue, then on the deliveries they queued;
    how many deliveries were attempted."""
    sqs = boto3.client("sqs")
    for queue in ("WebhookQueue", "WebhookRetryQueue"):
        count = 0
        while True:
            messages = sqs.receive_message(QueueUrl=stack[queue], MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            count += len(messages)
            for m in messages:
                sqs.delete_message(QueueUrl=stack[queue], ReceiptHandle=m["ReceiptHandle"])
            records = sqs_records(stack, queue, [m["Body"] for m in messages])
            assert not stack.invoke("WebhookDispatcherFunction", {"Records": records}).errored
    return count


def test_stock_crossing_its_levels_raises_escalates_resolves_and_signs_the_events(
    stack: Any, admin: ApiClient, node: dict[str, Any], receiver: Receiver
) -> None:
    consumer = Consumer(stack)
    consumer.pump()  # whatever the seed wrote: its items, their alerts
    dispatch(stack)
    endpoint = admin.post("/webhooks/endpoints", {"url": receiver.url, "event_types": EVENTS})
    assert endpoint.status == 201, endpoint
    try:
        item = new_item(admin, node, on_hand=20, reorder_level=5)
        sku = item["sku"]
        adjust(admin, item, -16)  # 4 left: LOW_STOCK
        consumer.pump()
        (low,) = alerts_of(admin, sku)
        assert (low["kind"], low["state"], low["available"], low["reorder_level"]) == (
            "LOW_STOCK",
            "OPEN",
            4,
            5,
        )
        assert low["node_id"] == node["id"] and low["node_code"] == node["code"] and low["source"] == "stream"
        assert low["product_name"] == "Alert Widget" and low["resolved_at"] is None and low["raised_at"]
        counts = admin.get("/inventory/alerts?state=OPEN&limit=1").body["counts"]
        assert counts["low_stock"] >= 1

        adjust(admin, item, -4)  # 0: OUT_OF_STOCK, the same alert escalated
        consumer.pump()
        (out,) = alerts_of(admin, sku)
        assert (out["id"], out["kind"], out["available"]) == (low["id"], "OUT_OF_STOCK", 0)
        assert alerts_of(admin, sku, "&kind=LOW_STOCK") == []
        assert (
            admin.get("/inventory/alerts?limit=1").body["counts"]["out_of_stock"]
            == counts.get("out_of_stock", 0) + 1
        )
        again = list(consumer.last)

        adjust(admin, item, 30)  # back: resolved, kept as history
        consumer.pump()
        assert alerts_of(admin, sku, "&state=OPEN") == []
        (resolved,) = alerts_of(admin, sku, "&state=RESOLVED")
        assert (resolved["id"], resolved["state"], resolved["available"]) == (low["id"], "RESOLVED", 30)
        assert resolved["resolved_at"] and resolved["kind"] == "OUT_OF_STOCK"

        assert dispatch(stack) == 3
        # the dispatcher attempts a batch's deliveries side by side: in transition order by sequence
        hooks = sorted(
            (json.loads(r["body"]) for r in receiver.requests), key=lambda h: h["data"]["sequence"]
        )
        assert [h["type"] for h in hooks] == EVENTS
        secret = endpoint.body["secret"]
        for request in receiver.requests:
            headers = request["headers"]
            signature, stamp = headers["X-OMS-Signature"], headers["X-OMS-Timestamp"]
            assert verify_signature(secret, signature, stamp, request["body"], epoch())
        data = hooks[0]["data"]["data"]
        assert hooks[0]["data"]["order_id"] == "" and hooks[0]["data"]["actor"] == "system:stock-alerts"
        assert data == {
            "alert_id": low["id"],
            "sku": sku,
            "node_id": node["id"],
            "product_name": "Alert Widget",
            "kind": "LOW_STOCK",
            "available": 4,
            "reorder_level": 5,
            "raised_at": low["raised_at"],
        }
        assert len({h["id"] for h in hooks}) == 3

        # redelivered batches (the out-of-stock one, then everything): nothing raised, nothing sent
        consumer.pump(again)
        consumer.pump(stream_records(stack, "InventoryTable"))
        assert alerts_of(admin, sku, "&state=OPEN") == []
        assert len(alerts_of(admin, sku, "&state=RESOLVED")) == 1
        assert dispatch(stack) == 0
        assert len(receiver.requests) == 3
    finally:
        admin.delete(f"/webhooks/endpoints/{endpoint.body['id']}")


def test_the_scan_catches_a_reorder_level_changed_while_the_stream_was_not_consumed(
    stack: Any, admin: ApiClient, node: dict[str, Any]
) -> None:
    consumer = Consumer(stack)
    consumer.pump()
    item = new_item(admin, node, on_hand=8, reorder_level=2)
    reply = admin.call("PATCH", f"/inventory/{item['id']}", {"reorder_level": 10})
    assert reply.status == 200, reply
    consumer.skip()  # those records are lost to the consumer
    assert alerts_of(admin, item["sku"]) == []

    result = stack.invoke("StockAlertsFunction", {"job": "scan_stock_alerts"})
    assert not result.errored, result.payload
    assert result.payload["complete"] and result.payload["raised"] >= 1
    (alert,) = alerts_of(admin, item["sku"])
    assert (alert["kind"], alert["state"], alert["source"], alert["available"]) == (
        "LOW_STOCK",
        "OPEN",
        "scan",
        8,
    )

    # the stream's records of the same writes, delivered late, and a second scan: nothing new
    consumer.pump(stream_records(stack, "InventoryTable"))
    again = stack.invoke("StockAlertsFunction", {"job": "scan_stock_alerts"}).payload
    assert again["raised"] == 0 and again["resolved"] == 0
    assert alerts_of(admin, item["sku"]) == [alert]
    dispatch(stack)


def test_bad_filters_and_cursors_are_422(stack: Any, admin: ApiClient) -> None:
    for query in ("state=CLOSED", "kind=EMPTY", "limit=0", "cursor=RESOLVED:not-a-cursor", "cursor=nope:x"):
        reply = admin.get(f"/inventory/alerts?{query}")
        assert reply.status == 422, (query, reply)
        assert reply.body["error"]["code"] == "validation_failed", reply
    listing = admin.get("/inventory/alerts?state=OPEN&limit=1")
    assert listing.status == 200 and set(listing.body) == {"items", "next_cursor", "counts"}


def test_an_event_whose_send_failed_is_sent_on_the_retry_with_the_same_id(
    stack: Any, admin: ApiClient, node: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.domain.errors import TransientStoreError
    from oms.services import stock_alerts

    consumer = Consumer(stack)
    consumer.pump()
    dispatch(stack)
    item = new_item(admin, node, on_hand=3, reorder_level=1)
    adjust(admin, item, -3)  # out of stock
    records = stream_records(stack, "InventoryTable")[consumer.seen :]

    def unavailable(url: str, body: dict[str, Any], delay_seconds: float = 0) -> None:
        raise TransientStoreError("SQS is unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(stock_alerts.queues, "send", unavailable)
        result = stack.invoke("StockAlertsFunction", {"Records": records})
    (failure,) = result.payload["batchItemFailures"]  # the batch goes on from the failed record
    assert failure["itemIdentifier"] in {r["dynamodb"]["SequenceNumber"] for r in records}
    (stored,) = alerts_of(admin, item["sku"])  # the alert is stored, its event pending
    assert stored["kind"] == "OUT_OF_STOCK"

    consumer.pump(records)  # Lambda retries: the pending event is sent, nothing raised again
    consumer.pump(records)
    sqs = boto3.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=stack["WebhookQueue"], MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for m in messages:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=stack["WebhookQueue"], ReceiptHandle=m["ReceiptHandle"])
    mine = [b for b in bodies if b["data"]["sku"] == item["sku"]]
    assert [b["type"] for b in mine] == ["inventory.out_of_stock"]
    assert mine[0]["data"]["alert_id"] == stored["id"]
    assert alerts_of(admin, item["sku"]) == [stored]


def webhook_queue_events(stack: Any, sku: str) -> list[dict[str, Any]]:
    sqs, bodies = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=stack["WebhookQueue"], MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for m in messages:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=stack["WebhookQueue"], ReceiptHandle=m["ReceiptHandle"])
    return sorted((b for b in bodies if b["data"]["sku"] == sku), key=lambda b: b["sequence"])


def test_one_batch_with_every_crossing_of_an_item_makes_each_transition_once(
    stack: Any, admin: ApiClient, node: dict[str, Any]
) -> None:
    consumer = Consumer(stack)
    consumer.pump()
    dispatch(stack)
    item = new_item(admin, node, on_hand=20, reorder_level=5)
    for delta in (-16, -4, 2, 30):  # low, out, low again, back
        adjust(admin, item, delta)
    consumer.pump()  # one batch, every record of the item in it
    events = webhook_queue_events(stack, item["sku"])
    assert [e["type"] for e in events] == [
        "inventory.low_stock",
        "inventory.out_of_stock",
        "inventory.low_stock",
        "inventory.restocked",
    ]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4] and len({e["event_id"] for e in events}) == 4
    (resolved,) = alerts_of(admin, item["sku"])
    assert (resolved["state"], resolved["kind"], resolved["available"]) == ("RESOLVED", "LOW_STOCK", 32)


def test_the_listing_pages_through_open_then_resolved_alerts(
    stack: Any, admin: ApiClient, node: dict[str, Any]
) -> None:
    consumer = Consumer(stack)
    consumer.pump()
    for on_hand in (1, 2, 0):
        new_item(admin, node, on_hand=on_hand, reorder_level=3)
    gone = new_item(admin, node, on_hand=1, reorder_level=3)
    adjust(admin, gone, 10)
    consumer.pump()
    dispatch(stack)
    everything = alerts_of(admin, "", "")  # no sku filter: every alert of the tenant
    assert len(everything) >= 4 and {"OPEN", "RESOLVED"} <= {a["state"] for a in everything}
    states = [a["state"] for a in everything]
    assert states == sorted(states, key=lambda s: s != "OPEN")  # OPEN first, then RESOLVED
    seen, cursor = [], None
    while True:
        query = "/inventory/alerts?limit=2" + (f"&cursor={cursor}" if cursor else "")
        reply = admin.get(query)
        assert reply.status == 200, reply
        seen += reply.body["items"]
        cursor = reply.body["next_cursor"]
        if not cursor:
            break
    assert [(a["id"], a["state"]) for a in seen] == [(a["id"], a["state"]) for a in everything]


def test_the_scan_does_bounded_work_and_goes_on_where_it_stopped(stack: Any, admin: ApiClient) -> None:
    from oms.services import stock_alerts

    total = sum(
        1 for t in stock_alerts.repos.directory.tenant_ids() for _ in stock_alerts.repos.stock.all_ids(t)
    )
    assert total > 6
    first = stock_alerts.scan(max_items=3, page_size=2)  # stops after the page that reaches 3
    assert first["items"] == 4 and not first["complete"]
    seen, runs = first["items"], 1
    while not (run := stock_alerts.scan(max_items=3, page_size=2))["complete"]:
        seen, runs = seen + run["items"], runs + 1
    seen += run["items"]
    assert seen == total and runs > 1  # every item once over the runs of one pass
    assert stock_alerts.scan()["items"] == total  # the next pass starts from the beginning
    assert stock_alerts.scan(out_of_time=lambda: True)["items"] == 0


def test_the_stream_and_the_scan_racing_on_an_item_raise_its_alert_once(
    stack: Any, admin: ApiClient, node: dict[str, Any]
) -> None:
    from oms.data.stock_alerts import StockAlertRepository
    from oms.domain.stock_alerts import Look, Transition, decide
    from oms.services import stock_alerts

    item = new_item(admin, node, on_hand=0, reorder_level=2)  # out of stock from its creation
    ids = {"tenant_id": "demo", "item_id": item["id"], "node_id": node["id"], "sku": item["sku"]}
    level = {
        "product_name": None,
        "available": 0,
        "reorder_level": 2,
        "version": 1,
        "at": "2026-01-01T00:00:00Z",
    }
    by_scan = Look(**ids, **level, source="scan")
    by_stream = Look(**ids, **level, source="stream", sequence="7")
    # both read "no alert yet" and decide to raise; the conditional write lets one through
    first, second = decide(None, by_scan), decide(None, by_stream)
    assert first.transition == second.transition == Transition.RAISED
    repo = StockAlertRepository()
    assert first.alert is not None and second.alert is not None
    assert repo.save(first.alert, None) is True
    assert repo.save(second.alert, None) is False
    # the loser, through the service, reads again: its look is not newer, nothing is raised
    assert stock_alerts.apply(by_stream, None).transition is None
    (alert,) = alerts_of(admin, item["sku"])
    assert (alert["source"], alert["kind"]) == ("scan", "OUT_OF_STOCK")
    events = webhook_queue_events(stack, item["sku"])  # the winner's pending event, sent once
    assert [e["type"] for e in events] == ["inventory.out_of_stock"]
