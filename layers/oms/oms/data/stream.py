"""Reading the orders table's stream records (DynamoDB JSON, binary attributes base64-encoded
as Lambda delivers them) back into order headers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from oms.data.codec import unpack_body, unpack_header
from oms.data.keys import ORDER_BODY_SK, ORDER_SK
from oms.domain.projections import OrderChange


def header_from_image(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The order header an image of an `sk = ORDER` item holds, or None (no image)."""
    return _document(image, unpack_header)


def body_from_image(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The immutable order fields an image of an `sk = BODY` item holds, or None (no image)."""
    return _document(image, unpack_body)


def _document(
    image: Mapping[str, Any] | None, unpack: Callable[[bytes], dict[str, Any]]
) -> dict[str, Any] | None:
    """An item's document: compressed (`packed`, binary base64-encoded as Lambda delivers it) or
    plain JSON (`doc`, items written before compression)."""
    if not image:
        return None
    packed = image.get("packed")
    if isinstance(packed, Mapping) and "B" in packed:
        raw = packed["B"]
        return unpack(base64.b64decode(raw) if isinstance(raw, str) else bytes(raw))
    doc = image.get("doc")
    if isinstance(doc, Mapping) and "S" in doc:
        return dict(json.loads(doc["S"]))
    return None


def order_number_from_image(image: Mapping[str, Any] | None) -> str | None:
    key = _string(image, "gsi4pk")
    return key.rsplit("#", 1)[-1] if key else None


def channel_linked(image: Mapping[str, Any] | None) -> bool:
    """Whether the header in `image` is of an order a channel (a connector's import) owns."""
    return bool(_string(image, "linked_connector"))


def order_changes(records: Sequence[Mapping[str, Any]]) -> list[OrderChange]:
    """The order body and header changes among a batch of stream records, in stream order
    (other items of the orders table, such as trail blocks and callback ledgers, are skipped)."""
    changes = []
    for record in records:
        change = record.get("dynamodb") or {}
        keys = change.get("Keys") or {}
        sk = (keys.get("sk") or {}).get("S")
        pk = str((keys.get("pk") or {}).get("S") or "")
        if sk not in (ORDER_SK, ORDER_BODY_SK) or not pk.startswith("T#") or "#O#" not in pk:
            continue
        tenant_id, order_id = pk[2:].split("#O#", 1)
        new_image, old_image = change.get("NewImage"), change.get("OldImage")
        decode = header_from_image if sk == ORDER_SK else body_from_image
        created = _string(new_image or old_image, "gsi1sk")
        changes.append(
            OrderChange(
                sequence=str(change.get("SequenceNumber") or ""),
                tenant_id=tenant_id,
                order_id=order_id,
                item="header" if sk == ORDER_SK else "body",
                old=decode(old_image),
                new=decode(new_image),
                created_at=created.split("#", 1)[0] if created else None,
                approximate_at=_seconds(change.get("ApproximateCreationDateTime")),
            )
        )
    return changes


def _string(image: Mapping[str, Any] | None, name: str) -> str | None:
    value = (image or {}).get(name)
    return str(value["S"]) if isinstance(value, Mapping) and "S" in value else None


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
