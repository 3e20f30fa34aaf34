"""The radar's reads of Cirrus's own orders (ADR 0031): one part of many orders per BatchGetItem
(100 keys a request) - the body for the facts a policy's multipliers test, the header for the
milestones reached (its status history) - never the whole order when a part will do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oms.data import keys
from oms.data.orders import body_doc, header_doc
from oms.data.records import OrderRecord

_BATCH_GET = 100


def _parts(tenant_id: str, order_ids: Sequence[str], sk: str) -> dict[str, OrderRecord]:
    wanted = list(dict.fromkeys(order_ids))
    found: dict[str, OrderRecord] = {}
    for start in range(0, len(wanted), _BATCH_GET):
        batch = [(keys.order_pk(tenant_id, oid), sk) for oid in wanted[start : start + _BATCH_GET]]
        for record in OrderRecord.batch_get(batch):
            found[record.pk.rsplit("#", 1)[-1]] = record
    return found


def bodies(tenant_id: str, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Order id -> body document (customer, lines, address, channel, tags, totals)."""
    return {oid: body_doc(r) for oid, r in _parts(tenant_id, order_ids, keys.ORDER_BODY_SK).items()}


def headers(tenant_id: str, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Order id -> header document (status, allocations, status history)."""
    return {oid: header_doc(r) for oid, r in _parts(tenant_id, order_ids, keys.ORDER_SK).items()}
