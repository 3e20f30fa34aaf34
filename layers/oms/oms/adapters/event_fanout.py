"""Sending domain events to a consumer's queue (webhooks, connectors), 10 per SendMessageBatch.

Which consumer gets which event is the outbox's decision (services/outbox.py, ADR 0022); the
`type` and `tenant_id` message attributes let a consumer look without parsing the body. ADR 0010
says why this is not an EventBridge bus: at list price the bus would cost more than the rest of an
order's life put together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oms.adapters import queues
from oms.domain.events import DomainEvent


def _attributes(event: DomainEvent) -> dict[str, Any]:
    return {
        "type": {"DataType": "String", "StringValue": event.type},
        "tenant_id": {"DataType": "String", "StringValue": event.tenant_id},
    }


def message(event: DomainEvent) -> tuple[str, dict[str, Any]]:
    """An event as one queue message (body, attributes)."""
    return event.model_dump_json(), _attributes(event)


def publish(queue_url: str, events: Sequence[DomainEvent]) -> None:
    """Send the events to one consumer queue or raise TransientStoreError. A re-sent event keeps
    its id: the consumer sees a duplicate at most, which it drops."""
    queues.send_messages(queue_url, [(e.model_dump_json(), _attributes(e)) for e in events])
