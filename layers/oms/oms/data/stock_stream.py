"""Reading the inventory table's stream records (DynamoDB JSON as Lambda delivers it) back into
stock changes; other items of the table (adjustments, reservations, capacity) are skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oms.domain.stock_changes import StockChange, StockLevel

ITEM_SK = "ITEM"


def stock_changes(records: Sequence[Mapping[str, Any]]) -> list[StockChange]:
    """The stock item changes among a batch of stream records, in stream order."""
    changes = []
    for record in records:
        change = record.get("dynamodb") or {}
        keys = change.get("Keys") or {}
        if (keys.get("sk") or {}).get("S") != ITEM_SK:
            continue
        new_image, old_image = change.get("NewImage"), change.get("OldImage")
        image = new_image or old_image or {}
        tenant_id, item_id = _string(image, "tenant_id"), _string(image, "item_id")
        node_id, sku = _string(image, "node_id"), _string(image, "sku")
        if not (tenant_id and item_id and node_id and sku):
            continue
        changes.append(
            StockChange(
                sequence=str(change.get("SequenceNumber") or ""),
                tenant_id=tenant_id,
                item_id=item_id,
                node_id=node_id,
                sku=sku,
                product_name=_string(image, "product_name"),
                before=_level(old_image),
                after=_level(new_image),
                approximate_at=_seconds(change.get("ApproximateCreationDateTime")),
            )
        )
    return changes


def _level(image: Mapping[str, Any] | None) -> StockLevel | None:
    if not image:
        return None
    return StockLevel(
        on_hand=_number(image, "on_hand"),
        reserved=_number(image, "reserved"),
        available=_number(image, "available"),
        reorder_level=_number(image, "reorder_level"),
        version=_number(image, "version"),
    )


def _string(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    return str(value["S"]) if isinstance(value, Mapping) and "S" in value else None


def _number(image: Mapping[str, Any], name: str) -> int:
    value = image.get(name)
    try:
        return int(float(value["N"])) if isinstance(value, Mapping) and "N" in value else 0
    except (TypeError, ValueError):
        return 0


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
