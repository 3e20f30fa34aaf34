"""Connector event logs and the worker task log."""

from __future__ import annotations

import uuid
from typing import Any

from oms.data.base import decode_cursor, encode_cursor, log_expiry
from oms.data.records import LogRecord


class LogRepository:
    """Connector event logs and the worker task log."""

    def append(self, pk: str, at: str, doc: dict[str, Any], days: int = 30) -> None:
        LogRecord(pk, f"{at}#{uuid.uuid4().hex[:12]}", doc=doc, expires_at_epoch=log_expiry(days)).save()

    def page(self, pk: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        result = LogRecord.query(
            pk,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, pk, "pk"),
            page_size=limit,
        )
        items = [dict(r.doc or {}) for r in result]
        return items, encode_cursor(result.last_evaluated_key)
