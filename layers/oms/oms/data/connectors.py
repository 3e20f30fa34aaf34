"""Connector configurations and the inbound events they claimed."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from oms.data.base import log_expiry
from oms.data.documents import VersionedDocuments
from oms.data.records import ClaimRecord, ConnectorRecord
from oms.domain.errors import TransientStoreError


class ConnectorRepository(VersionedDocuments):
    """Connector configurations (versioned documents) and the inbound events they claimed."""

    def __init__(self) -> None:
        super().__init__(ConnectorRecord, "CONNECTORS", "C#", "connector")

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
                raise TransientStoreError(str(exc)) from exc
        try:
            return str(ClaimRecord.get(pk, event_id, consistent_read=True).state or "CLAIMED")
        except DoesNotExist:
            return "CLAIMED"

    def finish_claim(self, tenant_id: str, connector_id: str, event_id: str) -> None:
        ClaimRecord(f"T#{tenant_id}#SEEN#{connector_id}", event_id).update(
            actions=[ClaimRecord.state.set("DONE")]
        )
