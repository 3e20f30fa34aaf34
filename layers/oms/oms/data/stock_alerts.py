"""Stock alerts as stored (layout: oms.data.records_alerts; ADR 0039). Every write of an item's
alert state is conditioned on the version it was read at, so two deciders (the stream consumer
and the scan) never both apply a transition: the loser reads again and decides again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from oms.data.base import cancellation_reasons, connection, decode_cursor, encode_cursor, store_error
from oms.data.records_alerts import StockAlertRecord
from oms.domain.errors import TransientStoreError
from oms.domain.stock_alerts import AlertKind, AlertState, ItemAlert, Transition

CURRENT = "CURRENT"
SCAN_PK, SCAN_SK = "SYS#STOCK_ALERTS", "SCAN"
_FIELDS = {f.name for f in fields(ItemAlert)}


def alert_pk(tenant_id: str, item_id: str) -> str:
    return f"T#{tenant_id}#SA#{item_id}"


def alerts_group(tenant_id: str, state: AlertState) -> str:
    return f"T#{tenant_id}#ALERTS#{state.value}"


def _doc(alert: ItemAlert) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(alert).items()}


def _alert(doc: dict[str, Any]) -> ItemAlert:
    values = {k: v for k, v in doc.items() if k in _FIELDS}
    for name, enum in (("kind", AlertKind), ("state", AlertState), ("last_transition", Transition)):
        if values.get(name):
            values[name] = enum(values[name])
    for name in ("available", "reorder_level", "applied_version", "transitions", "raises"):
        values[name] = int(values.get(name) or 0)
    return ItemAlert(**values)


def _kind(alert: ItemAlert) -> str:
    return alert.kind.value if alert.kind else ""


def _history_sk(alert: ItemAlert) -> str:
    return f"H#{alert.resolved_at}#{alert.alert_id}"


class StockAlertRepository:
    # ---------------------------------------------------------------- an item's alert state
    def get(self, tenant_id: str, item_id: str) -> tuple[ItemAlert, int] | None:
        try:
            record = StockAlertRecord.get(alert_pk(tenant_id, item_id), CURRENT, consistent_read=True)
        except DoesNotExist:
            return None
        return _alert(dict(record.doc or {})), int(record.version or 0)

    def get_many(self, tenant_id: str, item_ids: Iterable[str]) -> dict[str, tuple[ItemAlert, int]]:
        wanted = [(alert_pk(tenant_id, i), CURRENT) for i in dict.fromkeys(item_ids)]
        if not wanted:
            return {}
        found = {}
        for record in StockAlertRecord.batch_get(wanted, consistent_read=True):
            alert = _alert(dict(record.doc or {}))
            found[alert.item_id] = (alert, int(record.version or 0))
        return found

    def save(self, alert: ItemAlert, expected: int | None, resolved: ItemAlert | None = None) -> bool:
        """Store an item's alert state if it is still at `expected` (None: not stored yet), and the
        resolved alert's history record with it. False if somebody else wrote it meanwhile."""
        current = self._current(alert, (expected or 0) + 1)
        condition = (
            StockAlertRecord.pk.does_not_exist() if expected is None else StockAlertRecord.version == expected
        )
        if resolved is None:
            try:
                current.save(condition=condition)
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise store_error(exc, "stock alert") from exc
            return True
        history = StockAlertRecord(
            alert_pk(alert.tenant_id, alert.item_id),
            _history_sk(resolved),
            doc=_doc(resolved),
            version=1,
            gsi2pk=alerts_group(alert.tenant_id, AlertState.RESOLVED),
            gsi2sk=f"{_kind(resolved)}#{resolved.resolved_at}#{resolved.alert_id}",
        )

        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(current, condition=condition)
                tx.save(history, condition=StockAlertRecord.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = cancellation_reasons(exc)
            if "ConditionalCheckFailed" in reasons:
                return False
            raise TransientStoreError("stock alert: storage busy, retry") from exc
        return True

    def mark_sent(self, alert: ItemAlert, version: int) -> bool:
        """The alert's pending event was sent: clear `pending` if nothing changed meanwhile."""
        doc = {**_doc(alert), "pending": False}
        try:
            StockAlertRecord(alert_pk(alert.tenant_id, alert.item_id), CURRENT).update(
                actions=[StockAlertRecord.doc.set(doc), StockAlertRecord.version.add(1)],
                condition=StockAlertRecord.version == version,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "stock alert") from exc
        return True

    def _current(self, alert: ItemAlert, version: int) -> StockAlertRecord:
        record = StockAlertRecord(alert_pk(alert.tenant_id, alert.item_id), CURRENT, doc=_doc(alert))
        record.version = version
        if alert.state == AlertState.OPEN and alert.kind is not None:
            record.gsi2pk = alerts_group(alert.tenant_id, AlertState.OPEN)
            record.gsi2sk = f"{_kind(alert)}#{alert.node_id}#{alert.sku}#{alert.item_id}"
        return record

    # ---------------------------------------------------------------- listings
    def page(
        self,
        tenant_id: str,
        state: AlertState,
        kind: AlertKind | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[ItemAlert], str | None]:
        """One page of a tenant's OPEN or RESOLVED alerts (of one kind), from the group index."""
        partition = alerts_group(tenant_id, state)
        condition = StockAlertRecord.gsi2sk.startswith(f"{kind.value}#") if kind else None
        result = StockAlertRecord.by_group.query(
            partition,
            range_key_condition=condition,
            limit=limit,
            page_size=limit,
            scan_index_forward=state == AlertState.OPEN,  # resolved: the latest first (per kind)
            last_evaluated_key=decode_cursor(cursor, partition, "gsi2pk"),
        )
        keys = [(r.pk, r.sk) for r in result]
        found = {(r.pk, r.sk): r for r in StockAlertRecord.batch_get(keys)} if keys else {}
        alerts = [_alert(dict(found[k].doc or {})) for k in keys if k in found]
        if state == AlertState.OPEN:  # the index lags a write: an alert resolved meanwhile
            alerts = [a for a in alerts if a.state == AlertState.OPEN]
        return alerts, encode_cursor(result.last_evaluated_key)

    def count_open(self, tenant_id: str) -> dict[AlertKind, int]:
        partition = alerts_group(tenant_id, AlertState.OPEN)
        return {
            kind: StockAlertRecord.by_group.count(
                partition, range_key_condition=StockAlertRecord.gsi2sk.startswith(f"{kind.value}#")
            )
            for kind in AlertKind
        }

    # ---------------------------------------------------------------- the scan's place
    def scan_position(self) -> tuple[dict[str, Any], int] | None:
        try:
            record = StockAlertRecord.get(SCAN_PK, SCAN_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return dict(record.doc or {}), int(record.version or 0)

    def set_scan_position(self, position: dict[str, Any], expected: int | None) -> bool:
        record = StockAlertRecord(SCAN_PK, SCAN_SK, doc=position, version=(expected or 0) + 1)
        condition = (
            StockAlertRecord.pk.does_not_exist() if expected is None else StockAlertRecord.version == expected
        )
        try:
            record.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "stock alert scan position") from exc
        return True
