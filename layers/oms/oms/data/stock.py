"""Stock items, adjustments and reservations (every change one conditional transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import (
    cancellation_reasons,
    connection,
    decode_cursor,
    encode_cursor,
    failed_keys,
    raise_for_transaction,
    store_error,
)
from oms.data.orders import order_record
from oms.data.records import AdjustmentRecord, NodeCapacityRecord, OrderRecord, ReservationRecord, StockRecord
from oms.domain.errors import Conflict, NotFound, StockConflict
from oms.domain.models import Order
from oms.domain.network import Adjustment, InventoryItem


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
        reorder_quantity=int(record.reorder_quantity or 0),
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
            reorder_quantity=item.reorder_quantity or None,
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
            raise store_error(exc, "stock record") from exc

    def update_fields(
        self,
        tenant_id: str,
        item_id: str,
        expected_version: int,
        now: str,
        product_name: str | None,
        reorder_level: int | None,
        reorder_quantity: int | None = None,
    ) -> None:
        actions: list[Action] = [StockRecord.version.add(1), StockRecord.updated_at.set(now)]
        if product_name is not None:
            actions.append(StockRecord.product_name.set(product_name))
        if reorder_level is not None:
            actions.append(StockRecord.reorder_level.set(reorder_level))
        if reorder_quantity is not None:
            actions.append(StockRecord.reorder_quantity.set(reorder_quantity))
        try:
            StockRecord(keys.item_pk(tenant_id, item_id), keys.ITEM_SK).update(
                actions=actions, condition=StockRecord.version == expected_version
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the item changed meanwhile", code="concurrent_update") from exc
            raise store_error(exc, "stock record") from exc

    def apply_on_hand_changes(
        self,
        tenant_id: str,
        changes: Sequence[tuple[InventoryItem, int, int]],
        adjustments: Sequence[Adjustment],
        now: str,
        order: tuple[Order, int] | None = None,
        reservation_updates: Sequence[tuple[str, str, str, dict[str, Any] | None]] = (),
        also: Sequence[tuple[Any, Any]] = (),
    ) -> None:
        """Atomically: per (item as read, delta on_hand, delta reserved) a versioned update, the
        adjustment log entries, optionally the new order version, reservation state changes
        (item_id, order_id, new_state from ACTIVE), and other records to save under a condition
        (`also`: (record, condition); a return received, ADR 0038)."""
        try:
            with TransactWrite(connection=connection()) as tx:
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
                    tx.save(order_record(new_order), condition=OrderRecord.version == expected)
                for record, condition in also:
                    tx.save(record, condition=condition)
        except TransactWriteError as exc:
            raise_for_transaction(exc, "stock change", tx)

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
            with TransactWrite(connection=connection()) as tx:
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
                tx.save(order_record(order), condition=OrderRecord.version == expected_order_version)
        except TransactWriteError as exc:
            if any(k.startswith("CAP#") for k in failed_keys(exc, tx)):
                raise StockConflict("reserve: a node reached its daily capacity meanwhile") from exc
            raise_for_transaction(exc, "reserve", tx)

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
            with TransactWrite(connection=connection()) as tx:
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
                    tx.save(order_record(new_order), condition=OrderRecord.version == expected)
        except TransactWriteError as exc:
            raise_for_transaction(exc, "release", tx)

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
                raise store_error(exc, "stock record") from exc

    def repair_reserved(
        self, item: InventoryItem, correct_reserved: int, adjustment: Adjustment, now: str
    ) -> bool:
        """Set `reserved` to the sum of open reservations if the item did not change since read."""
        delta = correct_reserved - item.reserved
        try:
            with TransactWrite(connection=connection()) as tx:
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
            if "ConditionalCheckFailed" in cancellation_reasons(exc):
                return False
            raise_for_transaction(exc, "reconcile", tx)
            return False
