"""Stock items by SKU across nodes, for the product view of inventory.

The items' `by_group` index (gsi2pk=T#<tenant>#ITEMS, gsi2sk=<node id>#<sku>, keys only) holds
each node's items in SKU order. The SKUs of a tenant in SKU order are the merge of one query per
node (each a range of that index, after the cursor's SKU): no scan, and a page reads only keys
until it knows which items it shows; those come from one BatchGetItem per 100.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import (
    cancellation_reasons,
    connection,
    decode_cursor,
    encode_cursor,
    raise_for_transaction,
)
from oms.data.records import StockRecord
from oms.domain.errors import Conflict, ValidationFailed
from oms.domain.models import SKU_RE
from oms.domain.network import InventoryItem

SETTINGS = ("reorder_level", "reorder_quantity", "product_name")  # what a bulk change may set
_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems


class ProductStockRepository:
    def cursor(self, tenant_id: str, last_sku: str) -> str | None:
        """The cursor of the page after `last_sku` (valid in this tenant's listing only)."""
        return encode_cursor({"gsi2pk": {"S": keys.items_group(tenant_id)}, "after": {"S": last_sku}})

    def after(self, tenant_id: str, cursor: str | None) -> str | None:
        """The SKU a cursor continues after (None: from the start); 422 for a cursor not made here."""
        decoded = decode_cursor(cursor, keys.items_group(tenant_id), "gsi2pk")
        if decoded is None:
            return None
        after = (decoded.get("after") or {}).get("S") if isinstance(decoded.get("after"), dict) else None
        if not isinstance(after, str) or not re.fullmatch(SKU_RE, after):
            raise ValidationFailed(
                "invalid cursor",
                details=[{"loc": ["cursor"], "msg": "not a cursor of this listing", "type": "value_error"}],
            )
        return after

    def skus(
        self, tenant_id: str, node_ids: Sequence[str], after: str | None, page_size: int
    ) -> Iterator[tuple[str, list[str]]]:
        """(sku, ids of its stock items at these nodes) in SKU order, SKUs after `after` only.
        Lazy: each node's query reads `page_size` keys at a time, as the merge needs them."""
        partition = keys.items_group(tenant_id)

        def stream(node_id: str) -> Iterator[tuple[str, str]]:
            prefix = f"{node_id}#"
            condition = (
                StockRecord.gsi2sk.startswith(prefix)
                if after is None
                # '$' follows '#': the range ends with this node's keys
                else StockRecord.gsi2sk.between(f"{prefix}{after}", f"{node_id}$")
            )
            rows = StockRecord.by_group.query(partition, range_key_condition=condition, page_size=page_size)
            for row in rows:
                sku = str(row.gsi2sk)[len(prefix) :]
                if after is None or sku > after:
                    yield sku, row.pk.rsplit("#", 1)[-1]

        merged = heapq.merge(*(stream(n) for n in dict.fromkeys(node_ids)))
        for sku, group in groupby(merged, key=lambda pair: pair[0]):
            yield sku, [item_id for _, item_id in group]

    def apply_settings(
        self, tenant_id: str, changes: Sequence[tuple[InventoryItem, Mapping[str, Any]]], now: str
    ) -> None:
        """Set fields of several stock items as read: all or none (per 100 items, DynamoDB's limit
        for one transaction), each conditioned on the version it was read at, so a stock movement
        in between (which moves the version) is never overwritten: the caller reads again. An item
        with nothing to set is still checked at its version, so the items end up alike even when
        two such changes race. Conflict `concurrent_update` when an item moved."""
        for chunk in _chunks(changes, _TRANSACTION_ITEMS):
            if not any(fields for _, fields in chunk):
                continue
            tx = TransactWrite(connection=connection())
            try:
                with tx:
                    for item, fields in chunk:
                        record = StockRecord(keys.item_pk(tenant_id, item.id), keys.ITEM_SK)
                        as_read = StockRecord.version == item.version
                        if not fields:
                            tx.condition_check(StockRecord, record.pk, record.sk, condition=as_read)
                            continue
                        actions: list[Action] = [StockRecord.version.add(1), StockRecord.updated_at.set(now)]
                        actions += [getattr(StockRecord, n).set(fields[n]) for n in SETTINGS if n in fields]
                        tx.update(record, actions=actions, condition=as_read)
            except TransactWriteError as exc:
                reasons = cancellation_reasons(exc)
                if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                    raise Conflict("stock items changed meanwhile", code="concurrent_update") from exc
                raise_for_transaction(exc, "stock settings", tx)


def _chunks(
    changes: Sequence[tuple[InventoryItem, Mapping[str, Any]]], size: int
) -> Iterable[Sequence[tuple[InventoryItem, Mapping[str, Any]]]]:
    for start in range(0, len(changes), size):
        yield changes[start : start + size]
