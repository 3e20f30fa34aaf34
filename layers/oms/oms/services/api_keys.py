"""API keys: a SUPERADMIN issues them for the tenant's machines (role INTEGRATION), lists them
(never the key again) and revokes them; every request with `X-API-Key` is verified here.

A verified key is remembered by this process for at most CACHE_SECONDS, so a busy integration
costs one GetItem a minute, not one a request. Revoking drops it from this process's memory at
once; other warm processes notice within CACHE_SECONDS.
"""

from __future__ import annotations

import threading
from typing import Any

from oms.data.api_keys import StoredKey
from oms.domain import api_keys as rules
from oms.domain.clock import now_iso, utcnow
from oms.domain.errors import Conflict, NotFound, TransientStoreError, Unauthenticated
from oms.domain.models import Principal, Role
from oms.services.context import repos

CACHE_SECONDS = 60.0
_CACHE_LIMIT = 10_000
_cache: dict[str, tuple[float, StoredKey]] = {}
_lock = threading.Lock()


def _now() -> float:
    return utcnow().timestamp()


def create(principal: Principal, body: rules.ApiKeyCreate) -> dict[str, Any]:
    if repos.api_keys.count_active(principal.tenant_id) >= rules.MAX_KEYS_PER_TENANT:
        raise Conflict(
            f"a tenant has at most {rules.MAX_KEYS_PER_TENANT} active API keys; revoke one first",
            code="api_key_limit",
        )
    stored, key = issue(principal.tenant_id, body.name, principal.actor)
    return {**stored.public(), "key": key}


def issue(tenant_id: str, name: str, created_by: str) -> tuple[StoredKey, str]:
    """Store a new key for the tenant; returns it with the key itself (shown once)."""
    for _ in range(3):  # a 64-bit id colliding is astronomically rare; try again if it does
        key_id, key = rules.new_key()
        stored = StoredKey(
            key_id=key_id,
            tenant_id=tenant_id,
            name=name,
            digest=rules.digest(key),
            prefix=rules.shown_prefix(key_id),
            last4=key[-4:],
            created_at=now_iso(),
            created_by=created_by,
        )
        try:
            repos.api_keys.insert(stored)
        except TransientStoreError:
            continue
        return stored, key
    raise TransientStoreError("the key could not be stored; retry")


def list_keys(principal: Principal) -> list[dict[str, Any]]:
    keys = sorted(repos.api_keys.list_for(principal.tenant_id), key=lambda k: k.created_at, reverse=True)
    return [k.public() for k in keys]


def revoke(principal: Principal, key_id: str) -> None:
    """Revoke a key of the caller's tenant (again: nothing to do). Another tenant's key is a 404,
    as is an id that never existed."""
    revoke_key(principal.tenant_id, key_id, principal.actor)


def revoke_key(tenant_id: str, key_id: str, by: str) -> None:
    stored = repos.api_keys.get(key_id) if rules.KEY_ID_RE.match(key_id) else None
    if stored is None or stored.tenant_id != tenant_id:
        raise NotFound(f"API key {key_id} not found", code="api_key_not_found")
    with _lock:
        _cache.pop(key_id, None)
    if stored.active:
        repos.api_keys.revoke(stored, now_iso(), by, _now())


def authenticate(key: str) -> Principal:
    """The INTEGRATION principal of a valid, unrevoked key; 401 for anything else."""
    key_id = rules.key_id_of(key.strip())
    if key_id is None:
        raise Unauthenticated("X-API-Key is not a Cirrus API key", code="invalid_api_key")
    stored = _lookup(key_id)
    if stored is None or not stored.active or not rules.matches(key.strip(), stored.digest):
        raise Unauthenticated("invalid or revoked API key", code="invalid_api_key")
    return Principal(user_id=stored.key_id, email="", tenant_id=stored.tenant_id, role=Role.INTEGRATION)


def _lookup(key_id: str) -> StoredKey | None:
    now = _now()
    with _lock:
        hit = _cache.get(key_id)
    if hit is not None and 0 <= now - hit[0] < CACHE_SECONDS:
        return hit[1]
    stored = repos.api_keys.get(key_id)
    with _lock:
        if stored is None or not stored.active:
            _cache.pop(key_id, None)  # unknown and revoked keys are not remembered
        else:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[key_id] = (now, stored)
    return stored


def forget_cached() -> None:
    """Drop what this process remembers (tests; a fresh deployment of the tables)."""
    with _lock:
        _cache.clear()
