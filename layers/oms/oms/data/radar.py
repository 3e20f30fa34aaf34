"""The radar table's documents (ADR 0031): SLA policies and the tenant's default, ingested events
with the tracked external orders they change, the deadline index and the sweep's watermark."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from oms.data.base import cancellation_reasons, connection, failed_keys, raise_for_transaction, store_error
from oms.data.records import DeadlineBucketRecord, RadarRecord
from oms.domain.clock import parse_iso
from oms.domain.errors import Conflict
from oms.domain.sla_deadlines import DueRef

POLICY_PREFIX = "P#"
DEFAULT_SK = "DEFAULT"
SWEEP_SK = "SWEEP"
TRACK_SK = "TRACK"
BUCKET_DAYS = 7
BUCKET_ENTRIES = 100  # at most this many deadlines in one index item (a write costs its size)
_BATCH_GET = 100


def policies_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SLA"


def tracked_pk(tenant_id: str, external_order_id: str) -> str:
    return f"T#{tenant_id}#X#{external_order_id}"


def done_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#DONE"


def bucket_pk(tenant_id: str, day: str) -> str:
    return f"T#{tenant_id}#DL#{day}"


def _versioned(record: RadarRecord) -> dict[str, Any]:
    return {**(record.doc or {}), "version": int(record.version or 1)}


class RadarRepository:
    # ---------------------------------------------------------------- SLA policies
    def policies(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            _versioned(r)
            for r in RadarRecord.query(policies_pk(tenant_id), RadarRecord.sk.startswith(POLICY_PREFIX))
        ]

    def policy(self, tenant_id: str, policy_id: str) -> dict[str, Any] | None:
        try:
            return _versioned(
                RadarRecord.get(policies_pk(tenant_id), f"{POLICY_PREFIX}{policy_id}", consistent_read=True)
            )
        except DoesNotExist:
            return None

    def default_pointer(self, tenant_id: str) -> tuple[str | None, int]:
        """The default policy's id (None: no default) and the pointer's version (0: none yet)."""
        try:
            record = RadarRecord.get(policies_pk(tenant_id), DEFAULT_SK, consistent_read=True)
        except DoesNotExist:
            return None, 0
        return (record.doc or {}).get("policy_id"), int(record.version or 0)

    def default_policy(self, tenant_id: str) -> dict[str, Any] | None:
        policy_id, _ = self.default_pointer(tenant_id)
        return self.policy(tenant_id, policy_id) if policy_id else None

    def write_policy(
        self,
        tenant_id: str,
        doc: dict[str, Any],
        expected_version: int | None,
        pointer: tuple[str | None, int] | None = None,
        undefault: dict[str, Any] | None = None,
    ) -> None:
        """Write a policy (insert when `expected_version` is None) in one transaction with, when
        the default changes, the default pointer (`pointer`: the new default id and the pointer's
        version read before) and the old default un-defaulted (`undefault`, its new document)."""
        pk = policies_pk(tenant_id)
        sk = f"{POLICY_PREFIX}{doc['id']}"
        tx = TransactWrite(connection=connection())
        try:
            with tx:
                self._put_versioned(tx, pk, sk, doc, expected_version)
                if undefault is not None:
                    old_version = int(undefault["version"])
                    self._put_versioned(tx, pk, f"{POLICY_PREFIX}{undefault['id']}", undefault, old_version)
                if pointer is not None:
                    self._put_versioned(tx, pk, DEFAULT_SK, {"policy_id": pointer[0]}, pointer[1] or None)
        except TransactWriteError as exc:
            if (
                "ConditionalCheckFailed" in cancellation_reasons(exc)
                and sk in failed_keys(exc, tx)
                and expected_version is None
            ):
                raise Conflict(f"SLA policy {doc['id']} exists", code="duplicate_id") from exc
            raise_for_transaction(exc, "SLA policy", tx)

    @staticmethod
    def _put_versioned(
        tx: TransactWrite, pk: str, sk: str, doc: dict[str, Any], expected: int | None
    ) -> None:
        body = {k: v for k, v in doc.items() if k != "version"}
        version = (expected or 0) + 1
        condition = RadarRecord.pk.does_not_exist() if expected is None else RadarRecord.version == expected
        tx.save(RadarRecord(pk, sk, doc={**body, "version": version}, version=version), condition=condition)

    def delete_policy(
        self, tenant_id: str, policy_id: str, expected_version: int, pointer_version: int | None
    ) -> None:
        """Delete a policy; when it is the default, clear the pointer in the same transaction."""
        pk = policies_pk(tenant_id)
        tx = TransactWrite(connection=connection())
        try:
            with tx:
                tx.delete(
                    RadarRecord(pk, f"{POLICY_PREFIX}{policy_id}"),
                    condition=RadarRecord.version == expected_version,
                )
                if pointer_version is not None:
                    self._put_versioned(tx, pk, DEFAULT_SK, {"policy_id": None}, pointer_version)
        except TransactWriteError as exc:
            raise_for_transaction(exc, "SLA policy", tx)

    # ---------------------------------------------------------------- events and tracked orders
    def tracked(self, tenant_id: str, external_order_id: str) -> dict[str, Any] | None:
        try:
            return _versioned(
                RadarRecord.get(tracked_pk(tenant_id, external_order_id), TRACK_SK, consistent_read=True)
            )
        except DoesNotExist:
            return None

    def tracked_many(self, tenant_id: str, external_order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(external_order_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), _BATCH_GET):
            keys = [(tracked_pk(tenant_id, x), TRACK_SK) for x in wanted[start : start + _BATCH_GET]]
            for record in RadarRecord.batch_get(keys):
                doc = _versioned(record)
                found[doc["external_order_id"]] = doc
        return found

    def tracked_with_events(
        self, tenant_id: str, external_order_id: str
    ) -> tuple[dict[str, Any] | None, frozenset[str]]:
        """A tracked order (None: not tracked yet) and the ids of the events applied to it."""
        try:
            record = RadarRecord.get(tracked_pk(tenant_id, external_order_id), TRACK_SK, consistent_read=True)
        except DoesNotExist:
            return None, frozenset()
        return _versioned(record), frozenset(record.event_ids or ())

    def apply_event(
        self, tenant_id: str, event_key: str, tracked: dict[str, Any], expected_version: int | None
    ) -> bool:
        """Write the tracked order with the event applied and record the event's id on it, in
        one conditional UpdateItem (the event id not recorded yet, the version unchanged): the
        event and its effect are stored together or not at all. False: the event was recorded
        already (a duplicate); Conflict `concurrent_update`: the order changed meanwhile."""
        ext = tracked["external_order_id"]
        version = (expected_version or 0) + 1
        done_at = tracked.get("completed_at")
        body = {k: v for k, v in tracked.items() if k != "version"}
        actions: list[Any] = [
            RadarRecord.doc.set({**body, "version": version}),
            RadarRecord.version.set(version),
            RadarRecord.event_ids.add({event_key}),
        ]
        if done_at:
            actions += [
                RadarRecord.gsi1pk.set(done_pk(tenant_id)),
                RadarRecord.gsi1sk.set(f"{done_at}#{ext}"),
            ]
        fresh = RadarRecord.event_ids.does_not_exist() | ~RadarRecord.event_ids.contains(event_key)
        same = (
            RadarRecord.pk.does_not_exist()
            if expected_version is None
            else RadarRecord.version == expected_version
        )
        try:
            RadarRecord(tracked_pk(tenant_id, ext), TRACK_SK).update(actions=actions, condition=fresh & same)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "ingested event") from exc
            _, seen = self.tracked_with_events(tenant_id, ext)
            if event_key in seen:
                return False
            raise Conflict("the tracked order changed meanwhile; retry", code="concurrent_update") from exc
        return True

    def completed_between(self, tenant_id: str, start_iso: str, end_iso: str) -> list[dict[str, Any]]:
        """Tracked external orders completed (shipped) in [start, end), oldest first (helper I)."""
        found = []
        for record in RadarRecord.gsi1.query(
            done_pk(tenant_id), RadarRecord.gsi1sk.between(start_iso, end_iso)
        ):
            doc = _versioned(record)
            if start_iso <= str(doc.get("completed_at")) < end_iso:
                found.append(doc)
        return found

    # ---------------------------------------------------------------- the deadline index
    def add_due(self, tenant_id: str, refs: Iterable[DueRef], writer: str) -> int:
        """Add deadlines to their minute buckets: one UpdateItem (ADD to a set) per minute, on
        the writer's own item of that minute (sk <HH:MM>#<writer>: a stream batch's first
        sequence number, an event's id, a sweep's start), so a repeated add (a retried batch, a
        sweep rerun after a crash) changes nothing. A minute with more than BUCKET_ENTRIES
        deadlines of one writer (the sweep registers the next deadlines of all the orders it
        judged) is split into items of at most that many (sk <HH:MM>#<writer>#<n>): a write costs
        its item's size, and an item stays far below DynamoDB's 400 KB. Returns the writes made."""
        by_bucket: dict[tuple[str, str], set[str]] = defaultdict(set)
        for ref in refs:
            by_bucket[ref.bucket].add(ref.encode())
        writes = 0
        for (day, minute), entries in by_bucket.items():
            expires = int(parse_iso(f"{day}T00:00:00Z").timestamp()) + BUCKET_DAYS * 86400
            ordered = sorted(entries)
            for n, start in enumerate(range(0, len(ordered), BUCKET_ENTRIES)):
                sk = f"{minute}#{writer}" if n == 0 else f"{minute}#{writer}#{n}"
                try:
                    DeadlineBucketRecord(bucket_pk(tenant_id, day), sk).update(
                        actions=[
                            DeadlineBucketRecord.refs.add(set(ordered[start : start + BUCKET_ENTRIES])),
                            DeadlineBucketRecord.expires_at_epoch.set(expires),
                        ]
                    )
                except UpdateError as exc:
                    raise store_error(exc, "deadline index") from exc
                writes += 1
        return writes

    def due(self, tenant_id: str, day: str, first_minute: str, last_minute: str) -> list[DueRef]:
        """The index entries of one day's minutes from `first_minute` to `last_minute` inclusive,
        each once (an entry two writers added - a rerun split differently - counts once)."""
        found: dict[str, None] = {}
        for record in DeadlineBucketRecord.query(
            bucket_pk(tenant_id, day), DeadlineBucketRecord.sk.between(first_minute, f"{last_minute}#~")
        ):
            found.update(dict.fromkeys(sorted(record.refs or ())))
        return [DueRef.decode(text) for text in found]

    def swept_through(self, tenant_id: str) -> str | None:
        try:
            return (RadarRecord.get(policies_pk(tenant_id), SWEEP_SK, consistent_read=True).doc or {}).get(
                "through"
            )
        except DoesNotExist:
            return None

    def set_swept_through(self, tenant_id: str, through: str) -> None:
        try:
            RadarRecord(policies_pk(tenant_id), SWEEP_SK, doc={"through": through}, version=1).save()
        except PutError as exc:
            raise store_error(exc, "sweep watermark") from exc
