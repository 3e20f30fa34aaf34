"""The channel stock sync's records (layout in records_stock_sync.py; ADR 0040): coalescing
markers, the SKU -> inventory item cache, and each connector's sync state."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from oms.data.base import store_error
from oms.data.busy import transient_when_busy
from oms.data.records_stock_sync import StockSyncRecord
from oms.domain.clock import epoch


def _dirty_pk(tenant_id: str, connector_id: str) -> str:
    return f"T#{tenant_id}#SSDIRTY#{connector_id}"


def _sku_pk(tenant_id: str, connector_id: str) -> str:
    return f"T#{tenant_id}#SSSKU#{connector_id}"


def _state_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SSSTATE"


class StockSyncRepository:
    # ------------------------------------------------------------ coalescing markers
    def mark(self, tenant_id: str, connector_id: str, key: str, ttl_seconds: int) -> bool:
        """Put the marker unless one is there (and not past its TTL): True when this call made it,
        which makes the caller the one that asks for a push."""
        now = int(epoch())
        return _put_unless_live(
            StockSyncRecord(
                _dirty_pk(tenant_id, connector_id), key, doc={"at": now}, expires_at_epoch=now + ttl_seconds
            ),
            now,
            "stock sync marker",
        )

    def unmark(self, tenant_id: str, connector_id: str, key: str) -> None:
        try:
            StockSyncRecord(_dirty_pk(tenant_id, connector_id), key).delete()
        except DeleteError as exc:
            raise store_error(exc, "stock sync marker") from exc

    def pending(self, tenant_id: str, connector_id: str) -> int:
        now = int(epoch())
        return sum(
            1
            for r in StockSyncRecord.query(_dirty_pk(tenant_id, connector_id))
            if r.expires_at_epoch is None or r.expires_at_epoch >= now
        )

    # ------------------------------------------------------------ SKU -> inventory item
    def item_of(self, tenant_id: str, connector_id: str, sku: str) -> dict[str, Any] | None:
        """{"inventory_item_id": gid} or {"unknown": True}; None when not looked up (or expired)."""
        try:
            record = StockSyncRecord.get(_sku_pk(tenant_id, connector_id), sku)
        except DoesNotExist:
            return None
        if record.expires_at_epoch is not None and record.expires_at_epoch < epoch():
            return None
        return dict(record.doc or {})

    def remember_item(self, tenant_id: str, connector_id: str, sku: str, item_id: str) -> None:
        StockSyncRecord(_sku_pk(tenant_id, connector_id), sku, doc={"inventory_item_id": item_id}).save()

    def remember_unknown(self, tenant_id: str, connector_id: str, sku: str, ttl_seconds: int) -> bool:
        """Note that Shopify has no such SKU; True when this call noted it first (log it once)."""
        now = int(epoch())
        return _put_unless_live(
            StockSyncRecord(
                _sku_pk(tenant_id, connector_id),
                sku,
                doc={"unknown": True},
                expires_at_epoch=now + ttl_seconds,
            ),
            now,
            "stock sync SKU",
        )

    # ------------------------------------------------------------ per-connector state
    def state(self, tenant_id: str, connector_id: str) -> dict[str, Any]:
        try:
            return dict(StockSyncRecord.get(_state_pk(tenant_id), connector_id).doc or {})
        except DoesNotExist:
            return {}

    def update_state(self, tenant_id: str, connector_id: str, fields: dict[str, Any]) -> None:
        """Set these fields of the state document (a read and a put: the fields each writer sets
        are its own — the bucket and last push by pushes, the reconciliation by reconciliations —
        and a lost bucket update only makes the next estimate a little generous, which Shopify's
        own figures then correct)."""
        doc = {**self.state(tenant_id, connector_id), **fields}
        StockSyncRecord(_state_pk(tenant_id), connector_id, doc=doc).save()


transient_when_busy(StockSyncRepository)


def _put_unless_live(record: StockSyncRecord, now: int, what: str) -> bool:
    """Put `record` unless one is there and not past its TTL (DynamoDB deletes expired items only
    eventually): True when this call put it."""
    try:
        record.save(condition=StockSyncRecord.pk.does_not_exist() | (StockSyncRecord.expires_at_epoch < now))
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise store_error(exc, what) from exc
