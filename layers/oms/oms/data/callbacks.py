"""The callback ledger of an order (its refused callbacks, counted) and the refused callbacks kept
in detail (ADR 0018). Both live in the order's partition of the orders table: the ledger sorts
between the body and the header, so reading an order reads it too."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError, QueryError

from oms.data import keys
from oms.data.base import decode_cursor, encode_cursor, store_error
from oms.data.orders import ledger_from
from oms.data.records import OrderRecord, RejectedCallbackRecord
from oms.domain.audit import CallbackLedger
from oms.domain.errors import Conflict, ValidationFailed

_TRIES = 5


class CallbackRepository:
    def ledger(self, tenant_id: str, order_id: str) -> CallbackLedger:
        """Read again after a lost race (a query: the functions that count refusals read orders
        by query and are granted no GetItem)."""
        try:
            for record in OrderRecord.query(
                keys.order_pk(tenant_id, order_id),
                OrderRecord.sk == keys.ORDER_CALLBACKS_SK,
                consistent_read=True,
            ):
                return ledger_from(record)
        except QueryError as exc:
            raise store_error(exc, "callback ledger") from exc
        return CallbackLedger()

    def count_refusal(
        self, tenant_id: str, order_id: str, ledger: CallbackLedger, day: str, minute: int
    ) -> CallbackLedger:
        """Count one refused callback. `ledger` is the version read with the order; a concurrent
        count makes this one read the ledger again and count on top (conditional put)."""
        pk = keys.order_pk(tenant_id, order_id)
        for _ in range(_TRIES):
            counted = ledger.counting(day, minute)
            condition = (
                OrderRecord.version == ledger.version if ledger.version else OrderRecord.pk.does_not_exist()
            )
            try:
                OrderRecord(
                    pk,
                    keys.ORDER_CALLBACKS_SK,
                    version=counted.version,
                    doc=counted.model_dump(mode="json", exclude={"version"}),
                ).save(condition=condition)
                return counted
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise store_error(exc, "callback ledger") from exc
            ledger = self.ledger(tenant_id, order_id)
        raise Conflict("the order's callback ledger is busy; retry", code="concurrent_update")

    def keep_refusal(
        self, tenant_id: str, order_id: str, day: str, number: int, doc: dict[str, Any], expires_at: int
    ) -> None:
        """Keep the details of the `number`th refused callback of `day` (a retried count puts the
        same key again)."""
        try:
            RejectedCallbackRecord(
                keys.order_pk(tenant_id, order_id),
                keys.rejected_sk(day, number),
                doc=doc,
                expires_at_epoch=expires_at,
            ).save()
        except PutError as exc:
            raise store_error(exc, "refused callback") from exc

    def refused(
        self, tenant_id: str, order_id: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Refused callbacks kept in detail, newest first."""
        pk = keys.order_pk(tenant_id, order_id)
        start = decode_cursor(cursor, pk, "pk")
        if start is not None and not str((start.get("sk") or {}).get("S", "")).startswith(
            keys.REJECTED_PREFIX
        ):
            raise ValidationFailed(
                "invalid cursor",
                details=[{"loc": ["cursor"], "msg": "not a cursor of this list", "type": "value_error"}],
            )
        result = RejectedCallbackRecord.query(
            pk,
            RejectedCallbackRecord.sk.startswith(keys.REJECTED_PREFIX),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
            page_size=limit,
        )
        items = [dict(r.doc or {}) for r in result]
        return items, encode_cursor(result.last_evaluated_key)
