"""Workflows as data (ADR 0035): the tenant's workflow through the API (versions, rollback,
validation), a custom status driving a real order through the API and callbacks, events carrying
the status code and the phase, and per-status actions taking effect once on a redelivered
message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from oms.domain.workflow_graph import default_doc
from tests.component.helpers import drain, order_body, sqs_records, stream_records, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")
SOMEWHERE = "https://93.184.216.34/hooks"  # public: registers without a resolver; never called here
SHIPPED = {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z-WF"}


def quality_check_doc(actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The built-in lifecycle with QUALITY_CHECK (phase PICKING) between PICKING and PACKING."""
    doc = default_doc().dump()
    doc["statuses"].append(
        {"code": "QUALITY_CHECK", "name": "Quality check", "color": "#aa5500", "phase": "PICKING"}
    )
    doc["transitions"] = [t for t in doc["transitions"] if (t["from"], t["to"]) != ("PICKING", "PACKING")]
    doc["transitions"] += [
        {"from": "PICKING", "to": "QUALITY_CHECK"},
        {"from": "QUALITY_CHECK", "to": "PACKING"},
        {"from": "QUALITY_CHECK", "to": "CANCELLED"},
    ]
    doc["actions"] = [*doc["actions"], *(actions or [])]
    return doc


@pytest.fixture
def workflow_restored(admin: Any) -> Iterator[None]:
    """Every test leaves the demo tenant on the built-in workflow (as a new version)."""
    yield
    if admin.get("/workflow").body["version"] != 0:
        reply = admin.post("/workflow/rollback", {"version": 0})
        assert reply.status == 200, reply


def _put(admin: Any, doc: dict[str, Any]) -> dict[str, Any]:
    reply = admin.call("PUT", "/workflow", doc)
    assert reply.status == 200, reply
    return dict(reply.body)


def _callback(admin: Any, order_id: str, event: dict[str, Any]) -> Any:
    return admin.post(f"/orders/{order_id}/fulfillment-events", event)


@pytest.mark.usefixtures("workflow_restored")
def test_put_get_versions_rollback_and_validation(admin, user):
    first = admin.get("/workflow").body
    assert first["version"] == 0 and len(first["statuses"]) == 20 and first["updated_by"] is None
    put = _put(admin, {**quality_check_doc(), "expected_version": first["version"]})
    version = put["version"]
    assert version >= 1 and put["updated_by"].startswith("user:")
    got = admin.get("/workflow").body
    assert got["version"] == version and "QUALITY_CHECK" in {s["code"] for s in got["statuses"]}
    # an edit over a version that is no longer the current one loses
    stale = admin.call("PUT", "/workflow", {**quality_check_doc(), "expected_version": version - 1})
    assert stale.status == 409 and stale.body["error"]["code"] == "workflow_changed"
    # a workflow with problems is refused, every problem named
    broken = quality_check_doc()
    broken["transitions"].append({"from": "PENDING", "to": "SHIPPED"})
    broken["statuses"] = [s for s in broken["statuses"] if s["code"] != "PICKING"]
    refused = admin.call("PUT", "/workflow", broken)
    assert refused.status == 422 and refused.body["error"]["code"] == "invalid_workflow"
    problems = {p["problem"] for p in refused.body["error"]["details"]}
    assert {"skips_stock_work", "missing_anchor", "unknown_status"} <= problems
    assert admin.get("/workflow").body["version"] == version  # nothing stored
    # badges for everyone; the editable document only for admins
    badges = user.get("/workflow/statuses").body
    assert {
        "code": "QUALITY_CHECK",
        "name": "Quality check",
        "color": "#aa5500",
        "phase": "PICKING",
        "terminal": False,
    } in badges["statuses"]
    assert user.get("/workflow").status == 403
    # rollback: the previous version back, as a new version
    back = admin.post("/workflow/rollback", {}).body
    assert back["version"] == version + 1 and len(back["statuses"]) == 20
    listed = [v["version"] for v in admin.get("/workflow/versions").body["items"]]
    assert listed[:2] == [version + 1, version] and listed[-1] == 0
    again = admin.post("/workflow/rollback", {"version": version}).body
    assert again["version"] == version + 2 and "QUALITY_CHECK" in {s["code"] for s in again["statuses"]}
    missing = admin.post("/workflow/rollback", {"version": 999})
    assert missing.status == 404 and missing.body["error"]["code"] == "workflow_version_not_found"


