"""Tenants and users (the login directory)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from oms.data import keys
from oms.data.base import store_error
from oms.data.records import PointerRecord, TenantRecord, UserRecord


@dataclass(frozen=True)
class StoredUser:
    user_id: str
    tenant_id: str
    email: str
    name: str
    role: str
    password_hash: str
    active: bool
    token_version: int = 0
    invited: bool = False  # no password yet: the invitation has not been accepted
    created_at: str = ""


class DirectoryRepository:
    def put_tenant(self, tenant_id: str, name: str, now: str) -> None:
        """A tenant by id (demo data, tests): its name; status and creation time only if new, so
        a suspension, its slug and its admin count survive."""
        TenantRecord(keys.tenant_pk(), tenant_id).update(
            actions=[
                TenantRecord.name.set(name),
                TenantRecord.status.set(TenantRecord.status | "ACTIVE"),
                TenantRecord.created_at.set(TenantRecord.created_at | now),
            ]
        )

    def tenant_ids(self) -> list[str]:
        return [r.sk for r in TenantRecord.query(keys.tenant_pk())]

    def put_user(self, user: StoredUser, now: str, overwrite: bool = False) -> bool:
        """A user written directly (demo data, tests), with the pointer from its id; users made
        through the API go through oms.data.tenancy (which also counts a tenant's admins)."""
        try:
            user_record(user, now).save(condition=None if overwrite else UserRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise store_error(exc, "user") from exc
        pointer_record(user).save()
        return True

    def user_by_email(self, email: str) -> StoredUser | None:
        try:
            r = UserRecord.get(keys.user_pk(email), keys.USER_SK)
        except DoesNotExist:
            return None
        return stored_user(r)

    def update_user(self, email: str, *, role: str | None = None, active: bool | None = None) -> StoredUser:
        """Change a user's role and/or state; either ends every token issued before (the token
        version moves on). Raises KeyError for an unknown email."""
        actions: list[Action] = [UserRecord.token_version.add(1)]
        if role is not None:
            actions.append(UserRecord.role.set(role))
        if active is not None:
            actions.append(UserRecord.active.set("true" if active else "false"))
        record = UserRecord(keys.user_pk(email), keys.USER_SK)
        try:
            record.update(actions=actions, condition=UserRecord.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise KeyError(email) from exc
            raise store_error(exc, "user") from exc
        user = self.user_by_email(email)
        if user is None:  # deleted in between
            raise KeyError(email)
        return user


def stored_user(r: UserRecord) -> StoredUser:
    return StoredUser(
        user_id=r.user_id or "",
        tenant_id=r.tenant_id or "",
        email=r.email or "",
        name=r.name or "",
        role=r.role or "USER",
        password_hash=r.password_hash or "",
        active=r.active == "true",
        token_version=int(r.token_version or 0),
        invited=r.invited == "true",
        created_at=r.created_at or "",
    )


def user_record(user: StoredUser, now: str) -> UserRecord:
    return UserRecord(
        keys.user_pk(user.email),
        keys.USER_SK,
        user_id=user.user_id,
        tenant_id=user.tenant_id,
        email=user.email.lower(),
        name=user.name,
        role=user.role,
        password_hash=user.password_hash,
        active="true" if user.active else "false",
        created_at=user.created_at or now,
        token_version=user.token_version,
        invited="true" if user.invited else None,
        gsi1pk=keys.users_of_tenant(user.tenant_id),
        gsi1sk=user.email.lower(),
    )


def pointer_record(user: StoredUser) -> PointerRecord:
    """user id -> email (the key of the user), so a user is found by id with two GetItems."""
    return PointerRecord(
        keys.user_id_pk(user.user_id), keys.POINTER_SK, target=user.email.lower(), tenant_id=user.tenant_id
    )
