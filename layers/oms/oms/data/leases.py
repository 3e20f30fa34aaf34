"""Job leases: one runner per (tenant, job)."""

from __future__ import annotations

import contextlib

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from oms.data.base import store_error
from oms.data.records import JobLeaseRecord
from oms.domain.clock import epoch


class JobLeaseRepository:
    """One runner per (tenant, job): a lease taken with a conditional put, expiring on its own if
    its runner dies; a run asked for while the lease is held is remembered, not lost."""

    def acquire(self, tenant_id: str, job: str, owner: str, seconds: int) -> bool:
        now = int(epoch())
        try:
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job, owner=owner, expires_at=now + seconds, rerun=0).save(
                condition=JobLeaseRecord.pk.does_not_exist() | (JobLeaseRecord.expires_at < now)
            )
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "job lease") from exc
        return True

    def request_rerun(self, tenant_id: str, job: str) -> None:
        with contextlib.suppress(UpdateError):  # the lease ended meanwhile: the caller runs next time
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job).update(
                actions=[JobLeaseRecord.rerun.set(1)], condition=JobLeaseRecord.pk.exists()
            )

    def take_rerun(self, tenant_id: str, job: str, owner: str) -> bool:
        """True (and the request cleared) if a rerun was asked for while `owner` held the lease."""
        try:
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job).update(
                actions=[JobLeaseRecord.rerun.set(0)],
                condition=(JobLeaseRecord.owner == owner) & (JobLeaseRecord.rerun == 1),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "job lease") from exc
        return True

    def release(self, tenant_id: str, job: str, owner: str) -> None:
        with contextlib.suppress(DeleteError):  # expired and taken by another runner: not ours
            JobLeaseRecord(f"T#{tenant_id}#JOBS", job).delete(condition=JobLeaseRecord.owner == owner)