@pytest.mark.usefixtures("workflow_restored")
def test_a_custom_status_drives_a_real_order_and_events_carry_code_and_phase(stack, admin, invoke):
    endpoint = admin.post("/webhooks/endpoints", {"url": SOMEWHERE, "event_types": ["*"]}).body
    try:
        # this tenant's carrier has no out-for-delivery scan: the status is not in its workflow
        doc = quality_check_doc()
        doc["statuses"] = [s for s in doc["statuses"] if s["code"] != "OUT_FOR_DELIVERY"]
        doc["transitions"] = [t for t in doc["transitions"] if "OUT_FOR_DELIVERY" not in (t["from"], t["to"])]
        _put(admin, doc)
        order = admin.post("/orders", order_body()).body
        assert (order["status_code"], order["phase"]) == ("PENDING", "PENDING")
        wait_for_status(admin, order["id"], {"SOURCED"})
        assert _callback(admin, order["id"], {"type": "PICKING"}).status == 200
        # a person moves it into the custom status (a phase that moves no stock)
        checked = admin.patch(f"/orders/{order['id']}/status", {"status": "QUALITY_CHECK"})
        assert checked.status == 200, checked
        assert (checked.body["status"], checked.body["status_code"], checked.body["phase"]) == (
            "PICKING",
            "QUALITY_CHECK",
            "PICKING",
        )
        # the machine's moves stay the machine's
        machine = admin.patch(f"/orders/{order['id']}/status", {"status": "NOT_A_STATUS"})
        assert machine.status == 422 and machine.body["error"]["code"] == "unknown_status"
        assert _callback(admin, order["id"], {"type": "PACKING"}).status == 200
        packed = admin.get(f"/orders/{order['id']}").body
        assert (packed["status"], packed["status_code"]) == ("PACKING", "PACKING")
        assert _callback(admin, order["id"], {"type": "READY_TO_SHIP"}).status == 202
        wait_for_status(admin, order["id"], {"READY_TO_SHIP"})
        assert _callback(admin, order["id"], SHIPPED).status == 200
        # a callback the tenant's graph refuses is refused (409, recorded), never queued
        refused = _callback(admin, order["id"], {"type": "OUT_FOR_DELIVERY"})
        assert refused.status == 409 and refused.body["error"]["code"] == "illegal_transition"
        assert refused.body["error"]["details"]["allowed"] == [
            "DELIVERED",
            "FAILED",
            "PARTIALLY_DELIVERED",
            "RETURNED",
        ]
        assert admin.get(f"/orders/{order['id']}/rejected-callbacks").body["refused_total"] == 1
        assert _callback(admin, order["id"], {"type": "DELIVERED"}).status == 200
        trail = admin.get(f"/orders/{order['id']}/events").body["items"]
        entered = next(e for e in trail if e.get("to_code") == "QUALITY_CHECK")
        assert (entered["from_code"], entered["to_status"]) == ("PICKING", "PICKING")

        drain(stack)
        mine = [r for r in stream_records(stack) if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]]
        assert invoke("EventPublisherFunction", {"Records": mine}) == {"batchItemFailures": []}
        events = [e for e in drain(stack) if e["order_id"] == order["id"]]
        custom = next(e for e in events if e["to_code"] == "QUALITY_CHECK")
        assert custom["type"] == "order.status_changed" and custom["to_status"] == "PICKING"
        assert custom["from_code"] == "PICKING"
        packing = next(e for e in events if e["type"] == "order.packing")
        assert (packing["to_code"], packing["from_code"], packing["to_status"]) == (
            "PACKING",
            "QUALITY_CHECK",
            "PACKING",
        )
        last = events[-1]
        assert (last["type"], last["status_code"], last["phase"]) == (
            "order.delivered",
            "DELIVERED",
            "DELIVERED",
        )
        assert all("status_code" in e and "phase" in e for e in events)
    finally:
        admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


