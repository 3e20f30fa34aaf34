"""The analytics day buckets and batch markers in the insights table (ADR 0029).

A bucket's counters are attributes named by data (a node id, a currency), so the items are
written and read as raw DynamoDB JSON through the table's connection (records.AnalyticsRecord
binds the table name). Writes of a stream batch are transactions: the ADD of every bucket the
batch moves and the conditional put of the batch's marker commit together or not at all."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oms.data.busy import BUSY_CODES
from oms.data.records import AnalyticsRecord
from oms.domain.analytics import BucketKey, Counters
from oms.domain.clock import epoch
from oms.domain.errors import TransientStoreError

log = logging.getLogger(__name__)

MARKER_SK = "MARK"
MARKER_KEPT_SECONDS = 2 * 86400  # a stream keeps records 24 h: no batch is retried after that
_ATTEMPTS = 5
_NOT_COUNTERS = frozenset({"pk", "sk", "v", "last", "expires_at_epoch"})


def bucket_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#AN"


def bucket_sk(day: str) -> str:
    return f"D#{day}"


def marker_pk(first_sequence: str) -> str:
    return f"AN#BATCH#{first_sequence}"


def _n(value: int) -> dict[str, str]:
    return {"N": str(int(value))}


def _counters(item: Mapping[str, Any]) -> Counters:
    return {k: int(v["N"]) for k, v in item.items() if k not in _NOT_COUNTERS and "N" in v}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reasons(exc: ClientError) -> list[str]:
    """A cancelled transaction's reason per item, in the order the items were sent ("None": no
    reason; pynamodb keeps them beside the response, botocore inside it)."""
    kept = getattr(exc, "cancellation_reasons", None)
    if kept:
        return [str(r.code) if r is not None else "None" for r in kept]
    return [str((r or {}).get("Code") or "None") for r in exc.response.get("CancellationReasons", [])]


class AnalyticsRepository:
    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        connection = AnalyticsRecord._get_connection().connection
        try:
            return dict(connection.dispatch(operation, params))
        except BotoCoreError as exc:  # no answer at all
            raise TransientStoreError(
                f"analytics: storage unavailable ({type(exc).__name__}); retry"
            ) from exc

    @property
    def _table(self) -> str:
        return str(AnalyticsRecord.Meta.table_name)

    # ------------------------------------------------------------------ the stream's writes
    def applied_through(self, first_sequence: str) -> str | None:
        """The last record of the batch starting at `first_sequence` already counted, if any."""
        found = self._call(
            "GetItem",
            {
                "TableName": self._table,
                "Key": {"pk": {"S": marker_pk(first_sequence)}, "sk": {"S": MARKER_SK}},
                "ConsistentRead": True,
            },
        ).get("Item")
        return str(found["last"]["S"]) if found and "last" in found else None

    def commit(
        self, first_sequence: str, expected_last: str | None, last: str, deltas: Mapping[BucketKey, Counters]
    ) -> bool:
        """Add `deltas` to their buckets and move the batch's marker from `expected_last` (None:
        no marker yet) to `last`, in one transaction. False when the marker is elsewhere (an
        earlier attempt of this batch got further): nothing was written."""
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_last is None
            else {
                "ConditionExpression": "#last = :expected",
                "ExpressionAttributeNames": {"#last": "last"},
                "ExpressionAttributeValues": {":expected": {"S": expected_last}},
            }
        )
        marker = {
            "Put": {
                "TableName": self._table,
                "Item": {
                    "pk": {"S": marker_pk(first_sequence)},
                    "sk": {"S": MARKER_SK},
                    "last": {"S": last},
                    "expires_at_epoch": _n(int(epoch()) + MARKER_KEPT_SECONDS),
                },
                **condition,
            }
        }
        items = [marker, *(self._bucket_update(key, delta) for key, delta in deltas.items())]
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                self._call("TransactWriteItems", {"TransactItems": items})
                return True
            except ClientError as exc:
                reasons = _reasons(exc)
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False
                busy = _code(exc) in BUSY_CODES or any(
                    r in ("TransactionConflict", *BUSY_CODES) for r in reasons
                )
                if not busy:
                    raise
                if attempt == _ATTEMPTS:
                    raise TransientStoreError(
                        f"analytics: buckets busy ({', '.join(reasons)}); retry"
                    ) from exc
                time.sleep(random.uniform(0.02, 0.1) * 2**attempt)  # noqa: S311 - jitter, not crypto
        return False  # unreachable: the loop returns or raises

    def _bucket_update(self, key: BucketKey, delta: Counters) -> dict[str, Any]:
        tenant_id, day = key
        names = {"#v": "v"}
        values = {":one": _n(1)}
        adds = ["#v :one"]
        for i, (name, amount) in enumerate(sorted(delta.items())):
            names[f"#{i}"] = name
            values[f":{i}"] = _n(amount)
            adds.append(f"#{i} :{i}")
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": bucket_pk(tenant_id)}, "sk": {"S": bucket_sk(day)}},
                "UpdateExpression": "ADD " + ", ".join(adds),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    # ------------------------------------------------------------------ reads
    def days(self, tenant_id: str, first_day: str, last_day: str) -> dict[str, Counters]:
        """The buckets of a range of days, by day, with one query (paged past 1 MB only)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {
                ":pk": {"S": bucket_pk(tenant_id)},
                ":first": {"S": bucket_sk(first_day)},
                ":last": {"S": bucket_sk(last_day)},
            },
        }
        found: dict[str, Counters] = {}
        while True:
            page = self._call("Query", params)
            for item in page.get("Items", []):
                found[item["sk"]["S"].removeprefix("D#")] = _counters(item)
            if not page.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def day(self, tenant_id: str, day: str) -> tuple[Counters, int] | None:
        """One bucket's counters and write count, read consistently (None: no bucket)."""
        item = self._call(
            "GetItem",
            {
                "TableName": self._table,
                "Key": {"pk": {"S": bucket_pk(tenant_id)}, "sk": {"S": bucket_sk(day)}},
                "ConsistentRead": True,
            },
        ).get("Item")
        if not item:
            return None
        return _counters(item), int(item.get("v", {}).get("N", "0"))

    # ------------------------------------------------------------------ the reconcile job's write
    def replace_day(self, tenant_id: str, day: str, counters: Counters, expected_version: int | None) -> bool:
        """Overwrite a bucket with `counters` if nobody wrote it since it was read at
        `expected_version` (None: it did not exist). False if somebody did."""
        item: dict[str, Any] = {
            "pk": {"S": bucket_pk(tenant_id)},
            "sk": {"S": bucket_sk(day)},
            "v": _n((expected_version or 0) + 1),
        }
        item.update({name: _n(n) for name, n in counters.items() if n and name not in _NOT_COUNTERS})
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_version is None
            else {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "v"},
                "ExpressionAttributeValues": {":v": _n(expected_version)},
            }
        )
        try:
            self._call("PutItem", {"TableName": self._table, "Item": item, **condition})
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            if _code(exc) in BUSY_CODES:
                raise TransientStoreError(f"analytics: storage busy ({_code(exc)}); retry") from exc
            raise
        return True
