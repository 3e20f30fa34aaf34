"""SLA exceptions in the radar table (ADR 0031): one item per (tenant, order_ref, milestone), keyed
by its deterministic id, so "exactly one exception per breach" is a conditional put."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from oms.data.base import decode_cursor, encode_cursor, store_error
from oms.data.records import ExceptionRecord
from oms.domain.errors import Conflict, NotFound

_BATCH_GET = 100


def exceptions_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#EXC"


def _record(tenant_id: str, doc: dict[str, Any]) -> ExceptionRecord:
    analysis = doc.get("analysis") or {}
    return ExceptionRecord(
        exceptions_pk(tenant_id),
        doc["exception_id"],
        doc=doc,
        version=int(doc["version"]),
        status=doc["status"],
        severity=doc["severity"],
        label=analysis.get("label") or None,
        order_ref=doc["order_ref"],
        gsi1pk=exceptions_pk(tenant_id),
        gsi1sk=f"{doc['created_at']}#{doc['exception_id']}",
    )


def _doc(record: ExceptionRecord) -> dict[str, Any]:
    doc = dict(record.doc or {})
    doc["version"] = int(record.version or doc.get("version") or 1)
    return doc


class ExceptionRepository:
    """The interface helpers X (analyst) and I (invoices) call: get, set_analysis, in_range,
    for_order; the radar itself also creates, replaces and lists."""

    # ---------------------------------------------------------------- reads
    def get(self, tenant_id: str, exception_id: str) -> dict[str, Any] | None:
        try:
            return _doc(ExceptionRecord.get(exceptions_pk(tenant_id), exception_id, consistent_read=True))
        except DoesNotExist:
            return None

    def require(self, tenant_id: str, exception_id: str) -> dict[str, Any]:
        found = self.get(tenant_id, exception_id)
        if found is None:
            raise NotFound(f"exception {exception_id} not found", code="exception_not_found")
        return found

    def batch_get(self, tenant_id: str, exception_ids: Sequence[str]) -> list[dict[str, Any]]:
        pk = exceptions_pk(tenant_id)
        wanted = list(dict.fromkeys(exception_ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), _BATCH_GET):
            keys = [(pk, eid) for eid in wanted[start : start + _BATCH_GET]]
            found.extend(_doc(r) for r in ExceptionRecord.batch_get(keys))
        return found

    def for_order(self, tenant_id: str, order_ref: str) -> list[dict[str, Any]]:
        """The order's exceptions (at most one per deadlined milestone): read by their ids."""
        from oms.domain.exceptions import DEADLINED, exception_id, rank

        ids = [exception_id(tenant_id, order_ref, m) for m in DEADLINED]
        return sorted(self.batch_get(tenant_id, ids), key=lambda d: rank(d["milestone"]))

    def in_range(self, tenant_id: str, since_iso: str, until_iso: str) -> Iterator[dict[str, Any]]:
        """Every exception created in [since, until), oldest first."""
        pk = exceptions_pk(tenant_id)
        for record in ExceptionRecord.gsi1.query(
            pk, ExceptionRecord.gsi1sk.between(since_iso, f"{until_iso}")
        ):
            doc = _doc(record)
            if since_iso <= doc["created_at"] < until_iso:
                yield doc

    def page(
        self,
        tenant_id: str,
        *,
        since: str | None,
        until: str | None,
        label: str | None,
        severity: str | None,
        status: str | None,
        order_ref: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, filtered; a page may hold fewer than `limit` when filters drop items."""
        pk = exceptions_pk(tenant_id)
        low, high = since or "0", f"{until}" if until else "~"
        condition = None
        for attribute, value in (
            (ExceptionRecord.label, label),
            (ExceptionRecord.severity, severity),
            (ExceptionRecord.status, status),
            (ExceptionRecord.order_ref, order_ref),
        ):
            if value:
                test = attribute == value
                condition = test if condition is None else condition & test
        result = ExceptionRecord.gsi1.query(
            pk,
            ExceptionRecord.gsi1sk.between(low, high),
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=decode_cursor(cursor, pk, "gsi1pk"),
        )
        items = [_doc(r) for r in result]
        if until:
            items = [d for d in items if d["created_at"] < until]
        return items, encode_cursor(result.last_evaluated_key)

    # ---------------------------------------------------------------- writes
    def create(self, tenant_id: str, doc: dict[str, Any]) -> bool:
        """Insert the exception; False if it exists already (the same breach found again)."""
        try:
            _record(tenant_id, doc).save(condition=ExceptionRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "exception") from exc
        return True

    def replace(self, tenant_id: str, doc: dict[str, Any], expected_version: int) -> dict[str, Any]:
        """Write `doc` as version expected+1 if the stored one is still `expected_version`."""
        new = {**doc, "version": expected_version + 1}
        try:
            _record(tenant_id, new).save(condition=ExceptionRecord.version == expected_version)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(
                    f"exception {doc['exception_id']} changed meanwhile; read it again",
                    code="concurrent_update",
                ) from exc
            raise store_error(exc, "exception") from exc
        return new

    def set_analysis(
        self, tenant_id: str, exception_id: str, analysis: dict[str, Any], expected_version: int
    ) -> dict[str, Any]:
        """Replace the analysis (helper X); Conflict when the version moved (re-read and retry)."""
        from oms.domain.clock import now_iso
        from oms.domain.exceptions import Analysis

        current = self.require(tenant_id, exception_id)
        if int(current["version"]) != expected_version:
            raise Conflict(
                f"exception {exception_id} is at version {current['version']}, not {expected_version}",
                code="concurrent_update",
                details={"current_version": current["version"]},
            )
        checked = Analysis.model_validate(analysis).model_dump(mode="json")
        return self.replace(
            tenant_id, {**current, "analysis": checked, "updated_at": now_iso()}, expected_version
        )