def _actions_queue_messages(stack: Any) -> list[dict[str, Any]]:
    sqs, found = boto3.client("sqs"), []
    while True:
        got = sqs.receive_message(QueueUrl=stack["ActionsQueue"], MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return found
        for m in got:
            found.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=stack["ActionsQueue"], ReceiptHandle=m["ReceiptHandle"])


def _publish(stack: Any, invoke: Any, order_id: str) -> list[dict[str, Any]]:
    """The order's stream records through the outbox: the action messages it queued."""
    _actions_queue_messages(stack)
    mine = [r for r in stream_records(stack) if order_id in r["dynamodb"]["Keys"]["pk"]["S"]]
    assert invoke("EventPublisherFunction", {"Records": mine}) == {"batchItemFailures": []}
    drain(stack)
    return [m for m in _actions_queue_messages(stack) if m["order_id"] == order_id]


def _run_twice(stack: Any, invoke: Any, message: dict[str, Any]) -> None:
    """The action's message, and the same message redelivered."""
    for _ in range(2):
        records = sqs_records(stack, "ActionsQueue", [json.dumps(message)])
        assert invoke("ActionsFunction", {"Records": records}) == {"batchItemFailures": []}


def _to_delivered(admin: Any, order_id: str) -> None:
    wait_for_status(admin, order_id, {"SOURCED"})
    for event in ({"type": "PICKING"}, {"type": "PACKING"}):
        assert _callback(admin, order_id, event).status == 200
    assert _callback(admin, order_id, {"type": "READY_TO_SHIP"}).status == 202
    wait_for_status(admin, order_id, {"READY_TO_SHIP"})
    assert _callback(admin, order_id, SHIPPED).status == 200
    assert _callback(admin, order_id, {"type": "DELIVERED"}).status == 200


@pytest.mark.usefixtures("workflow_restored")
def test_webhook_and_email_actions_take_effect_once(stack, admin, invoke):
    endpoint = admin.post("/webhooks/endpoints", {"url": SOMEWHERE, "event_types": ["order.delivered"]}).body
    try:
        doc = quality_check_doc(
            [
                {
                    "id": "qc-hook",
                    "status": "QUALITY_CHECK",
                    "type": "webhook",
                    "config": {"endpoint_id": endpoint["id"]},
                },
                {
                    "id": "qc-mail",
                    "status": "QUALITY_CHECK",
                    "type": "email",
                    "config": {"template": "order_shipped"},
                },
            ]
        )
        _put(admin, doc)
        order = admin.post("/orders", order_body()).body
        wait_for_status(admin, order["id"], {"SOURCED"})
        assert _callback(admin, order["id"], {"type": "PICKING"}).status == 200
        assert admin.patch(f"/orders/{order['id']}/status", {"status": "QUALITY_CHECK"}).status == 200
        messages = _publish(stack, invoke, order["id"])
        # the default email on SOURCING (first entry), and the two actions of QUALITY_CHECK
        assert sorted(m["action_id"] for m in messages) == ["confirmation-email", "qc-hook", "qc-mail"]
        hook = next(m for m in messages if m["action_id"] == "qc-hook")
        assert (hook["status_code"], hook["type"], hook["config"]) == (
            "QUALITY_CHECK",
            "webhook",
            {"endpoint_id": endpoint["id"]},
        )
        _run_twice(stack, invoke, hook)
        deliveries = admin.get(f"/webhooks/events?endpoint_id={endpoint['id']}").body["items"]
        mine = [d for d in deliveries if d["event_type"] == "order.status_changed"]
        assert len(mine) == 1  # delivered to the endpoint although it subscribed to another type
        mail = next(m for m in messages if m["action_id"] == "qc-mail")
        _run_twice(stack, invoke, mail)
        emails = admin.get(f"/orders/{order['id']}/emails").body["items"]
        assert [e["template"] for e in emails] == ["order_shipped"]
    finally:
        admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


