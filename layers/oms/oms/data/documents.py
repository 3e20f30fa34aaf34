"""Versioned documents a merchant edits, and the sourcing rules kept as such."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from oms.data.base import store_error
from oms.data.records import RuleRecord
from oms.domain.errors import Conflict


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
            raise store_error(exc, self.noun) from exc

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
            raise store_error(exc, self.noun) from exc

    def delete(self, tenant_id: str, doc_id: str) -> bool:
        try:
            self.model(*self._key(tenant_id, doc_id)).delete(condition=self.model.pk.exists())
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, self.noun) from exc
        return True

    def delete_version(self, tenant_id: str, doc_id: str, expected_version: int) -> bool:
        """Delete the document only as it was at `expected_version`; False if it is gone or changed."""
        try:
            self.model(*self._key(tenant_id, doc_id)).delete(condition=self.model.version == expected_version)
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, self.noun) from exc
        return True


class RuleRepository(VersionedDocuments):
    """Sourcing rules as validated documents; the service owns their shape."""

    def __init__(self) -> None:
        super().__init__(RuleRecord, "RULES", "R#", "sourcing rule")


class ExperimentRepository(VersionedDocuments):
    """A/B experiments (oms.services.experiments), beside the rules they compete with."""

    def __init__(self) -> None:
        super().__init__(RuleRecord, "EXPERIMENTS", "X#", "experiment")


class ProposalRepository(VersionedDocuments):
    """Proposals awaiting or past a person's decision (oms.services.proposals)."""

    def __init__(self) -> None:
        super().__init__(RuleRecord, "PROPOSALS", "P#", "proposal")
