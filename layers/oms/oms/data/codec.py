"""Compact storage of the order header: zlib with a primed dictionary.

The header (status, allocations, shipments, audit trail) is rewritten on every change of an
order, and DynamoDB bills writes per started 1 KB (twice inside a transaction); the JSON is
repetitive (keys, statuses, event names), so compressed it takes one unit where plain JSON took
two or three. The dictionary is fixed forever: stored headers need it to be read.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

_HEADER_ZDICT = (
    b'{"id":"","tenant_id":"","status":"","version":,"allocations":[{"node_id":"","node_code":"'
    b'","sku":"SKU-","quantity":,"item_id":"","state":"RESERVED","distance_km":},{"node_id":"'
    b'"state":"SHIPPED""state":"RELEASED""state":"EXPIRED"'
    b'"shipments":[{"node_id":"","carrier":"UPS","shipped_at":"2026-","tracking_number":"1Z",'
    b'"delivered_at":null}],"updated_at":"2026-'
    b'"events":[{"seq":,"type":"order.created","at":"2026-","actor":"user:","from_status":null,'
    b'"to_status":"PENDING","data":{}},{"seq":,"type":"order.confirmed","at":"","actor":'
    b'"system:fulfilment","from_status":"PENDING","to_status":"CONFIRMED","data":{}},'
    b'{"seq":,"type":"order.sourcing","from_status":"CONFIRMED","to_status":"SOURCING"'
    b'{"seq":,"type":"order.sourced","from_status":"SOURCING","to_status":"SOURCED","data":'
    b'{"strategy":"DISTANCE_OPTIMAL","rule":"Default","reason":" is the best-scoring node that holds'
    b' every line","decision":"SOURCING#2026-","nodes":["DC-EAST"]}}'
    b'"type":"fulfilment.picking","from_status":"SOURCED","to_status":"PICKING"'
    b'"type":"fulfilment.packing","from_status":"PICKING","to_status":"PACKING"'
    b'"type":"fulfilment.ready_to_ship","from_status":"PACKING","to_status":"READY_TO_SHIP"'
    b'"type":"fulfilment.shipped","from_status":"READY_TO_SHIP","to_status":"SHIPPED"'
    b'"data":{"carrier":"UPS","tracking_number":"1Z","node_id":"","event_id":""}'
    b'"type":"fulfilment.out_for_delivery","from_status":"SHIPPED","to_status":"OUT_FOR_DELIVERY"'
    b'"type":"fulfilment.delivered","from_status":"OUT_FOR_DELIVERY","to_status":"DELIVERED"'
    b'"type":"order.backordered","to_status":"BACKORDERED","backordered":{"SKU-'
    b'"type":"order.cancelled","to_status":"CANCELLED","released":[{"item_id":"'
    b'"actor":"system:callback""actor":"system:maintenance"'
)


def pack_header(doc: dict[str, Any]) -> bytes:
    packer = zlib.compressobj(9, zdict=_HEADER_ZDICT)
    return packer.compress(json.dumps(doc, separators=(",", ":"), default=str).encode()) + packer.flush()


def unpack_header(packed: bytes) -> dict[str, Any]:
    unpacker = zlib.decompressobj(zdict=_HEADER_ZDICT)
    return dict(json.loads(unpacker.decompress(packed) + unpacker.flush()))
