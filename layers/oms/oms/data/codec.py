"""Compact storage of the order header and body: zlib with a primed dictionary each.

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


# The body (customer, address, lines, totals) is written once; plain it is just over 1 KB for a
# typical two-line order (2 write units), compressed well under (1 unit). Fixed forever too.
_BODY_ZDICT = (
    b'{"id":"","tenant_id":"","order_number":"ORD-2026","channel":"API","fulfillment_type":"SHIP",'
    b'"channel":"SHOPIFY","channel":"AMAZON","fulfillment_type":"PICKUP",'
    b'"customer_email":"@example.com","customer_name":"","customer_phone":"+1","currency":"USD",'
    b'"line_items":[{"line_number":1,"sku":"SKU-","product_name":"","quantity":1,"unit_price":"",'
    b'"line_total":".00"},{"line_number":2,"sku":"SKU-","product_name":"","quantity":2,'
    b'"shipping_address":{"address1":"","address2":"","city":"","state":"","postal_code":"",'
    b'"country":"US","latitude":,"longitude":-},"pickup_node_id":"","subtotal":".00",'
    b'"shipping_amount":"0.00","tax_amount":"0.00","discount_amount":"0.00","total_amount":".00",'
    b'"external_order_id":"","channel_link":{"channel":"","connector_id":"","account":"",'
    b'"channel_order_id":""},"notes":"","tags":[],"idempotency_key":"","request_fingerprint":"",'
    b'"created_by":"user:","created_at":"2026-'
)


def pack(doc: dict[str, Any], zdict: bytes = b"") -> bytes:
    """Compact JSON, zlib-compressed (primed with `zdict` when given: the same one reads it)."""
    packer = zlib.compressobj(9, zdict=zdict)
    return packer.compress(json.dumps(doc, separators=(",", ":"), default=str).encode()) + packer.flush()


def unpack(packed: bytes, zdict: bytes = b"") -> dict[str, Any]:
    unpacker = zlib.decompressobj(zdict=zdict)
    return dict(json.loads(unpacker.decompress(packed) + unpacker.flush()))


def pack_body(doc: dict[str, Any]) -> bytes:
    return pack(doc, _BODY_ZDICT)


def unpack_body(packed: bytes) -> dict[str, Any]:
    return unpack(packed, _BODY_ZDICT)


def pack_header(doc: dict[str, Any]) -> bytes:
    return pack(doc, _HEADER_ZDICT)


def unpack_header(packed: bytes) -> dict[str, Any]:
    return unpack(packed, _HEADER_ZDICT)
