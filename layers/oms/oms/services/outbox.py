"""The outbox: turn the orders table's stream into domain events for their consumers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from oms.adapters import event_fanout
from oms.data.keys import ORDER_SK
from oms.data.stream import header_from_image, order_number_from_image
from oms.domain.errors import TransientStoreError
from oms.domain.events import DomainEvent, events_from_change

log = logging.getLogger(__name__)
_CHUNK = 10  # events per send (SendMessageBatch)


def publish_changes(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Publish the events of a batch of stream records, in order, 10 per request across records.
    Returns the sequence number of the first record whose events could not all be sent (the
    stream resumes there, so per-order order holds; events sent before it may be sent again,
    with the same ids), or None when everything was sent."""
    buffer: list[DomainEvent] = []
    buffer_start: str | None = None  # the record the buffer's first event came from

    def flush() -> bool:
        nonlocal buffer, buffer_start
        if buffer:
            try:
                event_fanout.publish(buffer)
            except TransientStoreError as exc:
                log.warning("publishing stopped at %s: %s", buffer_start, exc)
                return False
        buffer, buffer_start = [], None
        return True

    for record in records:
        change = record.get("dynamodb") or {}
        sequence = str(change.get("SequenceNumber"))
        if (change.get("Keys") or {}).get("sk", {}).get("S") != ORDER_SK:
            continue  # bodies and decision trails (the mapping's filter drops them already)
        new_image = change.get("NewImage")
        old, new = header_from_image(change.get("OldImage")), header_from_image(new_image)
        for event in events_from_change(old, new, order_number_from_image(new_image)):
            if buffer_start is None:
                buffer_start = sequence
            buffer.append(event)
            if len(buffer) == _CHUNK and not flush():
                return buffer_start
    failed_at = buffer_start
    return None if flush() else failed_at
