"""Reading the orders table's stream records (DynamoDB JSON, binary attributes base64-encoded
as Lambda delivers them) back into order headers."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from oms.data.codec import unpack_header


def header_from_image(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The order header an image of an `sk = ORDER` item holds, or None (no image)."""
    if not image:
        return None
    packed = image.get("packed")
    if isinstance(packed, Mapping) and "B" in packed:
        raw = packed["B"]
        return unpack_header(base64.b64decode(raw) if isinstance(raw, str) else bytes(raw))
    doc = image.get("doc")
    if isinstance(doc, Mapping) and "S" in doc:
        return dict(json.loads(doc["S"]))
    return None


def order_number_from_image(image: Mapping[str, Any] | None) -> str | None:
    key = (image or {}).get("gsi4pk")
    if isinstance(key, Mapping) and "S" in key:
        return str(key["S"]).rsplit("#", 1)[-1]
    return None


def channel_linked(image: Mapping[str, Any] | None) -> bool:
    """Whether the header in `image` is of an order a channel (a connector's import) owns."""
    connector = (image or {}).get("linked_connector")
    return isinstance(connector, Mapping) and bool(connector.get("S"))
