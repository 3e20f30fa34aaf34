"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from oms.data.base import (
    cancellation_reasons,
    connection,
    decode_cursor,
    encode_cursor,
    failed_keys,
    raise_for_transaction,
    store_error,
)
from oms.data.documents import VersionedDocuments
from oms.data.records import CounterRecord, DeliveryRecord, WebhookEndpointRecord
from oms.domain.errors import Conflict

COUNT_SK = "#COUNT"  # beside the endpoints (sk EP#...), outside their prefix
_BUSY_TRIES = 3


def _busy(exc: TransactWriteError) -> bool:
    """Another transaction held the counter (concurrent creates): worth trying again at once."""
    return "TransactionConflict" in cancellation_reasons(exc)


def _deliveries_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#DELIVERIES"


class WebhookRepository(VersionedDocuments):
    """Endpoints (versioned documents) and deliveries (one per event and endpoint)."""

    def __init__(self) -> None:
        super().__init__(WebhookEndpointRecord, "WEBHOOKS", "EP#", "webhook endpoint")

    # ---------------------------------------------------------------- endpoints, counted
    def _ensure_counter(self, tenant_id: str) -> str:
        """The partition's endpoint counter, created from a count of the endpoints when missing
        (tenants from before the limit). Every counted write needs it to exist, so nothing can be
        added while it is being created: the count it starts from is exact."""
        pk = self._key(tenant_id, "")[0]
        try:
            CounterRecord.get(pk, COUNT_SK, consistent_read=True)
            return pk
        except DoesNotExist:
            pass
        try:
            CounterRecord(pk, COUNT_SK, total=len(self.all(tenant_id))).save(
                condition=CounterRecord.pk.does_not_exist()
            )
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "webhook endpoint counter") from exc
        return pk

    def count(self, tenant_id: str) -> int:
        pk = self._ensure_counter(tenant_id)
        return int(CounterRecord.get(pk, COUNT_SK, consistent_read=True).total or 0)

    def insert_within(self, tenant_id: str, doc_id: str, doc: dict[str, Any], limit: int) -> bool:
        """Insert an endpoint and count it, in one transaction conditioned on the count staying
        within `limit`: concurrent inserts cannot pass it. False: the limit is reached."""
        pk = self._ensure_counter(tenant_id)
        sk = self._key(tenant_id, doc_id)[1]
        for attempt in range(_BUSY_TRIES):
            tx = TransactWrite(connection=connection())
            try:
                with tx:
                    tx.save(self.model(pk, sk, doc=doc, version=1), condition=self.model.pk.does_not_exist())
                    tx.update(
                        CounterRecord(pk, COUNT_SK),
                        actions=[CounterRecord.total.add(1)],
                        condition=CounterRecord.total < limit,
                    )
                return True
            except TransactWriteError as exc:
                failed = failed_keys(exc, tx)
                if COUNT_SK in failed:
                    return False
                if sk in failed:
                    raise Conflict(f"webhook endpoint {doc_id} already exists", code="duplicate_id") from exc
                if not _busy(exc) or attempt + 1 == _BUSY_TRIES:
                    raise_for_transaction(exc, "webhook endpoint", tx)
        return False  # not reached: the last attempt returns or raises

    def delete(self, tenant_id: str, doc_id: str) -> bool:
        """Delete an endpoint and uncount it, together. False if there was no such endpoint."""
        pk = self._ensure_counter(tenant_id)
        sk = self._key(tenant_id, doc_id)[1]
        for attempt in range(_BUSY_TRIES):
            tx = TransactWrite(connection=connection())
            try:
                with tx:
                    tx.delete(self.model(pk, sk), condition=self.model.pk.exists())
                    tx.update(
                        CounterRecord(pk, COUNT_SK),
                        actions=[CounterRecord.total.add(-1)],
                        condition=CounterRecord.total.exists(),
                    )
                return True
            except TransactWriteError as exc:
                if sk in failed_keys(exc, tx):
                    return False
                if not _busy(exc) or attempt + 1 == _BUSY_TRIES:
                    raise_for_transaction(exc, "webhook endpoint", tx)
        return False  # not reached

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
            raise store_error(exc, "webhook delivery") from exc
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
            raise store_error(exc, "webhook delivery") from exc
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


class NotificationSettings(VersionedDocuments):
    """A tenant's notification targets beside its webhooks (pk=T#<tenant>#NOTIFY, sk=CH#slack):
    one versioned document per channel, its URL sealed (a Slack incoming-webhook URL is a
    credential)."""

    def __init__(self) -> None:
        super().__init__(WebhookEndpointRecord, "NOTIFY", "CH#", "notification settings")
