"""Sending domain events to a consumer's queue (webhooks, connectors), 10 per SendMessageBatch.

Which consumer gets which event is the outbox's decision (services/outbox.py, ADR 0022); the
`type` and `tenant_id` message attributes let a consumer look without parsing the body. ADR 0010
says why this is not an EventBridge bus: at list price the bus would cost more than the rest of an
order's life put together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.errors import TransientStoreError
from oms.domain.events import DomainEvent

_PER_REQUEST = 10  # SendMessageBatch's limit
_ATTEMPTS = 3

log = logging.getLogger("oms.adapters")


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("sqs", region_name=settings().region)


def reset() -> None:
    _client.cache_clear()


def _entry(index: int, event: DomainEvent) -> dict[str, Any]:
    return {
        "Id": str(index),  # unique within the request (events of several orders share one)
        "MessageBody": event.model_dump_json(),
        "MessageAttributes": {
            "type": {"DataType": "String", "StringValue": event.type},
            "tenant_id": {"DataType": "String", "StringValue": event.tenant_id},
        },
    }


def publish(queue_url: str, events: Sequence[DomainEvent]) -> None:
    """Send the events to one consumer queue or raise. A batch can fail per entry; failed entries
    are sent again a few times. A re-sent event keeps its id: the consumer sees a duplicate at
    most, which it drops."""
    for start in range(0, len(events), _PER_REQUEST):
        chunk = events[start : start + _PER_REQUEST]
        pending = [_entry(i, e) for i, e in enumerate(chunk)]
        for _ in range(_ATTEMPTS):
            try:
                response = _client().send_message_batch(QueueUrl=queue_url, Entries=pending)
            except (ClientError, BotoCoreError) as exc:
                log.warning("SendMessageBatch failed: %s", exc)
                raise TransientStoreError(f"could not publish events ({type(exc).__name__}); retry") from exc
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = [p for p in pending if p["Id"] in failed]
            if not pending:
                break
        else:
            log.warning("%d events refused by %s %d times", len(pending), queue_url, _ATTEMPTS)
            raise TransientStoreError(f"{len(pending)} events refused {_ATTEMPTS} times; retry")
