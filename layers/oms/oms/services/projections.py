"""The projection consumer: the orders stream, decoded once, handed to every read model (ADR 0028).

A read model is a function of a batch of `OrderChange`s that writes what it keeps (a search-index
segment, a day's counters) with one or a few requests per batch, not per order. It must be
idempotent for a retried batch: Lambda retries a failed batch from its first record, so each read
model recognises records it already applied (by their sequence numbers) and skips them.

A read model that fails raises; the whole batch is then reported failed from its first record and
retried (the read models that had succeeded skip what they already applied)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from oms.data.stream import order_changes
from oms.domain.projections import OrderChange

log = logging.getLogger(__name__)

ReadModel = Callable[[Sequence[OrderChange]], None]


def read_models() -> list[tuple[str, ReadModel]]:
    """The read models kept from the stream, by name (imported here, not at module load, so a
    function that never projects does not pay for their imports)."""
    from oms.services import analytics, radar_stream, search_index

    return [
        ("search_index", search_index.apply),
        ("analytics", analytics.apply),
        ("sla_radar", radar_stream.apply),
    ]


def project(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Apply a batch of stream records to every read model. Returns the sequence number to
    resume from (the batch's first record) if a read model failed, else None."""
    changes = order_changes(records)
    if not changes:
        return None
    for name, apply in read_models():
        try:
            apply(changes)
        except Exception:
            log.exception("read model %s failed on a batch of %d changes", name, len(changes))
            return changes[0].sequence
    return None
