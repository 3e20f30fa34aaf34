"""Connector configurations, the inbound events they claimed, and the connector-id index.

The index (pk=`CONNECTOR#<id>`, sk=`OWNER`, one per connector, outside every tenant partition)
lets the public receiver `POST /connectors/{id}/webhook` find a connector's tenant without a
token. It is written in the same transaction as the connector, on the condition that the id is
new, so an id names exactly one tenant's connector; it holds nothing but that tenant's id (the
secret that authenticates a delivery stays in the tenant's partition). ADR 0016."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from oms.data.base import connection, log_expiry, store_error
from oms.data.documents import VersionedDocuments
from oms.data.records import ClaimRecord, ConnectorIndexRecord, ConnectorRecord
from oms.domain.errors import Conflict

OWNER_SK = "OWNER"


def _index_key(connector_id: str) -> tuple[str, str]:
    return f"CONNECTOR#{connector_id}", OWNER_SK


class ConnectorRepository(VersionedDocuments):
    """Connector configurations (versioned documents) and the inbound events they claimed."""

    def __init__(self) -> None:
        super().__init__(ConnectorRecord, "CONNECTORS", "C#", "connector")

    # ------------------------------------------------------------ documents and their index
    def insert(self, tenant_id: str, doc_id: str, doc: dict[str, Any]) -> None:
        """The connector and its index entry, together or not at all."""
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(
                    ConnectorRecord(*self._key(tenant_id, doc_id), doc=doc, version=1),
                    condition=ConnectorRecord.pk.does_not_exist(),
                )
                tx.save(
                    ConnectorIndexRecord(*_index_key(doc_id), tenant_id=tenant_id),
                    condition=ConnectorIndexRecord.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            reasons = [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]
            if "ConditionalCheckFailed" in reasons:
                raise Conflict(f"connector {doc_id} already exists", code="duplicate_id") from exc
            raise store_error(exc, "connector") from exc

    def index(self, tenant_id: str, connector_id: str) -> None:
        """Write the index entry of a connector made before the index existed (idempotent; an
        entry naming another tenant is never overwritten)."""
        try:
            ConnectorIndexRecord(*_index_key(connector_id), tenant_id=tenant_id).save(
                condition=ConnectorIndexRecord.pk.does_not_exist()
            )
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "connector") from exc

    def owner(self, connector_id: str) -> str | None:
        """The tenant a connector id belongs to (None: no such connector)."""
        try:
            return str(ConnectorIndexRecord.get(*_index_key(connector_id)).tenant_id)
        except DoesNotExist:
            return None

    def delete(self, tenant_id: str, doc_id: str) -> bool:
        if not super().delete(tenant_id, doc_id):
            return False
        try:  # the index entry goes with it; one naming another tenant stays
            ConnectorIndexRecord(*_index_key(doc_id)).delete(
                condition=ConnectorIndexRecord.tenant_id == tenant_id
            )
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "connector") from exc
        return True

    # ------------------------------------------------------------ inbound events
    def claim(self, tenant_id: str, connector_id: str, event_id: str) -> str | None:
        """Claim an inbound event: None if it is new (claimed now), else the state found."""
        pk = f"T#{tenant_id}#SEEN#{connector_id}"
        try:
            ClaimRecord(pk, event_id, state="CLAIMED", expires_at_epoch=log_expiry(7)).save(
                condition=ClaimRecord.pk.does_not_exist()
            )
            return None
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "connector event claim") from exc
        try:
            return str(ClaimRecord.get(pk, event_id, consistent_read=True).state or "CLAIMED")
        except DoesNotExist:
            return "CLAIMED"

    def finish_claim(self, tenant_id: str, connector_id: str, event_id: str) -> None:
        ClaimRecord(f"T#{tenant_id}#SEEN#{connector_id}", event_id).update(
            actions=[ClaimRecord.state.set("DONE")]
        )
