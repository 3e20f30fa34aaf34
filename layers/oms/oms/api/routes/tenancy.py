"""Tenants (the platform owner), users (a tenant's SUPERADMIN), invitations and passwords."""

from __future__ import annotations

from typing import Any

from oms.api.http import PageQuery, route
from oms.api.instance import app
from oms.domain.models import Principal, Role
from oms.domain.tenancy import PasswordChange, TenantCreate, TenantPatch, TokenPassword, UserCreate, UserPatch
from oms.services import customers, tenants, users


# ------------------------------------------------------------------ tenants
@route(app, "/tenants", ["POST"], role=Role.PLATFORM_OWNER, status=201, body=TenantCreate)
def create_tenant(principal: Principal, *, body: TenantCreate) -> dict[str, Any]:
    """A tenant and its first SUPERADMIN (invited, and emailed: `invitation_email`): the answer
    holds the `invitation_token`, once."""
    return tenants.create_tenant(principal, body)


@route(app, "/tenants", ["GET"], role=Role.PLATFORM_OWNER, query=PageQuery)
def list_tenants(principal: Principal, *, query: PageQuery) -> dict[str, Any]:
    return tenants.list_tenants(principal, query.limit, query.cursor)


@route(app, "/tenants/{tenant_id}", ["GET"], role=Role.PLATFORM_OWNER)
def get_tenant(principal: Principal, tenant_id: str) -> dict[str, Any]:
    return tenants.get_tenant(principal, tenant_id).public()


@route(app, "/tenants/{tenant_id}", ["PATCH"], role=Role.PLATFORM_OWNER, body=TenantPatch)
def patch_tenant(principal: Principal, tenant_id: str, *, body: TenantPatch) -> dict[str, Any]:
    """Rename, suspend (`{"status": "SUSPENDED"}`: its tokens and API keys stop working within a
    minute) or reactivate. The platform owner's own tenant cannot be suspended (409 own_tenant)."""
    return tenants.patch_tenant(principal, tenant_id, body).public()


# ------------------------------------------------------------------ users
@route(app, "/users", ["POST"], role=Role.SUPERADMIN, status=201, body=UserCreate)
def create_user(principal: Principal, *, body: UserCreate) -> dict[str, Any]:
    """An invited user of the caller's tenant (SUPERADMIN, USER or CUSTOMER): the answer holds
    the `invitation_token` (7 days, once); `invitation_email` says whether the invitation was
    emailed ("SENT" | "SUPPRESSED" | "FAILED")."""
    return users.create_user(principal, body)


@route(app, "/users", ["GET"], role=Role.SUPERADMIN, query=PageQuery)
def list_users(principal: Principal, *, query: PageQuery) -> dict[str, Any]:
    return users.list_users(principal, query.limit, query.cursor)


@route(app, "/users/{user_id}", ["GET"], role=Role.SUPERADMIN)
def get_user(principal: Principal, user_id: str) -> dict[str, Any]:
    return users.public(users.get_user(principal, user_id))


@route(app, "/users/{user_id}", ["PATCH"], role=Role.SUPERADMIN, body=UserPatch)
def patch_user(principal: Principal, user_id: str, *, body: UserPatch) -> dict[str, Any]:
    """Rename, change the role, deactivate or reactivate; ends the user's sessions. Not oneself,
    not the tenant's last active SUPERADMIN (409)."""
    return users.public(users.patch_user(principal, user_id, body))


@route(app, "/users/{user_id}", ["DELETE"], role=Role.SUPERADMIN)
def delete_user(principal: Principal, user_id: str) -> dict[str, Any]:
    """Remove the user and end their sessions (the same rules as deactivating)."""
    return users.delete_user(principal, user_id)


@route(app, "/users/{user_id}/reset-password", ["POST"], role=Role.SUPERADMIN, status=201)
def reset_password(principal: Principal, user_id: str) -> dict[str, Any]:
    """A one-time `reset_token` (1 hour) the user redeems at POST /auth/reset-password, also
    emailed to them (`reset_email`: "SENT" | "SUPPRESSED" | "FAILED")."""
    return users.reset_password(principal, user_id)


# ------------------------------------------------------------------ invitations and passwords
@route(app, "/auth/accept-invitation", ["POST"], role=None, body=TokenPassword)
def accept_invitation(*, body: TokenPassword) -> dict[str, Any]:
    """Set the password with an invitation token, once: 400 invalid_token / token_expired,
    409 token_used. Answers like a login."""
    return users.redeem(body)


@route(app, "/auth/reset-password", ["POST"], role=None, body=TokenPassword)
def reset_with_token(*, body: TokenPassword) -> dict[str, Any]:
    """Set a new password with a reset token (as accept-invitation); every session ends."""
    return users.redeem(body)


@route(app, "/auth/password", ["POST"], role=Role.CUSTOMER, body=PasswordChange)
def change_password(principal: Principal, *, body: PasswordChange) -> dict[str, Any]:
    """Change one's own password: every other session ends; the answer holds a fresh token."""
    return users.change_password(principal, body)


# ------------------------------------------------------------------ shoppers
@route(app, "/catalog", ["GET"], role=Role.CUSTOMER, query=PageQuery)
def catalog(principal: Principal, *, query: PageQuery) -> dict[str, Any]:
    """The tenant's sellable products as shoppers see them: price, currency and `in_stock`."""
    return customers.catalog(principal, query.limit, query.cursor)
