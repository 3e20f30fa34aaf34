"""The outbox: turn the orders table's stream into domain events on the bus."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from oms.adapters import event_bus
from oms.domain.errors import TransientStoreError
from oms.domain.events import events_from_change

log = logging.getLogger(__name__)


def publish_changes(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Publish the events of each stream record in order. Returns the sequence number of the first
    record that could not be published (the stream resumes there, keeping per-order order), or
    None when all were."""
    for record in records:
        change = record.get("dynamodb") or {}
        try:
            events = events_from_change(change.get("OldImage"), change.get("NewImage"))
            if events:
                event_bus.publish(events)
        except TransientStoreError as exc:
            log.warning("publishing stopped at %s: %s", change.get("SequenceNumber"), exc)
            return str(change.get("SequenceNumber"))
    return None
