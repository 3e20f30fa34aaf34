"""API keys in the Directory table: a lookup item per key and a list entry per tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import connection
from oms.data.records import ApiKeyRecord
from oms.domain.errors import TransientStoreError

REVOKED_KEPT_SECONDS = 90 * 86400


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    tenant_id: str
    name: str
    digest: str
    prefix: str
    last4: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, str | None]:
        """What the API shows: never the key, never its digest."""
        return {
            "id": self.key_id,
            "name": self.name,
            "prefix": self.prefix,
            "last4": self.last4,
            "status": "ACTIVE" if self.active else "REVOKED",
            "created_at": self.created_at,
            "created_by": self.created_by,
            "revoked_at": self.revoked_at,
        }


def _stored(r: ApiKeyRecord) -> StoredKey:
    return StoredKey(
        key_id=r.key_id or "",
        tenant_id=r.tenant_id or "",
        name=r.name or "",
        digest=r.digest or "",
        prefix=r.prefix or "",
        last4=r.last4 or "",
        created_at=r.created_at or "",
        created_by=r.created_by or "",
        revoked_at=r.revoked_at,
        revoked_by=r.revoked_by,
    )


class ApiKeyRepository:
    def insert(self, key: StoredKey) -> None:
        """Both items at once; the lookup item must be new (a 64-bit id colliding is a retry)."""
        fields: dict[str, Any] = {
            "key_id": key.key_id,
            "tenant_id": key.tenant_id,
            "name": key.name,
            "prefix": key.prefix,
            "last4": key.last4,
            "created_at": key.created_at,
            "created_by": key.created_by,
        }
        lookup = ApiKeyRecord(keys.api_key_pk(key.key_id), keys.API_KEY_SK, digest=key.digest, **fields)
        listed = ApiKeyRecord(keys.api_keys_pk(key.tenant_id), keys.api_key_list_sk(key.key_id), **fields)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(lookup, condition=ApiKeyRecord.pk.does_not_exist())
                tx.save(listed, condition=ApiKeyRecord.pk.does_not_exist())
        except TransactWriteError as exc:
            raise TransientStoreError("the key could not be stored; retry") from exc

    def get(self, key_id: str) -> StoredKey | None:
        """The lookup item (with the digest), whatever its tenant."""
        try:
            return _stored(ApiKeyRecord.get(keys.api_key_pk(key_id), keys.API_KEY_SK))
        except DoesNotExist:
            return None

    def list_for(self, tenant_id: str) -> list[StoredKey]:
        return [_stored(r) for r in ApiKeyRecord.query(keys.api_keys_pk(tenant_id))]

    def count_active(self, tenant_id: str) -> int:
        return sum(1 for k in self.list_for(tenant_id) if k.active)

    def revoke(self, key: StoredKey, at: str, by: str, now_epoch: float) -> bool:
        """Mark both items revoked (kept 90 days, then the table's TTL removes them). False when
        the key was revoked meanwhile (by someone else)."""
        expires = int(now_epoch) + REVOKED_KEPT_SECONDS
        actions: list[Action] = [
            ApiKeyRecord.revoked_at.set(at),
            ApiKeyRecord.revoked_by.set(by),
            ApiKeyRecord.expires_at_epoch.set(expires),
        ]
        lookup = ApiKeyRecord(keys.api_key_pk(key.key_id), keys.API_KEY_SK)
        listed = ApiKeyRecord(keys.api_keys_pk(key.tenant_id), keys.api_key_list_sk(key.key_id))
        guard = (ApiKeyRecord.tenant_id == key.tenant_id) & ApiKeyRecord.revoked_at.does_not_exist()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(lookup, actions=actions, condition=guard)
                tx.update(listed, actions=actions, condition=ApiKeyRecord.pk.exists())
        except TransactWriteError as exc:
            codes = [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]
            if "ConditionalCheckFailed" in codes:
                return False
            raise TransientStoreError("the key could not be revoked; retry") from exc
        return True
