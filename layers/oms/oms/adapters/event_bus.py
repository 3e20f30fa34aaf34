"""Publishing domain events to the EventBridge bus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.clock import parse_iso
from oms.domain.errors import TransientStoreError
from oms.domain.events import SOURCE, DomainEvent

_ENTRIES_PER_CALL = 10  # PutEvents' limit
_ATTEMPTS = 3


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("events", region_name=settings().region)


def reset() -> None:
    _client.cache_clear()


def publish(events: Sequence[DomainEvent]) -> None:
    """Put every event on the bus or raise. PutEvents can fail per entry; failed entries are sent
    again a few times. A re-sent event keeps its id, so consumers see at most a duplicate."""
    bus = settings().event_bus_name
    if not bus:
        raise RuntimeError("EVENT_BUS_NAME is not configured")
    entries = [
        {
            "Source": SOURCE,
            "DetailType": e.type,
            "Detail": e.model_dump_json(),
            "EventBusName": bus,
            "Time": parse_iso(e.occurred_at),
            "Resources": [f"order/{e.tenant_id}/{e.order_id}"],
        }
        for e in events
    ]
    for start in range(0, len(entries), _ENTRIES_PER_CALL):
        pending = entries[start : start + _ENTRIES_PER_CALL]
        for _ in range(_ATTEMPTS):
            try:
                response = _client().put_events(Entries=pending)
            except (ClientError, BotoCoreError) as exc:
                raise TransientStoreError(f"could not publish events: {exc}") from exc
            results = response.get("Entries", [])
            pending = [p for p, r in zip(pending, results, strict=False) if r.get("ErrorCode")]
            if not response.get("FailedEntryCount") or not pending:
                break
        else:
            detail = json.loads(str(pending[0]["Detail"]))
            raise TransientStoreError(f"event {detail['event_id']} was refused by the bus {_ATTEMPTS} times")
