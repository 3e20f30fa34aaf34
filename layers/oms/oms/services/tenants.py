"""Tenants (the platform owner's): create with a first SUPERADMIN, list, read, rename, suspend.

A suspended tenant's bearer tokens and API keys stop working within TENANT_CACHE_SECONDS: every
authenticated request checks its tenant's state, remembered per process for at most that long.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from oms.data.directory import StoredUser
from oms.data.tenancy import StoredTenant
from oms.domain.clock import epoch, now_iso
from oms.domain.errors import Conflict, Forbidden, NotFound
from oms.domain.models import Principal, Role
from oms.domain.tenancy import TenantCreate, TenantPatch, TenantStatus, TokenKind, valid_slug
from oms.services import account_mail
from oms.services.context import repos
from oms.services.onetime import issue_token

TENANT_CACHE_SECONDS = 30.0
_CACHE_LIMIT = 10_000
_states: dict[str, tuple[float, str | None]] = {}
_lock = threading.Lock()


def create_tenant(principal: Principal, request: TenantCreate) -> dict[str, Any]:
    """The tenant, its slug and its first SUPERADMIN (invited: no password until the invitation
    token is accepted, and emailed: `invitation_email`). The token is in the answer, once."""
    now = now_iso()
    tenant = StoredTenant(
        id=str(uuid.uuid4()),
        name=request.name,
        slug=request.slug,
        status=TenantStatus.ACTIVE.value,
        admin_email=request.admin_email,
        created_at=now,
    )
    admin = StoredUser(
        user_id=str(uuid.uuid4()),
        tenant_id=tenant.id,
        email=request.admin_email,
        name=request.name + " admin",
        role=Role.SUPERADMIN.value,
        password_hash="",
        active=True,
        invited=True,
        created_at=now,
    )
    repos.tenancy.create_tenant(tenant, admin)
    token, expires = issue_token(admin, TokenKind.INVITATION)
    sent = account_mail.send_invitation(admin, token, expires, slug=tenant.slug)
    return {
        **tenant.public(),
        "admin_user_id": admin.user_id,
        "invitation_token": token,
        "invitation_expires_at": expires,
        "invitation_email": sent,
    }


def list_tenants(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    found, next_cursor = repos.tenancy.tenants(limit, cursor)
    return {"items": [t.public() for t in found], "count": len(found), "next_cursor": next_cursor}


def get_tenant(principal: Principal, tenant_id: str) -> StoredTenant:
    tenant = repos.tenancy.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    return tenant


def get_tenant_or_none(tenant_id: str) -> StoredTenant | None:
    return repos.tenancy.get_tenant(tenant_id)


def patch_tenant(principal: Principal, tenant_id: str, patch: TenantPatch) -> StoredTenant:
    """Rename, suspend or reactivate. The platform owner's own tenant is never suspended."""
    get_tenant(principal, tenant_id)
    if patch.status is TenantStatus.SUSPENDED and tenant_id == principal.tenant_id:
        raise Conflict("the platform owner's own tenant cannot be suspended", code="own_tenant")
    tenant = repos.tenancy.update_tenant(
        tenant_id, patch.name, patch.status.value if patch.status is not None else None
    )
    _remember(tenant_id, tenant.status, epoch())
    return tenant


def tenant_for_slug(slug: str) -> StoredTenant | None:
    """The tenant with this slug (the portal, public branding, the login page), or None."""
    if not valid_slug(slug):
        return None
    tenant_id = repos.tenancy.tenant_id_for_slug(slug)
    return repos.tenancy.get_tenant(tenant_id) if tenant_id else None


# ------------------------------------------------------------------ suspension
def require_active(tenant_id: str) -> None:
    """403 `tenant_suspended` for a suspended tenant (its state read at most every
    TENANT_CACHE_SECONDS per process). A tenant without a record (tests, old data) is active."""
    if _state(tenant_id) == TenantStatus.SUSPENDED.value:
        raise Forbidden("this tenant is suspended", code="tenant_suspended")


def _state(tenant_id: str) -> str | None:
    now = epoch()
    with _lock:
        hit = _states.get(tenant_id)
    if hit is not None and 0 <= now - hit[0] < TENANT_CACHE_SECONDS:
        return hit[1]
    tenant = repos.tenancy.get_tenant(tenant_id)
    status = tenant.status if tenant is not None else None
    _remember(tenant_id, status, now)
    return status


def _remember(tenant_id: str, status: str | None, now: float) -> None:
    with _lock:
        if len(_states) >= _CACHE_LIMIT:
            _states.clear()
        _states[tenant_id] = (now, status)


def forget_cached() -> None:
    with _lock:
        _states.clear()
