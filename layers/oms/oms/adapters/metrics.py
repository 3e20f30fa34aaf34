"""Business metrics as CloudWatch embedded metric format (EMF) lines, through Powertools Metrics.

Each call prints one EMF document on stdout; CloudWatch Logs turns it into metrics in the
namespace `Cirrus` (no PutMetricData call, nothing on the request's path but a print). Dimensions
are kept to bounded sets (the `service`, an order channel, a model name): a tenant id is never a
dimension (one metric per tenant would be billed per tenant) but rides along as a property, so
Logs Insights can still break a figure down by tenant.

Powertools is imported on the first emission, not at start-up: the API function does not import
it otherwise, and its cold start should not pay for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

NAMESPACE = "Cirrus"
ORDERS_CREATED = "OrdersCreated"
ORDERS_BACKORDERED = "OrdersBackordered"
WEBHOOKS_DEAD = "WebhooksDead"
AI_CALLS = "AiCalls"
AI_INPUT_TOKENS = "AiInputTokens"
AI_OUTPUT_TOKENS = "AiOutputTokens"
AI_LATENCY = "AiLatency"

log = logging.getLogger(__name__)


def emit(
    values: Mapping[str, tuple[float, str]],
    dimensions: Mapping[str, str] | None = None,
    properties: Mapping[str, Any] | None = None,
) -> None:
    """One EMF document: `values` name -> (value, unit: "Count", "Milliseconds", ...), sharing
    `dimensions` (bounded!) and carrying `properties` (searchable in the logs, not dimensions).
    A metric is never worth failing the work it describes: problems are logged and dropped."""
    try:
        from aws_lambda_powertools.metrics import EphemeralMetrics

        metrics = EphemeralMetrics(namespace=NAMESPACE)  # `service` from POWERTOOLS_SERVICE_NAME
        for dimension, label in (dimensions or {}).items():
            metrics.add_dimension(name=dimension, value=label)
        for name, (figure, unit) in values.items():
            metrics.add_metric(name=name, unit=unit, value=figure)
        for key, prop in (properties or {}).items():
            metrics.add_metadata(key=key, value=prop)
        metrics.flush_metrics()
    except Exception:  # a bad unit or dimension is a bug to log, not a reason to fail an order
        log.exception("metric %s not emitted", ",".join(values))


def count(name: str, value: float = 1, *, tenant_id: str | None = None, **dimensions: str) -> None:
    """A counter: `count(ORDERS_CREATED, channel="WEB", tenant_id=...)`."""
    emit({name: (value, "Count")}, dimensions, {"tenant_id": tenant_id} if tenant_id else None)


def ai_call(
    model: str,
    outcome: str,
    *,
    input_tokens: int = 0,
    output_tokens: int = 0,
    latency_ms: float = 0.0,
    tenant_id: str | None = None,
) -> None:
    """One call to a language model (the AI issue calls this around each request): how many,
    by model and outcome ("ok", "error", "refused", ...), with the tokens spent and the wait."""
    emit(
        {
            AI_CALLS: (1, "Count"),
            AI_INPUT_TOKENS: (input_tokens, "Count"),
            AI_OUTPUT_TOKENS: (output_tokens, "Count"),
            AI_LATENCY: (latency_ms, "Milliseconds"),
        },
        {"model": model, "outcome": outcome},
        {"tenant_id": tenant_id} if tenant_id else None,
    )
