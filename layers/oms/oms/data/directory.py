"""Tenants and users (the login directory)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError

from oms.data import keys
from oms.data.base import store_error
from oms.data.records import TenantRecord, UserRecord


@dataclass(frozen=True)
class StoredUser:
    user_id: str
    tenant_id: str
    email: str
    name: str
    role: str
    password_hash: str
    active: bool


class DirectoryRepository:
    def put_tenant(self, tenant_id: str, name: str, now: str) -> None:
        TenantRecord(keys.tenant_pk(), tenant_id, name=name, status="ACTIVE", created_at=now).save()

    def tenant_ids(self) -> list[str]:
        return [r.sk for r in TenantRecord.query(keys.tenant_pk())]

    def put_user(self, user: StoredUser, now: str, overwrite: bool = False) -> bool:
        record = UserRecord(
            keys.user_pk(user.email),
            "USER",
            user_id=user.user_id,
            tenant_id=user.tenant_id,
            email=user.email.lower(),
            name=user.name,
            role=user.role,
            password_hash=user.password_hash,
            active="true" if user.active else "false",
            created_at=now,
        )
        try:
            record.save(condition=None if overwrite else UserRecord.pk.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "user") from exc

    def user_by_email(self, email: str) -> StoredUser | None:
        try:
            r = UserRecord.get(keys.user_pk(email), "USER")
        except DoesNotExist:
            return None
        return StoredUser(
            user_id=r.user_id or "",
            tenant_id=r.tenant_id or "",
            email=r.email or "",
            name=r.name or "",
            role=r.role or "USER",
            password_hash=r.password_hash or "",
            active=r.active == "true",
        )
