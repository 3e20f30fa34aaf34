"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from oms.data.base import decode_cursor, encode_cursor, store_error
from oms.data.documents import VersionedDocuments
from oms.data.records import DeliveryRecord, WebhookEndpointRecord


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