@pytest.mark.usefixtures("workflow_restored")
def test_adjust_inventory_actions_restock_or_write_off_once(stack, admin, invoke):
    doc = default_doc().dump()
    doc["statuses"].append({"code": "RETURNED_DAMAGED", "name": "Returned damaged", "phase": "RETURNED"})
    doc["transitions"] += [
        {"from": "DELIVERED", "to": "RETURNED_DAMAGED"},
        {"from": "RETURNED_DAMAGED", "to": "REFUNDED"},
    ]
    doc["actions"] = [
        {"id": "restock", "status": "RETURNED", "type": "adjust_inventory", "config": {"mode": "restock"}},
        {
            "id": "write-off",
            "status": "RETURNED_DAMAGED",
            "type": "adjust_inventory",
            "config": {"mode": "write_off"},
        },
    ]
    _put(admin, doc)
    body = order_body(line_items=[{"sku": "SKU-WIDGET-A", "quantity": 2}])
    returned, damaged = admin.post("/orders", body).body, admin.post("/orders", body).body
    for order in (returned, damaged):
        _to_delivered(admin, order["id"])
    item_id = admin.get(f"/orders/{returned['id']}").body["allocations"][0]["item_id"]
    before = admin.get(f"/inventory/{item_id}").body
    assert admin.patch(f"/orders/{returned['id']}/status", {"status": "RETURNED"}).status == 200
    restock = [m for m in _publish(stack, invoke, returned["id"]) if m["action_id"] == "restock"]
    assert len(restock) == 1
    _run_twice(stack, invoke, restock[0])
    after = admin.get(f"/inventory/{item_id}").body
    assert after["on_hand"] == before["on_hand"] + 2 and after["reserved"] == before["reserved"]
    moves = [m for m in after["adjustments"] if m["reference"] == f"order:{returned['order_number']}"]
    assert [(m["reason"], m["delta_on_hand"]) for m in moves if m["reason"] == "RETURNED"] == [
        ("RETURNED", 2)
    ]

    assert admin.patch(f"/orders/{damaged['id']}/status", {"status": "RETURNED_DAMAGED"}).status == 200
    write_off = [m for m in _publish(stack, invoke, damaged["id"]) if m["action_id"] == "write-off"]
    _run_twice(stack, invoke, write_off[0])
    final = admin.get(f"/inventory/{item_id}").body
    assert final["on_hand"] == after["on_hand"]  # written off: nothing back on hand
    moves = [m for m in final["adjustments"] if m["reference"] == f"order:{damaged['order_number']}"]
    assert [(m["reason"], m["delta_on_hand"]) for m in moves if m["reason"] == "DAMAGED"] == [("DAMAGED", 0)]

    # an order returned through a return (ADR 0038): its receipt put the units back on hand, so
    # the RETURNED status's restock action must not count them a second time
    rma = admin.post("/orders", body).body
    _to_delivered(admin, rma["id"])
    allocation = admin.get(f"/orders/{rma['id']}").body["allocations"][0]
    shelf = allocation["item_id"]
    delivered = admin.get(f"/inventory/{shelf}").body["on_hand"]
    line = {"sku": "SKU-WIDGET-A", "quantity": 2}
    ret = admin.post(f"/orders/{rma['id']}/returns", {"lines": [{**line, "reason": "DEFECTIVE"}]}).body
    assert admin.post(f"/returns/{ret['id']}/approve", {}).status == 200
    receipt = {"node_id": allocation["node_id"], "lines": [{**line, "condition": "SELLABLE"}]}
    assert admin.post(f"/returns/{ret['id']}/receive", receipt).status == 200
    received = admin.get(f"/inventory/{shelf}").body["on_hand"]
    assert received == delivered + 2
    assert admin.get(f"/orders/{rma['id']}").body["status"] == "RETURNED"
    again = [m for m in _publish(stack, invoke, rma["id"]) if m["action_id"] == "restock"]
    assert len(again) == 1
    _run_twice(stack, invoke, again[0])
    assert admin.get(f"/inventory/{shelf}").body["on_hand"] == received
