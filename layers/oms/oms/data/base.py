"""Repositories over DynamoDB (pynamodb). They map records to domain models and turn DynamoDB
condition failures into domain errors; they never decide business rules.

Every state change carries its precondition (expected version or status, available >= qty),
and every multi-item change is one TransactWriteItems, so nothing is ever half-written.
This module: the shared plumbing (connection, transaction error mapping, cursors, ids)."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.records import OrderRecord
from oms.domain.clock import epoch
from oms.domain.errors import Conflict, DomainError, StockConflict, TransientStoreError, ValidationFailed

log = logging.getLogger("oms.data")

_RETRYABLE = {
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "InternalServerError",
}


def _refusal(message: str) -> str:
    """What DynamoDB's ValidationException was about, in words that name no table or key."""
    text = message.lower()
    if "item size" in text or "maximum allowed size" in text:
        return "too large to store (a stored item is limited to 400 KB)"
    if "key" in text and ("too long" in text or "size" in text or "length" in text):
        return "an identifier is too long"
    if "empty" in text:
        return "an identifier is empty"
    return "a value cannot be stored"


def store_error(exc: PynamoDBException, what: str = "record", field: str | None = None) -> DomainError:
    """A failed DynamoDB call as a domain error, with DynamoDB's own text (request id, table, key)
    in the log only: a ValidationException refused the caller's data (422 `invalid_value`, naming
    the field where the caller knows it); anything else is worth a retry (503)."""
    code = exc.cause_response_code or type(exc).__name__
    log.warning("DynamoDB refused a write of a %s: %s", what, exc)
    if code == "ValidationException":
        reason = _refusal(str(exc.cause_response_message or ""))
        return ValidationFailed(
            f"the {what} cannot be stored: {reason}",
            code="invalid_value",
            details=[{"loc": ["body", *([field] if field else [])], "msg": reason, "type": "invalid_value"}],
        )
    return TransientStoreError(f"{what}: storage unavailable ({code}); retry")


def connection() -> Connection:
    return OrderRecord._get_connection().connection


def cancellation_reasons(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]


def failed_keys(exc: TransactWriteError, tx: TransactWrite) -> list[str]:
    """Sort keys of the items whose condition failed. pynamodb sends a transaction's operations
    grouped (condition checks, deletes, puts, updates), not in the order they were added, so the
    positions of CancellationReasons are mapped back through that same grouping."""
    sent = [*tx._condition_check_items, *tx._delete_items, *tx._put_items, *tx._update_items]
    failed = []
    for operation, code in zip(sent, cancellation_reasons(exc), strict=False):
        if code == "ConditionalCheckFailed":
            key = operation.get("Key") or operation.get("Item") or {}
            failed.append(str(key.get("sk", {}).get("S", "")))
    return failed


def raise_for_transaction(exc: TransactWriteError, what: str, tx: TransactWrite) -> None:
    """Map a cancelled transaction to a domain error by the kind of item whose condition failed:
    a stock item (not enough available: plan again), else the record changed meanwhile."""
    reasons = cancellation_reasons(exc)
    if any(code in _RETRYABLE for code in reasons) or exc.cause_response_code in _RETRYABLE:
        raise TransientStoreError(f"{what}: storage busy, retry") from exc
    if "ValidationError" in reasons:  # one item of the transaction was refused (too large, ...)
        log.warning("DynamoDB refused a transaction (%s): %s", what, exc)
        raise ValidationFailed(
            f"{what}: a record cannot be stored (too large or malformed)",
            code="invalid_value",
            details=[{"loc": ["body"], "msg": "cannot be stored", "type": "invalid_value"}],
        ) from exc
    failed = failed_keys(exc, tx)
    if keys.ITEM_SK in failed:
        raise StockConflict(f"{what}: stock changed meanwhile") from exc
    if failed:
        raise Conflict(
            f"{what}: the record changed meanwhile; reload and retry ({', '.join(failed)})",
            code="concurrent_update",
        ) from exc
    raise store_error(exc, what) from exc


def encode_cursor(lek: dict[str, Any] | None) -> str | None:
    if not lek:
        return None
    return base64.urlsafe_b64encode(json.dumps(lek, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, expected_partition: str, index_pk: str) -> dict[str, Any] | None:
    """A cursor is only accepted for the partition it came from (no stepping into another tenant)."""
    if not cursor:
        return None
    try:
        lek = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if lek.get(index_pk, {}).get("S") != expected_partition:
            raise ValueError("cursor does not belong to this listing")
        return dict(lek)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationFailed(
            "invalid cursor", details=[{"loc": ["cursor"], "msg": str(exc), "type": "value_error"}]
        ) from exc


def raw_partition(model: type[Any], pk: str) -> list[dict[str, Any]]:
    """Every item of one partition as raw DynamoDB JSON, for partitions that hold several record
    types (pynamodb would read each item as one model and drop the others' attributes)."""
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = model._get_connection().query(pk, exclusive_start_key=start)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def new_id() -> str:
    return str(uuid.uuid4())


def log_expiry(days: int = 30) -> int:
    return int(epoch() + days * 86400)
