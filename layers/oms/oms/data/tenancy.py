"""Tenants, users made through the API, and one-time tokens, in the Directory table (ADR 0034).

Every change that can alter a tenant's number of active SUPERADMINs writes the user and the
tenant's `admins` counter in one transaction, the counter conditioned on staying at least 1 and
the user on the token version the decision was made on: two admins demoting each other at once
cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import (
    cancellation_reasons,
    connection,
    decode_cursor,
    encode_cursor,
    failed_keys,
    store_error,
)
from oms.data.directory import StoredUser, pointer_record, stored_user, user_record
from oms.data.records import OneTimeTokenRecord, PointerRecord, TenantRecord, UserRecord
from oms.domain.errors import Conflict, NotFound, TransientStoreError
from oms.domain.models import Role


@dataclass(frozen=True)
class StoredTenant:
    id: str
    name: str
    slug: str
    status: str
    admin_email: str
    created_at: str

    def public(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "status": self.status,
            "admin_email": self.admin_email,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class StoredToken:
    kind: str
    email: str
    user_id: str
    tenant_id: str
    expires_at_epoch: int
    used_at: str | None


def _tenant(r: TenantRecord) -> StoredTenant:
    return StoredTenant(
        id=r.sk,
        name=r.name or "",
        slug=r.slug or "",
        status=r.status or "ACTIVE",
        admin_email=r.admin_email or "",
        created_at=r.created_at or "",
    )


def _busy_or(exc: TransactWriteError, what: str) -> None:
    if any(code in ("TransactionConflict", "ThrottlingError") for code in cancellation_reasons(exc)):
        raise TransientStoreError(f"{what}: storage busy, retry") from exc


class TenancyRepository:
    # ------------------------------------------------------------------ tenants
    def get_tenant(self, tenant_id: str) -> StoredTenant | None:
        try:
            return _tenant(TenantRecord.get(keys.tenant_pk(), tenant_id))
        except DoesNotExist:
            return None

    def tenants(self, limit: int, cursor: str | None) -> tuple[list[StoredTenant], str | None]:
        pk = keys.tenant_pk()
        result = TenantRecord.query(
            pk, limit=limit, page_size=limit, last_evaluated_key=decode_cursor(cursor, pk, "pk")
        )
        found = [_tenant(r) for r in result]
        return found, encode_cursor(result.last_evaluated_key)

    def tenant_id_for_slug(self, slug: str) -> str | None:
        try:
            return PointerRecord.get(keys.slug_pk(slug), keys.POINTER_SK).target
        except DoesNotExist:
            return None

    def create_tenant(self, tenant: StoredTenant, admin: StoredUser) -> None:
        """The tenant, its slug and its first SUPERADMIN, all or nothing. 409 `slug_taken` or
        `email_taken` when another has them."""
        record = TenantRecord(
            keys.tenant_pk(),
            tenant.id,
            name=tenant.name,
            slug=tenant.slug,
            status=tenant.status,
            admin_email=tenant.admin_email,
            created_at=tenant.created_at,
            admins=1,
        )
        slug = PointerRecord(keys.slug_pk(tenant.slug), keys.POINTER_SK, target=tenant.id)
        tx = TransactWrite(connection=connection())
        try:
            with tx:
                tx.save(record, condition=TenantRecord.sk.does_not_exist())
                tx.save(slug, condition=PointerRecord.pk.does_not_exist())
                tx.save(user_record(admin, tenant.created_at), condition=UserRecord.pk.does_not_exist())
                tx.save(pointer_record(admin), condition=PointerRecord.pk.does_not_exist())
        except TransactWriteError as exc:
            _busy_or(exc, "tenant")
            failed = failed_keys(exc, tx)
            if keys.USER_SK in failed:
                raise Conflict("a user with this email exists", code="email_taken") from exc
            if failed:
                raise Conflict(f"the slug {tenant.slug} is taken", code="slug_taken") from exc
            raise store_error(exc, "tenant") from exc

    def update_tenant(self, tenant_id: str, name: str | None, status: str | None) -> StoredTenant:
        actions: list[Action] = []
        if name is not None:
            actions.append(TenantRecord.name.set(name))
        if status is not None:
            actions.append(TenantRecord.status.set(status))
        if actions:
            try:
                TenantRecord(keys.tenant_pk(), tenant_id).update(
                    actions=actions, condition=TenantRecord.sk.exists()
                )
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found") from exc
                raise store_error(exc, "tenant") from exc
        found = self.get_tenant(tenant_id)
        if found is None:
            raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
        return found

    def ensure_slug(self, tenant_id: str, slug: str) -> None:
        """Give an existing tenant (demo data, saved state) its slug once."""
        try:
            PointerRecord(keys.slug_pk(slug), keys.POINTER_SK, target=tenant_id).save(
                condition=PointerRecord.pk.does_not_exist() | (PointerRecord.target == tenant_id)
            )
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(f"the slug {slug} is taken", code="slug_taken") from exc
            raise store_error(exc, "tenant") from exc
        TenantRecord(keys.tenant_pk(), tenant_id).update(
            actions=[TenantRecord.slug.set(TenantRecord.slug | slug)]
        )

    # ------------------------------------------------------------------ users
    def user_by_id(self, user_id: str) -> StoredUser | None:
        try:
            email = PointerRecord.get(keys.user_id_pk(user_id), keys.POINTER_SK, consistent_read=True).target
        except DoesNotExist:
            return None
        try:
            user = stored_user(UserRecord.get(keys.user_pk(email or ""), keys.USER_SK, consistent_read=True))
        except DoesNotExist:
            return None
        return user if user.user_id == user_id else None

    def users(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[StoredUser], str | None]:
        """A tenant's users by email, a page at a time (the index holds no password hashes)."""
        partition = keys.users_of_tenant(tenant_id)
        result = UserRecord.by_tenant.query(
            partition,
            limit=limit,
            page_size=limit,
            last_evaluated_key=decode_cursor(cursor, partition, "gsi1pk"),
        )
        found = [stored_user(r) for r in result]
        return found, encode_cursor(result.last_evaluated_key)

    def admin_count(self, tenant_id: str) -> int:
        """The tenant's active SUPERADMINs: its counter, set once from its users when missing
        (tenants made before the counter existed)."""
        try:
            record = TenantRecord.get(keys.tenant_pk(), tenant_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found") from exc
        if record.admins is not None:
            return int(record.admins)
        counted = sum(
            1
            for r in UserRecord.by_tenant.query(keys.users_of_tenant(tenant_id))
            if r.role == Role.SUPERADMIN.value and r.active == "true"
        )
        try:
            record.update(
                actions=[TenantRecord.admins.set(counted)], condition=TenantRecord.admins.does_not_exist()
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise store_error(exc, "tenant") from exc
            return self.admin_count(tenant_id)
        return counted

    def create_user(self, user: StoredUser) -> None:
        """A new user (and its id pointer; a SUPERADMIN counted). 409 `email_taken`."""
        tx = TransactWrite(connection=connection())
        try:
            with tx:
                tx.save(user_record(user, user.created_at), condition=UserRecord.pk.does_not_exist())
                tx.save(pointer_record(user), condition=PointerRecord.pk.does_not_exist())
                if user.role == Role.SUPERADMIN.value and user.active:
                    tx.update(*self._count(user.tenant_id, +1))
        except TransactWriteError as exc:
            _busy_or(exc, "user")
            if keys.USER_SK in failed_keys(exc, tx):
                raise Conflict("a user with this email exists", code="email_taken") from exc
            raise Conflict("the user could not be stored; retry", code="concurrent_update") from exc

    def change_user(
        self,
        user: StoredUser,
        *,
        name: str | None = None,
        role: str | None = None,
        active: bool | None = None,
        admin_delta: int = 0,
    ) -> StoredUser:
        """Change a user decided on `user` (409 `concurrent_update` when it changed meanwhile).
        A change of role or state ends the user's sessions (the token version moves on)."""
        actions: list[Action] = []
        if name is not None:
            actions.append(UserRecord.name.set(name))
        if role is not None and role != user.role:
            actions.append(UserRecord.role.set(role))
        if active is not None and active != user.active:
            actions.append(UserRecord.active.set("true" if active else "false"))
        if len(actions) > (name is not None):
            actions.append(UserRecord.token_version.add(1))
        if not actions:
            return user
        self._transact(
            user, lambda tx, rec, guard: tx.update(rec, actions=actions, condition=guard), admin_delta
        )
        changed = self.user_by_id(user.user_id)
        if changed is None:
            raise NotFound(f"user {user.user_id} not found", code="user_not_found")
        return changed

    def delete_user(self, user: StoredUser, admin_delta: int) -> None:
        """Remove the user and its id pointer (its sessions end: the user is gone)."""

        def remove(tx: TransactWrite, record: UserRecord, guard: Any) -> None:
            tx.delete(record, condition=guard)
            tx.delete(PointerRecord(keys.user_id_pk(user.user_id), keys.POINTER_SK))

        self._transact(user, remove, admin_delta)

    def _transact(self, user: StoredUser, write: Any, admin_delta: int) -> None:
        record = UserRecord(keys.user_pk(user.email), keys.USER_SK)
        guard = (UserRecord.user_id == user.user_id) & (UserRecord.token_version == user.token_version)
        if user.token_version == 0:
            guard = (UserRecord.user_id == user.user_id) & (
                UserRecord.token_version.does_not_exist() | (UserRecord.token_version == 0)
            )
        tx = TransactWrite(connection=connection())
        try:
            with tx:
                write(tx, record, guard)
                if admin_delta:
                    tx.update(*self._count(user.tenant_id, admin_delta))
        except TransactWriteError as exc:
            _busy_or(exc, "user")
            if keys.USER_SK in failed_keys(exc, tx):
                raise Conflict(
                    "the user changed meanwhile; reload and retry", code="concurrent_update"
                ) from exc
            raise Conflict(
                "this is the tenant's last active SUPERADMIN; make another one first",
                code="last_superadmin",
            ) from exc

    @staticmethod
    def _count(tenant_id: str, delta: int) -> tuple[TenantRecord, list[Action], Any]:
        """The tenant counter's part of a transaction (never below one active SUPERADMIN)."""
        guard = TenantRecord.admins > 1 if delta < 0 else TenantRecord.admins.exists()
        return TenantRecord(keys.tenant_pk(), tenant_id), [TenantRecord.admins.add(delta)], guard

    # ------------------------------------------------------------------ one-time tokens
    def put_token(self, digest: str, token: StoredToken) -> None:
        OneTimeTokenRecord(
            keys.one_time_pk(digest),
            keys.ONE_TIME_SK,
            kind=token.kind,
            email=token.email,
            user_id=token.user_id,
            tenant_id=token.tenant_id,
            expires_at_epoch=token.expires_at_epoch,
        ).save(condition=OneTimeTokenRecord.pk.does_not_exist())

    def get_token(self, digest: str) -> StoredToken | None:
        try:
            r = OneTimeTokenRecord.get(keys.one_time_pk(digest), keys.ONE_TIME_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return StoredToken(
            kind=r.kind or "",
            email=r.email or "",
            user_id=r.user_id or "",
            tenant_id=r.tenant_id or "",
            expires_at_epoch=int(r.expires_at_epoch or 0),
            used_at=r.used_at,
        )

    def redeem(self, digest: str, token: StoredToken, password_hash: str, now: str, now_epoch: int) -> bool:
        """Use the token once and set the user's password with it, atomically: the user's
        sessions end, the invitation is over. False when the token was used (or expired, or the
        user went) meanwhile."""
        tx = TransactWrite(connection=connection())
        try:
            with tx:
                tx.update(
                    OneTimeTokenRecord(keys.one_time_pk(digest), keys.ONE_TIME_SK),
                    actions=[OneTimeTokenRecord.used_at.set(now)],
                    condition=OneTimeTokenRecord.used_at.does_not_exist()
                    & (OneTimeTokenRecord.expires_at_epoch > now_epoch),
                )
                tx.update(
                    UserRecord(keys.user_pk(token.email), keys.USER_SK),
                    actions=[
                        UserRecord.password_hash.set(password_hash),
                        UserRecord.invited.remove(),
                        UserRecord.token_version.add(1),
                    ],
                    condition=UserRecord.user_id == token.user_id,
                )
        except TransactWriteError as exc:
            _busy_or(exc, "token")
            if failed_keys(exc, tx):
                return False
            raise store_error(exc, "token") from exc
        return True

    def set_password(self, user: StoredUser, password_hash: str) -> StoredUser:
        """A new password of the user's own choosing; every session it had ends."""
        try:
            UserRecord(keys.user_pk(user.email), keys.USER_SK).update(
                actions=[UserRecord.password_hash.set(password_hash), UserRecord.token_version.add(1)],
                condition=UserRecord.user_id == user.user_id,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise NotFound("this account no longer exists", code="user_not_found") from exc
            raise store_error(exc, "user") from exc
        changed = self.user_by_id(user.user_id)
        if changed is None:
            raise NotFound("this account no longer exists", code="user_not_found")
        return changed
