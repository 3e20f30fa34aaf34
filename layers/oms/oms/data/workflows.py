"""Tenant workflows (ADR 0035): immutable versions in the directory table, and the claims that
make a per-status action take effect once (in the integrations table)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from oms.data.base import log_expiry, store_error
from oms.data.records import AdjustmentRecord, ClaimRecord, WorkflowRecord
from oms.domain.errors import Conflict


def _pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#WORKFLOW"


def _sk(version: int) -> str:
    return f"V#{version:010d}"


def _view(record: WorkflowRecord) -> dict[str, Any]:
    return {
        "version": int(record.version),
        "doc": dict(record.doc),
        "updated_at": record.updated_at,
        "updated_by": record.updated_by,
    }


class WorkflowRepository:
    def current(self, tenant_id: str) -> dict[str, Any] | None:
        """The highest version (one item, a consistent descending query), or None: the default."""
        for record in WorkflowRecord.query(
            _pk(tenant_id), scan_index_forward=False, limit=1, consistent_read=True
        ):
            return _view(record)
        return None

    def version(self, tenant_id: str, version: int) -> dict[str, Any] | None:
        try:
            return _view(WorkflowRecord.get(_pk(tenant_id), _sk(version), consistent_read=True))
        except DoesNotExist:
            return None

    def versions(self, tenant_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, without their documents."""
        return [
            {"version": int(r.version), "updated_at": r.updated_at, "updated_by": r.updated_by}
            for r in WorkflowRecord.query(
                _pk(tenant_id),
                scan_index_forward=False,
                limit=limit,
                attributes_to_get=["version", "updated_at", "updated_by"],
            )
        ]

    def put_version(self, tenant_id: str, version: int, doc: dict[str, Any], at: str, by: str) -> None:
        """Put version `version` once: two writers deciding on the same current version race for
        the same key and one of them loses (409 workflow_changed)."""
        try:
            WorkflowRecord(
                _pk(tenant_id), _sk(version), version=version, doc=doc, updated_at=at, updated_by=by
            ).save(condition=WorkflowRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(
                    "the workflow was changed meanwhile; read it again", code="workflow_changed"
                ) from exc
            raise store_error(exc, "workflow") from exc

    # ------------------------------------------------------------ action claims
    def claim(self, tenant_id: str, order_id: str, key: str) -> str:
        """Claim an action's effect: "NEW" when this call took the claim, else the state the
        claim is in ("CLAIMED": an earlier attempt died part-way; "DONE")."""
        pk = f"T#{tenant_id}#ACTION#{order_id}"
        try:
            ClaimRecord(pk, key, state="CLAIMED", expires_at_epoch=log_expiry(30)).save(
                condition=ClaimRecord.pk.does_not_exist()
            )
            return "NEW"
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "action claim") from exc
        return str(ClaimRecord.get(pk, key, consistent_read=True).state or "CLAIMED")

    def finish(self, tenant_id: str, order_id: str, key: str, outcome: str) -> None:
        try:
            ClaimRecord(f"T#{tenant_id}#ACTION#{order_id}", key).update(
                actions=[ClaimRecord.state.set(f"DONE:{outcome}"[:60])]
            )
        except UpdateError as exc:
            raise store_error(exc, "action claim") from exc

    def adjustment_exists(self, pk: str, sk: str) -> bool:
        """Was an action's stock adjustment (its key derived from the action) written already?"""
        try:
            AdjustmentRecord.get(pk, sk, consistent_read=True)
            return True
        except DoesNotExist:
            return False
