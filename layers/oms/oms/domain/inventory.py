"""Stock identity and arithmetic (pure)."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("0f6f2a4e-2d0b-4b8e-8a43-51c1f9f3b7aa")


def item_id_for(tenant_id: str, node_id: str, sku: str) -> str:
    """A stock item's id is derived from (node, SKU): sourcing computes keys without a look-up,
    and creating the same item twice collides on the key instead of making a duplicate."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}|{node_id}|{sku}"))
