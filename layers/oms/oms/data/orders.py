"""Orders: header + immutable body items, and the packed sourcing decision trails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import PutError

from oms.data import keys
from oms.data.base import decode_cursor, encode_cursor, store_error
from oms.data.codec import pack, pack_body, pack_header, unpack, unpack_body, unpack_header
from oms.data.records import DecisionRecord, OrderRecord, TrailRecord
from oms.domain import audit
from oms.domain.audit import AuditEvent, CallbackLedger, TrailBlock
from oms.domain.errors import Conflict, NotFound, ValidationFailed
from oms.domain.lifecycle import STATUS_GROUPS, OrderStatus
from oms.domain.models import Order
from oms.domain.orders import split_trail

# Fields of the order header (rewritten on every change); everything else is the immutable body.
HEADER_FIELDS = frozenset(
    {
        "id",
        "tenant_id",
        "status",
        "status_code",  # the tenant's status code (ADR 0035)
        "version",
        "allocations",
        "shipments",
        "events",
        "past",
        "past_cut",
        "callbacks",
        "updated_at",
        "refunded_amount",  # returns (ADR 0038)
        "returned_quantities",
    }
)


# Phrases every trail repeats, primed into the compressor (fixed forever: stored trails need it).
_TRAIL_ZDICT = (
    b'"reason":"not chosen: holds every line but score ,"reason":"not chosen: short of '
    b'"reason":"excluded: lacks can_ship","reason":"excluded: daily capacity of '
    b'"reason":"chosen (single): ships ,"reason":"chosen (split): ships '
    b'"reason":"not used in the split (holds every line); score , rank  of '
    b'"node_type":"DARK_STORE","node_type":"RETAIL_STORE","node_type":"DISTRIBUTION_CENTER",'
    b'"distance_km":,"estimated_cost":"","stock":{"SKU-"},"score":,"chosen":false},{"node_id":"'
    b'","code":"'
    b'"rule_id":null,"rule_name":"Default","estimated_cost":"","optimal":null,"processing_ms":'
    b'"node_capacity":{"'
    b'"outcome":"SOURCED","strategy":"DISTANCE_OPTIMAL","reason":" is the best-scoring node that '
    b'holds every line","allocations":[{"node_id":"","node_code":"","sku":"SKU-","quantity":'
    b',"distance_km":}],"backordered":{},"candidates":[{"node_id":"'
)


def _pack_trail(decision: dict[str, Any]) -> bytes:
    """Compressed, without what the key already says (order id, time) or what is derived
    (allocation item ids): a typical trail then fits one 1 KB write unit."""
    slim = {k: v for k, v in decision.items() if k not in ("order_id", "at")}
    slim["allocations"] = [
        {k: v for k, v in a.items() if k != "item_id"} for a in decision.get("allocations", [])
    ]
    return pack(slim, _TRAIL_ZDICT)


def _unpack_trail(packed: bytes, tenant_id: str, order_id: str, sk: str) -> dict[str, Any]:
    from oms.domain.inventory import item_id_for

    trail = unpack(packed, _TRAIL_ZDICT)
    for a in trail.get("allocations", []):
        a["item_id"] = item_id_for(tenant_id, a["node_id"], a["sku"])
    return {**trail, "at": sk.removeprefix("SOURCING#"), "order_id": order_id}


def order_record(order: Order) -> OrderRecord:
    """The header item of a version of `order`, to be written by the caller (alone or in a
    transaction). The complete trail blocks this header no longer holds are stored first, with
    plain puts of immutable content: whether or not the header write then succeeds, every entry
    of a committed header is in that header or in a stored block (ADR 0018)."""
    order, blocks = split_trail(order)
    for block in blocks:
        _put_block(order.tenant_id, order.id, block)
    created_key = f"{order.created_at}#{order.id}"
    stored = order.stored()
    return OrderRecord(
        keys.order_pk(order.tenant_id, order.id),
        keys.ORDER_SK,
        status=order.status.value,
        version=order.version,
        order_id=order.id,
        packed=pack_header({k: v for k, v in stored.items() if k in HEADER_FIELDS}),
        gsi1pk=keys.orders_gsi_tenant(order.tenant_id),
        gsi1sk=created_key,
        gsi2pk=keys.orders_gsi_status(order.tenant_id, STATUS_GROUPS[order.status]),
        gsi2sk=created_key,
        gsi3pk=keys.orders_gsi_email(order.tenant_id, order.customer_email),
        gsi3sk=created_key,
        gsi4pk=keys.orders_gsi_number(order.tenant_id, order.order_number),
        gsi5pk=keys.orders_gsi_customer(order.tenant_id, order.customer_user_id)
        if order.customer_user_id
        else None,
        gsi5sk=created_key if order.customer_user_id else None,
        linked_connector=order.channel_link.connector_id if order.channel_link else None,
    )


def _put_block(tenant_id: str, order_id: str, block: TrailBlock) -> None:
    doc = block.model_dump(mode="json", exclude_none=True)
    try:
        TrailRecord(
            keys.order_pk(tenant_id, order_id), keys.trail_sk(block.first), packed=pack_header(doc)
        ).save()
    except PutError as exc:
        raise store_error(exc, "audit trail") from exc


def _block_entries(record: TrailRecord) -> list[AuditEvent]:
    return TrailBlock.model_validate(unpack_header(record.packed or b"")).entries if record.packed else []


_BOTH = ("id", "tenant_id")  # in the body and in the header


def body_record(order: Order) -> OrderRecord:
    stored = order.stored()
    return OrderRecord(
        keys.order_pk(order.tenant_id, order.id),
        keys.ORDER_BODY_SK,
        order_id=order.id,
        fingerprint=order.request_fingerprint or "",
        packed=pack_body({k: v for k, v in stored.items() if k not in HEADER_FIELDS or k in _BOTH}),
    )


def body_doc(body: OrderRecord) -> dict[str, Any]:
    """What a body item holds: compressed (`packed`), or plain in bodies written before that."""
    return unpack_body(body.packed) if body.packed else dict(body.doc or {})


def _merge(body: OrderRecord | None, header: OrderRecord | None) -> Order | None:
    if body is None or header is None:  # a create still in progress
        return None
    return Order.model_validate({**body_doc(body), **header_doc(header)})


def header_doc(header: OrderRecord) -> dict[str, Any]:
    return unpack_header(header.packed) if header.packed else dict(header.doc or {})


def ledger_from(record: OrderRecord) -> CallbackLedger:
    return CallbackLedger.model_validate({**(record.doc or {}), "version": int(record.version or 0)})


class OrderRepository:
    def insert(self, order: Order) -> tuple[Order, bool]:
        """Create the order if its id is new. Returns (the stored order, created now?).

        The body goes first, only if absent; then the header, only if absent. If a body is there
        already, the stored order wins: a complete order is returned as is (a replay, or a
        conflict the caller sees from its fingerprint); a body without a header (a create that
        died between the two writes) is completed from the stored body if the request is the
        same, so the first request's data is what ends up stored."""
        try:
            body_record(order).save(condition=OrderRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "order") from exc
            return self._existing_or_completed(order)
        return self._put_header(order)

    def _put_header(self, order: Order) -> tuple[Order, bool]:
        try:
            order_record(order).save(condition=OrderRecord.pk.does_not_exist())
            return order, True
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "order") from exc
            existing = self.get(order.tenant_id, order.id)
            if existing is None:
                raise Conflict("order id collision", code="concurrent_update") from exc
            return existing, False

    def _existing_or_completed(self, order: Order) -> tuple[Order, bool]:
        existing = self.get(order.tenant_id, order.id)
        if existing is not None:
            return existing, False
        body = OrderRecord.get(
            keys.order_pk(order.tenant_id, order.id), keys.ORDER_BODY_SK, consistent_read=True
        )
        if body.fingerprint != order.request_fingerprint:
            return order.model_copy(update={"request_fingerprint": body.fingerprint}), False
        first = Order.model_validate({**order.stored(), **body_doc(body)})
        first = first.model_copy(
            update={
                "updated_at": first.created_at,
                "events": [e.model_copy(update={"at": first.created_at}) for e in first.events],
            }
        )
        return self._put_header(first)

    def _parts(self, tenant_id: str, order_id: str, consistent: bool) -> dict[str, OrderRecord]:
        """Body, callback ledger and header: one query (they sort next to each other)."""
        return {
            r.sk: r
            for r in OrderRecord.query(
                keys.order_pk(tenant_id, order_id),
                OrderRecord.sk.between(keys.ORDER_BODY_SK, keys.ORDER_SK),
                consistent_read=consistent,
            )
        }

    def get(self, tenant_id: str, order_id: str, consistent: bool = True) -> Order | None:
        parts = self._parts(tenant_id, order_id, consistent)
        return _merge(parts.get(keys.ORDER_BODY_SK), parts.get(keys.ORDER_SK))

    def get_with_ledger(
        self, tenant_id: str, order_id: str, consistent: bool = True
    ) -> tuple[Order | None, CallbackLedger]:
        """The order and its callback ledger, read together."""
        parts = self._parts(tenant_id, order_id, consistent)
        ledger = parts.get(keys.ORDER_CALLBACKS_SK)
        return (
            _merge(parts.get(keys.ORDER_BODY_SK), parts.get(keys.ORDER_SK)),
            ledger_from(ledger) if ledger is not None else CallbackLedger(),
        )

    # ------------------------------------------------------------------ the audit trail
    def trail_page(self, order: Order, limit: int, cursor: str | None) -> tuple[list[AuditEvent], str | None]:
        """One page of the order's audit trail, oldest first: the stored blocks it needs merged
        with the entries its header holds (the latest are only there). The cursor is the last
        sequence number returned, accepted only for this order."""
        pk = keys.order_pk(order.tenant_id, order.id)
        after = 0
        if cursor:
            start = decode_cursor(cursor, pk, "pk")
            try:
                after = max(0, int(start["seq"]["N"])) if start else 0
            except (KeyError, TypeError, ValueError) as exc:
                raise ValidationFailed(
                    "invalid cursor",
                    details=[{"loc": ["cursor"], "msg": "not a cursor of this trail", "type": "value_error"}],
                ) from exc
        stored: list[AuditEvent] = []
        missing = audit.first_missing(order.events, after)
        if missing is not None:
            first = keys.trail_sk(audit.block_start(missing))
            records = TrailRecord.query(
                pk,
                TrailRecord.sk.between(first, keys.TRAIL_PREFIX + "~"),
                consistent_read=True,  # a block is stored before the header that drops it
                limit=-(-limit // audit.TRAIL_BLOCK) + 1,
            )
            for record in records:
                stored.extend(_block_entries(record))
        entries, more = audit.page(stored, order.events, after, limit)
        if not more or not entries:
            return entries, None
        return entries, encode_cursor({"pk": {"S": pk}, "seq": {"N": str(entries[-1].seq)}})

    def trail_has_callback(self, tenant_id: str, order_id: str, event_id: str) -> bool:
        """Is a callback with this sender id in the order's stored trail blocks?"""
        records = TrailRecord.query(
            keys.order_pk(tenant_id, order_id),
            TrailRecord.sk.startswith(keys.TRAIL_PREFIX),
            consistent_read=True,
        )
        return any(e.data.get("event_id") == event_id for r in records for e in _block_entries(r))

    def require(self, tenant_id: str, order_id: str) -> Order:
        order = self.get(tenant_id, order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found", code="order_not_found")
        return order

    def get_by_number(self, tenant_id: str, number: str) -> Order | None:
        for hit in OrderRecord.by_number.query(keys.orders_gsi_number(tenant_id, number), limit=1):
            return self.get(tenant_id, hit.order_id or hit.pk.rsplit("#", 1)[-1])
        return None

    def replace(self, order: Order, expected_version: int) -> None:
        """Write a new version of the order if nobody else did first."""
        try:
            order_record(order).save(condition=OrderRecord.version == expected_version)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the order changed meanwhile", code="concurrent_update") from exc
            raise store_error(exc, "order") from exc

    def page_ids(
        self,
        tenant_id: str,
        *,
        status: str | None,
        email: str | None,
        created_from: str | None,
        created_to: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[str], str | None]:
        """Order ids of one listing page, newest first, from the most selective index."""
        index: Any
        attr_sk: Any
        if email:
            index, attr_pk, attr_sk, partition = (
                OrderRecord.by_email,
                "gsi3pk",
                OrderRecord.gsi3sk,
                keys.orders_gsi_email(tenant_id, email),
            )
        elif status:
            index, attr_pk, attr_sk, partition = (
                OrderRecord.by_status,
                "gsi2pk",
                OrderRecord.gsi2sk,
                keys.orders_gsi_status(tenant_id, STATUS_GROUPS[OrderStatus(status)]),
            )
        else:
            index, attr_pk, attr_sk, partition = (
                OrderRecord.by_tenant,
                "gsi1pk",
                OrderRecord.gsi1sk,
                keys.orders_gsi_tenant(tenant_id),
            )
        condition: Any = None
        if created_from and created_to:
            condition = attr_sk.between(created_from, created_to + "\uffff")
        elif created_from:
            condition = attr_sk >= created_from
        elif created_to:
            condition = attr_sk <= created_to + "\uffff"
        start = decode_cursor(cursor, partition, attr_pk)
        result = index.query(
            partition,
            range_key_condition=condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
            page_size=limit,
        )
        ids = [record.pk.rsplit("#", 1)[-1] for record in result]
        return ids, encode_cursor(result.last_evaluated_key)

    def customer_page_ids(
        self, tenant_id: str, user_id: str, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        """Ids of the orders one CUSTOMER placed, newest first (the sparse by_customer index)."""
        partition = keys.orders_gsi_customer(tenant_id, user_id)
        result = OrderRecord.by_customer.query(
            partition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, partition, "gsi5pk"),
            page_size=limit,
        )
        ids = [record.pk.rsplit("#", 1)[-1] for record in result]
        return ids, encode_cursor(result.last_evaluated_key)

    def put_decision(self, order: Order, at: str, decision: dict[str, Any]) -> str:
        """Store one sourcing decision trail beside the order (written once, read rarely)."""
        sk = f"SOURCING#{at}"
        DecisionRecord(keys.order_pk(order.tenant_id, order.id), sk, packed=_pack_trail(decision)).save()
        return sk

    def decisions(self, tenant_id: str, order_id: str) -> list[dict[str, Any]]:
        records = DecisionRecord.query(
            keys.order_pk(tenant_id, order_id),
            DecisionRecord.sk.startswith("SOURCING#"),
            scan_index_forward=False,
        )
        return [
            _unpack_trail(r.packed, tenant_id, order_id, r.sk) if r.packed else dict(r.doc or {})
            for r in records
        ]

    def batch_get(self, tenant_id: str, order_ids: Sequence[str]) -> list[Order]:
        wanted = [
            (keys.order_pk(tenant_id, oid), sk)
            for oid in order_ids
            for sk in (keys.ORDER_BODY_SK, keys.ORDER_SK)
        ]
        parts: dict[tuple[str, str], OrderRecord] = {(r.pk, r.sk): r for r in OrderRecord.batch_get(wanted)}
        found = []
        for oid in order_ids:
            pk = keys.order_pk(tenant_id, oid)
            order = _merge(parts.get((pk, keys.ORDER_BODY_SK)), parts.get((pk, keys.ORDER_SK)))
            if order is not None:
                found.append(order)
        return found

    def ids_in_group(self, tenant_id: str, group: str, created_before: str, limit: int = 100) -> list[str]:
        """Order ids whose status is in a STATUS_GROUPS group, created before a time."""
        result = OrderRecord.by_status.query(
            keys.orders_gsi_status(tenant_id, group),
            range_key_condition=OrderRecord.gsi2sk < created_before,
            limit=limit,
        )
        return [r.pk.rsplit("#", 1)[-1] for r in result]
