"""Repositories over DynamoDB (pynamodb). They map records to domain models and turn DynamoDB
condition failures into domain errors; they never decide business rules.

Every state change carries its precondition (expected version or status, available >= qty),
and every multi-item change is one TransactWriteItems, so nothing is ever half-written.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.codec import pack_header, unpack_header
from oms.data.records import (
    AdjustmentRecord,
    ClaimRecord,
    ConnectorRecord,
    DecisionRecord,
    DeliveryRecord,
    JobLeaseRecord,
    LogRecord,
    NodeCapacityRecord,
    NodeRecord,
    OrderRecord,
    ProductRecord,
    ReservationRecord,
    RuleRecord,
    StockRecord,
    TenantRecord,
    UserRecord,
    WebhookEndpointRecord,
)
from oms.domain.errors import (
    Conflict,
    NotFound,
    StockConflict,
    TransientStoreError,
    ValidationFailed,
)
from oms.domain.lifecycle import STATUS_GROUPS, OrderStatus
from oms.domain.models import Adjustment, InventoryItem, Node, Order

_RETRYABLE = {
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "InternalServerError",
}


def _connection() -> Connection:
    return OrderRecord._get_connection().connection


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]


def _failed_keys(exc: TransactWriteError, tx: TransactWrite) -> list[str]:
    """Sort keys of the items whose condition failed. pynamodb sends a transaction's operations
    grouped (condition checks, deletes, puts, updates), not in the order they were added, so the
    positions of CancellationReasons are mapped back through that same grouping."""
    sent = [*tx._condition_check_items, *tx._delete_items, *tx._put_items, *tx._update_items]
    failed = []
    for operation, code in zip(sent, _reasons(exc), strict=False):
        if code == "ConditionalCheckFailed":
            key = operation.get("Key") or operation.get("Item") or {}
            failed.append(str(key.get("sk", {}).get("S", "")))
    return failed


def _raise_for_transaction(exc: TransactWriteError, what: str, tx: TransactWrite) -> None:
    """Map a cancelled transaction to a domain error by the kind of item whose condition failed:
    a stock item (not enough available: plan again), else the record changed meanwhile."""
    reasons = _reasons(exc)
    if any(code in _RETRYABLE for code in reasons) or exc.cause_response_code in _RETRYABLE:
        raise TransientStoreError(f"{what}: storage busy, retry") from exc
    failed = _failed_keys(exc, tx)
    if keys.ITEM_SK in failed:
        raise StockConflict(f"{what}: stock changed meanwhile") from exc
    if failed:
        raise Conflict(
            f"{what}: the record changed meanwhile; reload and retry ({', '.join(failed)})",
            code="concurrent_update",
        ) from exc
    raise TransientStoreError(f"{what}: {exc.cause_response_code or exc}") from exc


def encode_cursor(lek: dict[str, Any] | None) -> str | None:
    if not lek:
        return None
    return base64.urlsafe_b64encode(json.dumps(lek, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, expected_partition: str, index_pk: str) -> dict[str, Any] | None:
    """A cursor is only accepted for the partition it came from (no stepping into another tenant)."""
    if not cursor:
        return None
    try:
        lek = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if lek.get(index_pk, {}).get("S") != expected_partition:
            raise ValueError("cursor does not belong to this listing")
        return dict(lek)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationFailed(
            "invalid cursor", details=[{"loc": ["cursor"], "msg": str(exc), "type": "value_error"}]
        ) from exc


# ====================================================================== orders
# Fields of the order header (rewritten on every change); everything else is the immutable body.
HEADER_FIELDS = frozenset(
    {"id", "tenant_id", "status", "version", "allocations", "shipments", "events", "updated_at"}
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
    packer = zlib.compressobj(9, zdict=_TRAIL_ZDICT)
    raw = json.dumps(slim, separators=(",", ":"), default=str).encode()
    return packer.compress(raw) + packer.flush()


def _unpack_trail(packed: bytes, tenant_id: str, order_id: str, sk: str) -> dict[str, Any]:
    from oms.domain.inventory import item_id_for

    unpacker = zlib.decompressobj(zdict=_TRAIL_ZDICT)
    trail: dict[str, Any] = json.loads(unpacker.decompress(packed) + unpacker.flush())
    for a in trail.get("allocations", []):
        a["item_id"] = item_id_for(tenant_id, a["node_id"], a["sku"])
    return {**trail, "at": sk.removeprefix("SOURCING#"), "order_id": order_id}


def _order_record(order: Order) -> OrderRecord:
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
    )


def _body_record(order: Order) -> OrderRecord:
    stored = order.stored()
    return OrderRecord(
        keys.order_pk(order.tenant_id, order.id),
        keys.ORDER_BODY_SK,
        order_id=order.id,
        fingerprint=order.request_fingerprint or "",
        doc={k: v for k, v in stored.items() if k not in HEADER_FIELDS or k in ("id", "tenant_id")},
    )


def _merge(body: OrderRecord | None, header: OrderRecord | None) -> Order | None:
    if body is None or header is None:  # a create still in progress
        return None
    return Order.model_validate({**(body.doc or {}), **header_doc(header)})


def header_doc(header: OrderRecord) -> dict[str, Any]:
    return unpack_header(header.packed) if header.packed else dict(header.doc or {})


class OrderRepository:
    def insert(self, order: Order) -> tuple[Order, bool]:
        """Create the order if its id is new. Returns (the stored order, created now?).

        The body goes first, only if absent; then the header, only if absent. If a body is there
        already, the stored order wins: a complete order is returned as is (a replay, or a
        conflict the caller sees from its fingerprint); a body without a header (a create that
        died between the two writes) is completed from the stored body if the request is the
        same, so the first request's data is what ends up stored."""
        try:
            _body_record(order).save(condition=OrderRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise TransientStoreError(str(exc)) from exc
            return self._existing_or_completed(order)
        return self._put_header(order)

    def _put_header(self, order: Order) -> tuple[Order, bool]:
        try:
            _order_record(order).save(condition=OrderRecord.pk.does_not_exist())
            return order, True
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise TransientStoreError(str(exc)) from exc
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
        first = Order.model_validate({**order.stored(), **(body.doc or {})})
        first = first.model_copy(
            update={
                "updated_at": first.created_at,
                "events": [e.model_copy(update={"at": first.created_at}) for e in first.events],
            }
        )
        return self._put_header(first)

    def get(self, tenant_id: str, order_id: str, consistent: bool = True) -> Order | None:
        parts = {
            r.sk: r
            for r in OrderRecord.query(
                keys.order_pk(tenant_id, order_id),
                OrderRecord.sk.between(keys.ORDER_BODY_SK, keys.ORDER_SK),
                consistent_read=consistent,
            )
        }
        return _merge(parts.get(keys.ORDER_BODY_SK), parts.get(keys.ORDER_SK))

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
            _order_record(order).save(condition=OrderRecord.version == expected_version)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the order changed meanwhile", code="concurrent_update") from exc
            raise TransientStoreError(str(exc)) from exc

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


# ====================================================================== nodes & products
def _raw_partition(model: type[Any], pk: str) -> list[dict[str, Any]]:
    """Every item of one partition as raw DynamoDB JSON, for partitions that hold several record
    types (pynamodb would read each item as one model and drop the others' attributes)."""
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = model._get_connection().query(pk, exclusive_start_key=start)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


class NodeRepository:
    def insert(self, node: Node) -> None:
        pk = keys.nodes_pk(node.tenant_id)
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(
                    NodeRecord(pk, keys.node_code_sk(node.code), node_id=node.id),
                    condition=NodeRecord.pk.does_not_exist(),
                )
                tx.save(
                    NodeRecord(
                        pk,
                        keys.node_sk(node.id),
                        node_id=node.id,
                        version=1,
                        doc=node.model_dump(mode="json"),
                    ),
                    condition=NodeRecord.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            if any(k.startswith("CODE#") for k in _failed_keys(exc, tx)):
                raise Conflict(
                    f"a node with code {node.code} already exists",
                    code="duplicate_node_code",
                    details={"code": node.code},
                ) from exc
            _raise_for_transaction(exc, "create node", tx)

    def all(self, tenant_id: str, day: str | None = None) -> list[Node]:
        """Every node of the tenant. With `day`, each node carries that day's order count: the
        counters share the nodes' partition, so nodes and counters come back from one query
        (sourcing loads its candidates this way)."""
        if day is None:
            records = NodeRecord.query(keys.nodes_pk(tenant_id), NodeRecord.sk.startswith("N#"))
            return [Node.model_validate(r.doc) for r in records]
        raw = _raw_partition(NodeRecord, keys.nodes_pk(tenant_id))
        counts: dict[str, int] = {}
        nodes: list[Node] = []
        today = f"CAP#{day}#"
        for item in raw:
            sk = item["sk"]["S"]
            if sk.startswith("N#"):
                nodes.append(Node.model_validate(json.loads(item["doc"]["S"])))
            elif sk.startswith(today):
                counts[sk[len(today) :]] = int(item.get("orders", {}).get("N", "0"))
        return [
            n.model_copy(update={"current_daily_orders": counts.get(n.id, 0), "capacity_date": day})
            for n in nodes
        ]

    def orders_on(self, tenant_id: str, node_id: str, day: str) -> int:
        try:
            record = NodeCapacityRecord.get(
                keys.nodes_pk(tenant_id), keys.node_capacity_sk(day, node_id), consistent_read=True
            )
        except DoesNotExist:
            return 0
        return int(record.orders or 0)

    def delete_counters_before(self, tenant_id: str, day: str) -> int:
        """The daily reset: drop the order counters of days before `day` (today's start at zero
        by key, so this keeps the partition, which sourcing reads whole, small)."""
        stale = NodeCapacityRecord.query(
            keys.nodes_pk(tenant_id),
            NodeCapacityRecord.sk.between("CAP#", f"CAP#{day}"),
        )
        deleted = 0
        with NodeCapacityRecord.batch_write() as batch:
            for record in stale:
                if record.sk < f"CAP#{day}":
                    batch.delete(record)
                    deleted += 1
        return deleted

    def get_with_version(self, tenant_id: str, node_id: str) -> tuple[Node, int] | None:
        try:
            record = NodeRecord.get(keys.nodes_pk(tenant_id), keys.node_sk(node_id), consistent_read=True)
        except DoesNotExist:
            return None
        return Node.model_validate(record.doc), int(record.version or 1)

    def replace(self, node: Node, expected_version: int) -> None:
        try:
            NodeRecord(
                keys.nodes_pk(node.tenant_id),
                keys.node_sk(node.id),
                node_id=node.id,
                version=expected_version + 1,
                doc=node.model_dump(mode="json"),
            ).save(condition=NodeRecord.version == expected_version)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the node changed meanwhile", code="concurrent_update") from exc
            raise TransientStoreError(str(exc)) from exc


class ProductRepository:
    def put(self, tenant_id: str, sku: str, name: str, price: Decimal) -> None:
        ProductRecord(keys.products_pk(tenant_id), sku, name=name, price=str(price)).save()

    def prices(self, tenant_id: str, skus: Iterable[str]) -> dict[str, Decimal]:
        wanted = [(keys.products_pk(tenant_id), sku) for sku in set(skus)]
        return {r.sk: Decimal(r.price) for r in ProductRecord.batch_get(wanted) if r.price is not None}


class VersionedDocuments:
    """Documents a merchant edits (sourcing rules, webhook endpoints, connectors): one partition
    per tenant (`T#<tenant>#<partition>`, sk `<prefix><id>`), each written whole and conditioned
    on the version it was read at, so two editors cannot overwrite each other unseen."""

    def __init__(self, model: Any, partition: str, prefix: str, noun: str) -> None:
        self.model, self.partition, self.prefix, self.noun = model, partition, prefix, noun

    def _key(self, tenant_id: str, doc_id: str) -> tuple[str, str]:
        return f"T#{tenant_id}#{self.partition}", f"{self.prefix}{doc_id}"

    def insert(self, tenant_id: str, doc_id: str, doc: dict[str, Any]) -> None:
        try:
            self.model(*self._key(tenant_id, doc_id), doc=doc, version=1).save(
                condition=self.model.pk.does_not_exist()
            )
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(f"{self.noun} {doc_id} already exists", code="duplicate_id") from exc
            raise TransientStoreError(str(exc)) from exc

    def get(self, tenant_id: str, doc_id: str) -> tuple[dict[str, Any], int] | None:
        try:
            record = self.model.get(*self._key(tenant_id, doc_id), consistent_read=True)
        except DoesNotExist:
            return None
        return dict(record.doc or {}), int(record.version or 1)

    def all(self, tenant_id: str) -> list[dict[str, Any]]:
        pk, prefix = self._key(tenant_id, "")
        return [dict(r.doc or {}) for r in self.model.query(pk, self.model.sk.startswith(prefix))]

    def replace(self, tenant_id: str, doc_id: str, doc: dict[str, Any], expected_version: int) -> None:
        try:
            self.model(*self._key(tenant_id, doc_id), doc=doc, version=expected_version + 1).save(
                condition=self.model.version == expected_version
            )
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(f"the {self.noun} changed meanwhile", code="concurrent_update") from exc
            raise TransientStoreError(str(exc)) from exc

    def delete(self, tenant_id: str, doc_id: str) -> bool:
        try:
            self.model(*self._key(tenant_id, doc_id)).delete(condition=self.model.pk.exists())
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError(str(exc)) from exc
        return True


class RuleRepository(VersionedDocuments):
    """Sourcing rules as validated documents; the service owns their shape."""

    def __init__(self) -> None:
        super().__init__(RuleRecord, "RULES", "R#", "sourcing rule")


# ====================================================================== stock
def _item_from(record: StockRecord) -> InventoryItem:
    return InventoryItem(
        id=record.item_id or "",
        tenant_id=record.tenant_id or "",
        node_id=record.node_id or "",
        sku=record.sku or "",
        product_name=record.product_name,
        on_hand=int(record.on_hand or 0),
        reserved=int(record.reserved or 0),
        available=int(record.available or 0),
        reorder_level=int(record.reorder_level or 0),
        version=int(record.version or 0),
        created_at=record.created_at or "",
        updated_at=record.updated_at or "",
    )


def _adjustment_record(tenant_id: str, adj: Adjustment) -> AdjustmentRecord:
    return AdjustmentRecord(
        keys.item_pk(tenant_id, adj.item_id),
        f"ADJ#{adj.created_at}#{adj.id}",
        doc=adj.model_dump(mode="json"),
    )


@dataclass(frozen=True)
class ReservationLine:
    """One (order, stock item) reservation as the repository writes it."""

    item_id: str
    node_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class ActiveReservation:
    tenant_id: str
    item_id: str
    order_id: str
    node_id: str
    sku: str
    quantity: int
    state: str
    expires_at: str


def _reservation_from(record: ReservationRecord) -> ActiveReservation:
    return ActiveReservation(
        tenant_id=record.tenant_id or "",
        item_id=record.item_id or "",
        order_id=record.order_id or "",
        node_id=record.node_id or "",
        sku=record.sku or "",
        quantity=int(record.quantity or 0),
        state=record.state or "",
        expires_at=record.expires_at or "",
    )


class StockRepository:
    # ---------------------------------------------------------------- reads
    def get(self, tenant_id: str, item_id: str, consistent: bool = True) -> InventoryItem | None:
        try:
            return _item_from(
                StockRecord.get(keys.item_pk(tenant_id, item_id), keys.ITEM_SK, consistent_read=consistent)
            )
        except DoesNotExist:
            return None

    def require(self, tenant_id: str, item_id: str) -> InventoryItem:
        item = self.get(tenant_id, item_id)
        if item is None:
            raise NotFound(f"inventory item {item_id} not found", code="inventory_item_not_found")
        return item

    def batch_get(
        self, tenant_id: str, item_ids: Iterable[str], consistent: bool = False
    ) -> list[InventoryItem]:
        wanted = [(keys.item_pk(tenant_id, iid), keys.ITEM_SK) for iid in dict.fromkeys(item_ids)]
        if not wanted:
            return []
        return [_item_from(r) for r in StockRecord.batch_get(wanted, consistent_read=consistent)]

    def ids_for_sku(self, tenant_id: str, sku: str) -> list[str]:
        return [r.pk.rsplit("#", 1)[-1] for r in StockRecord.by_sku.query(keys.items_by_sku(tenant_id, sku))]

    def list_ids(
        self, tenant_id: str, node_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        partition = keys.items_group(tenant_id)
        condition = StockRecord.gsi2sk.startswith(f"{node_id}#") if node_id else None
        start = decode_cursor(cursor, partition, "gsi2pk")
        result = StockRecord.by_group.query(
            partition, range_key_condition=condition, limit=limit, last_evaluated_key=start, page_size=limit
        )
        ids = [r.pk.rsplit("#", 1)[-1] for r in result]
        return ids, encode_cursor(result.last_evaluated_key)

    def all_ids(self, tenant_id: str) -> Iterator[str]:
        for r in StockRecord.by_group.query(keys.items_group(tenant_id)):
            yield r.pk.rsplit("#", 1)[-1]

    def adjustments(self, tenant_id: str, item_id: str, limit: int = 100) -> list[Adjustment]:
        """The item's stock movements, newest first: adjustment records plus shipped reservations
        (a committed reservation records its own sale, so shipping writes no second record)."""
        pk = keys.item_pk(tenant_id, item_id)
        movements = [
            Adjustment.model_validate(r.doc)
            for r in AdjustmentRecord.query(
                pk, AdjustmentRecord.sk.startswith("ADJ#"), scan_index_forward=False, limit=limit
            )
        ]
        for r in ReservationRecord.query(pk, ReservationRecord.sk.startswith("RES#")):
            if r.state == "COMMITTED" and r.commit:
                movements.append(Adjustment.model_validate(r.commit))
        return sorted(movements, key=lambda m: m.created_at, reverse=True)[:limit]

    def reservations_of_item(self, tenant_id: str, item_id: str) -> list[ActiveReservation]:
        records = ReservationRecord.query(
            keys.item_pk(tenant_id, item_id), ReservationRecord.sk.startswith("RES#"), consistent_read=True
        )
        return [_reservation_from(r) for r in records]

    def reservations_for_order(
        self, tenant_id: str, order_id: str, item_ids: Iterable[str]
    ) -> dict[str, ActiveReservation]:
        wanted = [
            (keys.item_pk(tenant_id, iid), keys.reservation_sk(order_id)) for iid in dict.fromkeys(item_ids)
        ]
        if not wanted:
            return {}
        return {
            r.item_id or "": _reservation_from(r)
            for r in ReservationRecord.batch_get(wanted, consistent_read=True)
        }

    # ---------------------------------------------------------------- writes
    def insert(self, item: InventoryItem) -> None:
        record = StockRecord(
            keys.item_pk(item.tenant_id, item.id),
            keys.ITEM_SK,
            item_id=item.id,
            tenant_id=item.tenant_id,
            node_id=item.node_id,
            sku=item.sku,
            product_name=item.product_name,
            on_hand=item.on_hand,
            reserved=0,
            available=item.on_hand,
            reorder_level=item.reorder_level,
            version=1,
            created_at=item.created_at,
            updated_at=item.updated_at,
            gsi1pk=keys.items_by_sku(item.tenant_id, item.sku),
            gsi1sk=item.node_id,
            gsi2pk=keys.items_group(item.tenant_id),
            gsi2sk=f"{item.node_id}#{item.sku}",
        )
        try:
            record.save(condition=StockRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(
                    f"node {item.node_id} already stocks {item.sku}",
                    code="duplicate_inventory_item",
                    details={"id": item.id},
                ) from exc
            raise TransientStoreError(str(exc)) from exc

    def update_fields(
        self,
        tenant_id: str,
        item_id: str,
        expected_version: int,
        now: str,
        product_name: str | None,
        reorder_level: int | None,
    ) -> None:
        actions: list[Action] = [StockRecord.version.add(1), StockRecord.updated_at.set(now)]
        if product_name is not None:
            actions.append(StockRecord.product_name.set(product_name))
        if reorder_level is not None:
            actions.append(StockRecord.reorder_level.set(reorder_level))
        try:
            StockRecord(keys.item_pk(tenant_id, item_id), keys.ITEM_SK).update(
                actions=actions, condition=StockRecord.version == expected_version
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the item changed meanwhile", code="concurrent_update") from exc
            raise TransientStoreError(str(exc)) from exc

    def apply_on_hand_changes(
        self,
        tenant_id: str,
        changes: Sequence[tuple[InventoryItem, int, int]],
        adjustments: Sequence[Adjustment],
        now: str,
        order: tuple[Order, int] | None = None,
        reservation_updates: Sequence[tuple[str, str, str, dict[str, Any] | None]] = (),
    ) -> None:
        """Atomically: per (item as read, delta on_hand, delta reserved) a versioned update, the
        adjustment log entries, optionally the new order version, and reservation state changes
        (item_id, order_id, new_state from ACTIVE)."""
        try:
            with TransactWrite(connection=_connection()) as tx:
                for item, d_on_hand, d_reserved in changes:
                    tx.update(
                        StockRecord(keys.item_pk(tenant_id, item.id), keys.ITEM_SK),
                        actions=[
                            StockRecord.on_hand.add(d_on_hand),
                            StockRecord.reserved.add(d_reserved),
                            StockRecord.available.add(d_on_hand - d_reserved),
                            StockRecord.version.add(1),
                            StockRecord.updated_at.set(now),
                        ],
                        condition=StockRecord.version == item.version,
                    )
                for adj in adjustments:
                    tx.save(
                        _adjustment_record(tenant_id, adj), condition=AdjustmentRecord.pk.does_not_exist()
                    )
                for item_id, order_id, state, commit in reservation_updates:
                    actions: list[Action] = [
                        ReservationRecord.state.set(state),
                        ReservationRecord.updated_at.set(now),
                    ]
                    if commit is not None:
                        actions.append(ReservationRecord.commit.set(commit))
                    tx.update(
                        ReservationRecord(keys.item_pk(tenant_id, item_id), keys.reservation_sk(order_id)),
                        actions=actions,
                        condition=ReservationRecord.state == "ACTIVE",
                    )
                if order is not None:
                    new_order, expected = order
                    tx.save(_order_record(new_order), condition=OrderRecord.version == expected)
        except TransactWriteError as exc:
            _raise_for_transaction(exc, "stock change", tx)

    def reserve(
        self,
        order: Order,
        expected_order_version: int,
        lines: Sequence[ReservationLine],
        now: str,
        expires_at: str,
        held: Mapping[str, int] | None = None,
        count_nodes: Sequence[tuple[str, int]] = (),
        day: str = "",
    ) -> None:
        """Make the order's reservations equal `lines` (per stock item), all or nothing, together
        with the order's new version.

        `held` is what the order already holds (item id -> quantity; a partial allocation kept
        while the rest was backordered): only the difference moves stock, a held item the new plan
        drops is released, and an unchanged one just has its expiry renewed. A taken quantity is
        conditioned on `available >= qty` (no read-modify-write on the hot path), so concurrent
        orders can never drive `available` below zero; a new reservation record is only put if
        none is active, so a retried step reserves once. `count_nodes` adds one order to each
        (node, daily capacity) counter for `day`, conditioned on staying within the capacity."""
        tenant_id = order.tenant_id
        held = dict(held or {})
        wanted = {line.item_id: line for line in lines}
        try:
            with TransactWrite(connection=_connection()) as tx:
                for item_id in dict.fromkeys([*wanted, *held]):
                    line = wanted.get(item_id)
                    before = held.get(item_id, 0)
                    after = line.quantity if line else 0
                    pk = keys.item_pk(tenant_id, item_id)
                    if after != before:
                        delta = after - before
                        tx.update(
                            StockRecord(pk, keys.ITEM_SK),
                            actions=[
                                StockRecord.available.add(-delta),
                                StockRecord.reserved.add(delta),
                                StockRecord.version.add(1),
                                StockRecord.updated_at.set(now),
                            ],
                            condition=(StockRecord.available >= delta) if delta > 0 else None,
                        )
                    reservation = ReservationRecord(pk, keys.reservation_sk(order.id))
                    if line is None:  # held, no longer wanted
                        tx.update(
                            reservation,
                            actions=[
                                ReservationRecord.state.set("RELEASED"),
                                ReservationRecord.updated_at.set(now),
                            ],
                            condition=(ReservationRecord.state == "ACTIVE")
                            & (ReservationRecord.quantity == before),
                        )
                    elif before:  # held and still wanted: resize and renew
                        tx.update(
                            reservation,
                            actions=[
                                ReservationRecord.quantity.set(after),
                                ReservationRecord.expires_at.set(expires_at),
                                ReservationRecord.updated_at.set(now),
                            ],
                            condition=(ReservationRecord.state == "ACTIVE")
                            & (ReservationRecord.quantity == before),
                        )
                    else:
                        tx.save(
                            ReservationRecord(
                                pk,
                                keys.reservation_sk(order.id),
                                tenant_id=tenant_id,
                                item_id=item_id,
                                order_id=order.id,
                                node_id=line.node_id,
                                sku=line.sku,
                                quantity=after,
                                state="ACTIVE",
                                expires_at=expires_at,
                                created_at=now,
                                updated_at=now,
                            ),
                            # an expired or released earlier reservation of this order may be
                            # replaced (a re-source); an active one never
                            condition=ReservationRecord.pk.does_not_exist()
                            | ReservationRecord.state.is_in("EXPIRED", "RELEASED"),
                        )
                for node_id, capacity in count_nodes:
                    tx.update(
                        NodeCapacityRecord(keys.nodes_pk(tenant_id), keys.node_capacity_sk(day, node_id)),
                        actions=[
                            NodeCapacityRecord.orders.add(1),
                            NodeCapacityRecord.node_id.set(node_id),
                            NodeCapacityRecord.day.set(day),
                        ],
                        condition=NodeCapacityRecord.orders.does_not_exist()
                        | (NodeCapacityRecord.orders < capacity),
                    )
                tx.save(_order_record(order), condition=OrderRecord.version == expected_order_version)
        except TransactWriteError as exc:
            if any(k.startswith("CAP#") for k in _failed_keys(exc, tx)):
                raise StockConflict("reserve: a node reached its daily capacity meanwhile") from exc
            _raise_for_transaction(exc, "reserve", tx)

    def release(
        self,
        tenant_id: str,
        order_id: str,
        lines: Sequence[ReservationLine],
        now: str,
        new_state: str,
        order: tuple[Order, int] | None,
    ) -> None:
        """Give reserved stock back, once: each reservation moves ACTIVE -> new_state under a
        condition, in the same transaction as the counters (and the order, when given)."""
        try:
            with TransactWrite(connection=_connection()) as tx:
                for line in lines:
                    tx.update(
                        ReservationRecord(
                            keys.item_pk(tenant_id, line.item_id), keys.reservation_sk(order_id)
                        ),
                        actions=[
                            ReservationRecord.state.set(new_state),
                            ReservationRecord.updated_at.set(now),
                        ],
                        condition=ReservationRecord.state == "ACTIVE",
                    )
                    tx.update(
                        StockRecord(keys.item_pk(tenant_id, line.item_id), keys.ITEM_SK),
                        actions=[
                            StockRecord.reserved.add(-line.quantity),
                            StockRecord.available.add(line.quantity),
                            StockRecord.version.add(1),
                            StockRecord.updated_at.set(now),
                        ],
                        condition=StockRecord.reserved >= line.quantity,
                    )
                if order is not None:
                    new_order, expected = order
                    tx.save(_order_record(new_order), condition=OrderRecord.version == expected)
        except TransactWriteError as exc:
            _raise_for_transaction(exc, "release", tx)

    def extend_reservation(
        self, tenant_id: str, item_id: str, order_id: str, old_expiry: str, new_expiry: str, now: str
    ) -> None:
        try:
            ReservationRecord(keys.item_pk(tenant_id, item_id), keys.reservation_sk(order_id)).update(
                actions=[
                    ReservationRecord.expires_at.set(new_expiry),
                    ReservationRecord.updated_at.set(now),
                ],
                condition=(ReservationRecord.state == "ACTIVE")
                & (ReservationRecord.expires_at == old_expiry),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise TransientStoreError(str(exc)) from exc

    def repair_reserved(
        self, item: InventoryItem, correct_reserved: int, adjustment: Adjustment, now: str
    ) -> bool:
        """Set `reserved` to the sum of open reservations if the item did not change since read."""
        delta = correct_reserved - item.reserved
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    StockRecord(keys.item_pk(item.tenant_id, item.id), keys.ITEM_SK),
                    actions=[
                        StockRecord.reserved.set(correct_reserved),
                        StockRecord.available.add(-delta),
                        StockRecord.version.add(1),
                        StockRecord.updated_at.set(now),
                    ],
                    condition=StockRecord.version == item.version,
                )
                tx.save(
                    _adjustment_record(item.tenant_id, adjustment),
                    condition=AdjustmentRecord.pk.does_not_exist(),
                )
            return True
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc):
                return False
            _raise_for_transaction(exc, "reconcile", tx)
            return False


# ====================================================================== directory
@dataclass(frozen=True)
class StoredUser:
    user_id: str
    tenant_id: str
    email: str
    name: str
    role: str
    password_hash: str
    active: bool


class DirectoryRepository:
    def put_tenant(self, tenant_id: str, name: str, now: str) -> None:
        TenantRecord(keys.tenant_pk(), tenant_id, name=name, status="ACTIVE", created_at=now).save()

    def tenant_ids(self) -> list[str]:
        return [r.sk for r in TenantRecord.query(keys.tenant_pk())]

    def put_user(self, user: StoredUser, now: str, overwrite: bool = False) -> bool:
        record = UserRecord(
            keys.user_pk(user.email),
            "USER",
            user_id=user.user_id,
            tenant_id=user.tenant_id,
            email=user.email.lower(),
            name=user.name,
            role=user.role,
            password_hash=user.password_hash,
            active="true" if user.active else "false",
            created_at=now,
        )
        try:
            record.save(condition=None if overwrite else UserRecord.pk.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError(str(exc)) from exc

    def user_by_email(self, email: str) -> StoredUser | None:
        try:
            r = UserRecord.get(keys.user_pk(email), "USER")
        except DoesNotExist:
            return None
        return StoredUser(
            user_id=r.user_id or "",
            tenant_id=r.tenant_id or "",
            email=r.email or "",
            name=r.name or "",
            role=r.role or "USER",
            password_hash=r.password_hash or "",
            active=r.active == "true",
        )


def new_id() -> str:
    return str(uuid.uuid4())


# ====================================================================== webhooks
def _deliveries_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#DELIVERIES"


class WebhookRepository(VersionedDocuments):
    """Endpoints (versioned documents) and deliveries (one per event and endpoint)."""

    def __init__(self) -> None:
        super().__init__(WebhookEndpointRecord, "WEBHOOKS", "EP#", "webhook endpoint")

    def insert_delivery(self, tenant_id: str, delivery: dict[str, Any], expires_at_epoch: int) -> bool:
        """False if this delivery (same event, same endpoint) exists already."""
        try:
            DeliveryRecord(
                _deliveries_pk(tenant_id),
                f"D#{delivery['id']}",
                state=delivery["state"],
                endpoint_id=delivery["endpoint_id"],
                attempt_count=0,
                doc=delivery,
                expires_at_epoch=expires_at_epoch,
            ).save(condition=DeliveryRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError(str(exc)) from exc
        return True

    def delivery(self, tenant_id: str, delivery_id: str) -> dict[str, Any] | None:
        try:
            record = DeliveryRecord.get(_deliveries_pk(tenant_id), f"D#{delivery_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return dict(record.doc or {})

    def save_attempt(self, tenant_id: str, delivery: dict[str, Any], expected_attempts: int) -> bool:
        """Record an attempt's outcome; False if another worker recorded this attempt first."""
        try:
            DeliveryRecord(_deliveries_pk(tenant_id), f"D#{delivery['id']}").update(
                actions=[
                    DeliveryRecord.state.set(delivery["state"]),
                    DeliveryRecord.attempt_count.set(len(delivery["attempts"])),
                    DeliveryRecord.doc.set(delivery),
                ],
                condition=DeliveryRecord.attempt_count == expected_attempts,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError(str(exc)) from exc
        return True

    def deliveries(
        self, tenant_id: str, limit: int, cursor: str | None, endpoint_id: str | None, state: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        partition = _deliveries_pk(tenant_id)
        condition = None
        if endpoint_id:
            condition = DeliveryRecord.endpoint_id == endpoint_id
        if state:
            by_state = DeliveryRecord.state == state
            condition = by_state if condition is None else condition & by_state
        result = DeliveryRecord.query(
            partition,
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, partition, "pk"),
            page_size=limit,
        )
        items = [dict(r.doc or {}) for r in result]
        return items, encode_cursor(result.last_evaluated_key)


# ====================================================================== connectors & logs
def _log_expiry(days: int = 30) -> int:
    return int(time.time() + days * 86400)


class ConnectorRepository(VersionedDocuments):
    """Connector configurations (versioned documents) and the inbound events they claimed."""

    def __init__(self) -> None:
        super().__init__(ConnectorRecord, "CONNECTORS", "C#", "connector")

    def claim(self, tenant_id: str, connector_id: str, event_id: str) -> str | None:
        """Claim an inbound event: None if it is new (claimed now), else the state found."""
        pk = f"T#{tenant_id}#SEEN#{connector_id}"
        try:
            ClaimRecord(pk, event_id, state="CLAIMED", expires_at_epoch=_log_expiry(7)).save(
                condition=ClaimRecord.pk.does_not_exist()
            )
            return None
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise TransientStoreError(str(exc)) from exc
        try:
            return str(ClaimRecord.get(pk, event_id, consistent_read=True).state or "CLAIMED")
        except DoesNotExist:
            return "CLAIMED"

    def finish_claim(self, tenant_id: str, connector_id: str, event_id: str) -> None:
        ClaimRecord(f"T#{tenant_id}#SEEN#{connector_id}", event_id).update(
            actions=[ClaimRecord.state.set("DONE")]
        )


class LogRepository:
    """Connector event logs and the worker task log."""

    def append(self, pk: str, at: str, doc: dict[str, Any], days: int = 30) -> None:
        LogRecord(pk, f"{at}#{uuid.uuid4().hex[:12]}", doc=doc, expires_at_epoch=_log_expiry(days)).save()

    def page(self, pk: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        result = LogRecord.query(
            pk,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, pk, "pk"),
            page_size=limit,
        )
        items = [dict(r.doc or {}) for r in result]
        return items, encode_cursor(result.last_evaluated_key)


class JobLeaseRepository:
    """One runner per (tenant, job): a lease taken with a conditional put, expiring on its own if
    its runner dies; a run asked for while the lease is held is remembered, not lost."""

    def acquire(self, tenant_id: str, job: str, owner: str, seconds: int) -> bool:
        now = int(time.time())
        try:
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job, owner=owner, expires_at=now + seconds, rerun=0).save(
                condition=JobLeaseRecord.pk.does_not_exist() | (JobLeaseRecord.expires_at < now)
            )
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError(str(exc)) from exc
        return True

    def request_rerun(self, tenant_id: str, job: str) -> None:
        with contextlib.suppress(UpdateError):  # the lease ended meanwhile: the caller runs next time
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job).update(
                actions=[JobLeaseRecord.rerun.set(1)], condition=JobLeaseRecord.pk.exists()
            )

    def take_rerun(self, tenant_id: str, job: str, owner: str) -> bool:
        """True (and the request cleared) if a rerun was asked for while `owner` held the lease."""
        try:
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job).update(
                actions=[JobLeaseRecord.rerun.set(0)],
                condition=(JobLeaseRecord.owner == owner) & (JobLeaseRecord.rerun == 1),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError(str(exc)) from exc
        return True

    def release(self, tenant_id: str, job: str, owner: str) -> None:
        with contextlib.suppress(DeleteError):  # expired and taken by another runner: not ours
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job).delete(condition=JobLeaseRecord.owner == owner)


# A call DynamoDB still refuses after the SDK's retries is a TransientStoreError (data/busy.py).
from oms.data.busy import transient_when_busy  # noqa: E402 - applied to the classes above

transient_when_busy(
    OrderRepository,
    NodeRepository,
    ProductRepository,
    VersionedDocuments,
    RuleRepository,
    StockRepository,
    DirectoryRepository,
    WebhookRepository,
    ConnectorRepository,
    LogRepository,
    JobLeaseRepository,
)
