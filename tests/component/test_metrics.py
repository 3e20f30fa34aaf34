"""Business metrics as EMF documents on stdout (namespace Cirrus): orders created (by channel) and
backordered, with bounded dimensions and the tenant as a property; the AI-call helper's shape."""

from __future__ import annotations

import json
from typing import Any

from tests.component.helpers import order_body, wait_for_status


def emf(out: str, metric: str) -> list[dict[str, Any]]:
    docs = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            doc = json.loads(line)
            [directive] = doc["_aws"]["CloudWatchMetrics"]
            if directive["Namespace"] == "Cirrus" and metric in {m["Name"] for m in directive["Metrics"]}:
                docs.append(doc)
    return docs


def test_an_order_created_and_backordered_is_counted_once_each(admin, capsys):
    capsys.readouterr()
    order = admin.post("/orders", order_body(line_items=[{"sku": "SKU-TOOL-Z", "quantity": 100000}])).body
    wait_for_status(admin, order["id"], {"BACKORDERED"})
    out = capsys.readouterr().out
    [created] = emf(out, "OrdersCreated")
    assert (
        created["OrdersCreated"] == [1.0] and created["channel"] == "WEB" and created["tenant_id"] == "demo"
    )
    [dimensions] = created["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert sorted(dimensions) == ["channel", "service"]  # bounded sets only: never the tenant
    [backordered] = emf(out, "OrdersBackordered")
    assert backordered["OrdersBackordered"] == [1.0] and backordered["service"] == "cirrus-oms"
    assert backordered["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]

    # the same request again (same external id): no new order, nothing counted
    replay = admin.post(
        "/orders", order_body(line_items=[{"sku": "SKU-TOOL-Z", "quantity": 1}], external_order_id="m-1")
    )
    admin.post(
        "/orders", order_body(line_items=[{"sku": "SKU-TOOL-Z", "quantity": 1}], external_order_id="m-1")
    )
    assert replay.status == 201
    assert len(emf(capsys.readouterr().out, "OrdersCreated")) == 1


def test_the_ai_call_helper_emits_calls_tokens_and_latency(stack, capsys):
    from oms.adapters import metrics

    metrics.ai_call(
        "claude-x", "ok", input_tokens=1200, output_tokens=300, latency_ms=850.0, tenant_id="demo"
    )
    [doc] = emf(capsys.readouterr().out, "AiCalls")
    assert doc["AiCalls"] == [1.0] and doc["AiInputTokens"] == [1200.0] and doc["AiOutputTokens"] == [300.0]
    assert doc["AiLatency"] == [850.0] and doc["model"] == "claude-x" and doc["outcome"] == "ok"
    units = {m["Name"]: m["Unit"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units["AiLatency"] == "Milliseconds" and units["AiCalls"] == "Count"


def test_a_metric_that_cannot_be_made_is_logged_not_raised(stack, capsys, caplog):
    from oms.adapters import metrics

    metrics.emit({"Broken": (1, "NotAUnit")})
    assert emf(capsys.readouterr().out, "Broken") == []
    assert "metric Broken not emitted" in caplog.text
