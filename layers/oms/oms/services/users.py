"""A tenant's users (its SUPERADMINs'), invitations, password resets and password changes.

Rules in oms.domain.tenancy; storage in oms.data.tenancy. Passwords are hashed with scrypt
(oms.adapters.passwords); checking a current password is throttled like a login.
"""

from __future__ import annotations

import uuid
from typing import Any

from oms.adapters import passwords
from oms.data.directory import StoredUser
from oms.domain import throttle
from oms.domain.clock import epoch, now_iso
from oms.domain.errors import Conflict, Forbidden, MalformedRequest, NotFound, Unauthenticated
from oms.domain.models import Principal, Role
from oms.domain.tenancy import (
    PasswordChange,
    TokenKind,
    TokenPassword,
    UserCreate,
    UserPatch,
    check_admin_change,
    check_new_password,
    token_digest,
    token_expired,
)
from oms.services import account_mail, auth, tenants
from oms.services.context import repos
from oms.services.onetime import issue_token


def public(user: StoredUser) -> dict[str, Any]:
    return {
        "id": user.user_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "tenant_id": user.tenant_id,
        "created_at": user.created_at,
        "invited": user.invited,
    }


# ------------------------------------------------------------------ a SUPERADMIN's users
def create_user(principal: Principal, request: UserCreate) -> dict[str, Any]:
    """An invited user of the caller's tenant (no password until the invitation is accepted),
    emailed the invitation (`invitation_email`: "SENT" | "SUPPRESSED" | "FAILED")."""
    if request.role is Role.SUPERADMIN:
        repos.tenancy.admin_count(principal.tenant_id)  # the counter exists before it is added to
    user = StoredUser(
        user_id=str(uuid.uuid4()),
        tenant_id=principal.tenant_id,
        email=request.email,
        name=request.name,
        role=request.role.value,
        password_hash="",
        active=True,
        invited=True,
        created_at=now_iso(),
    )
    repos.tenancy.create_user(user)
    token, expires = issue_token(user, TokenKind.INVITATION)
    sent = account_mail.send_invitation(user, token, expires)
    return {
        **public(user),
        "invitation_token": token,
        "invitation_expires_at": expires,
        "invitation_email": sent,
    }


def list_users(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    found, next_cursor = repos.tenancy.users(principal.tenant_id, limit, cursor)
    return {"items": [public(u) for u in found], "count": len(found), "next_cursor": next_cursor}


def get_user(principal: Principal, user_id: str) -> StoredUser:
    """A user of the caller's tenant (404 for anyone else's)."""
    user = repos.tenancy.user_by_id(user_id)
    if user is None or user.tenant_id != principal.tenant_id:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    return user


def _manageable(principal: Principal, user_id: str) -> StoredUser:
    user = get_user(principal, user_id)
    if user.role == Role.PLATFORM_OWNER.value:
        raise Forbidden(
            "a platform owner's account is not managed through /users", code="platform_owner_account"
        )
    return user


def patch_user(principal: Principal, user_id: str, patch: UserPatch) -> StoredUser:
    """Rename, change role, deactivate or reactivate (a change of role or state ends the user's
    sessions). Never oneself's role or state, never the tenant's last active SUPERADMIN."""
    user = _manageable(principal, user_id)
    role = patch.role.value if patch.role is not None else None
    delta = check_admin_change(
        actor_user_id=principal.user_id,
        target_user_id=user.user_id,
        target_role=user.role,
        target_active=user.active,
        new_role=role,
        new_active=patch.active,
        deleting=False,
        active_admins=repos.tenancy.admin_count(principal.tenant_id),
    )
    changed = repos.tenancy.change_user(
        user, name=patch.name, role=role, active=patch.active, admin_delta=delta
    )
    auth.forget_user(user.email)
    return changed


def delete_user(principal: Principal, user_id: str) -> dict[str, Any]:
    """Remove the user; their sessions end (the same rules as deactivating)."""
    user = _manageable(principal, user_id)
    delta = check_admin_change(
        actor_user_id=principal.user_id,
        target_user_id=user.user_id,
        target_role=user.role,
        target_active=user.active,
        new_role=None,
        new_active=None,
        deleting=True,
        active_admins=repos.tenancy.admin_count(principal.tenant_id),
    )
    repos.tenancy.delete_user(user, delta)
    auth.forget_user(user.email)
    return {"id": user.user_id, "deleted": True}


def reset_password(principal: Principal, user_id: str) -> dict[str, Any]:
    """A one-time password reset token (1 hour) for a user of the tenant, also emailed to them
    (`reset_email`: "SENT" | "SUPPRESSED" | "FAILED"; the token stands either way)."""
    user = _manageable(principal, user_id)
    if not user.active:
        raise Conflict("the user is deactivated; reactivate them first", code="user_inactive")
    token, expires = issue_token(user, TokenKind.RESET)
    sent = account_mail.send_reset(user, token, expires)
    return {"user_id": user.user_id, "reset_token": token, "expires_at": expires, "reset_email": sent}


# ------------------------------------------------------------------ tokens and passwords
def redeem(request: TokenPassword) -> dict[str, Any]:
    """Set the password with an invitation or reset token, once; answers with a session."""
    digest = token_digest(request.token)
    stored = repos.tenancy.get_token(digest)
    if stored is None:
        raise MalformedRequest("this token is not valid", code="invalid_token")
    if stored.used_at is not None:
        raise Conflict("this token has been used already", code="token_used")
    now = epoch()
    if token_expired(stored.expires_at_epoch, now):
        raise MalformedRequest("this token has expired; ask for a new one", code="token_expired")
    user = repos.tenancy.user_by_id(stored.user_id)
    if user is None or user.tenant_id != stored.tenant_id:
        raise MalformedRequest("this token is not valid", code="invalid_token")
    if not user.active:
        raise Conflict("the account is deactivated", code="user_inactive")
    tenants.require_active(user.tenant_id)
    check_new_password(request.password, user.email)
    if not repos.tenancy.redeem(
        digest, stored, passwords.hash_password(request.password), now_iso(), int(now)
    ):
        raise Conflict("this token has been used already", code="token_used")
    auth.forget_user(user.email)
    fresh = repos.directory.user_by_email(user.email)
    if fresh is None:
        raise MalformedRequest("this token is not valid", code="invalid_token")
    return auth.session(fresh)


def change_password(principal: Principal, request: PasswordChange) -> dict[str, Any]:
    """A person's own new password: the current one checked (throttled like a login), every
    other session ended, a fresh token returned."""
    user = repos.directory.user_by_email(principal.email)
    if user is None or user.user_id != principal.user_id:
        raise Unauthenticated("this session has ended; log in again", code="session_revoked")
    now = epoch()
    account = throttle.account_ref(user.email)
    window = throttle.window(now)
    locked_until, strikes = repos.login_throttle.lock_state(account, now)
    if locked_until > now:
        raise auth.too_many(locked_until, now)
    count = repos.login_throttle.take_account_slot(account, window)
    if count is None:
        raise auth.too_many(throttle.window_end(window), now)
    if not passwords.verify_password(request.current_password, user.password_hash):
        if count >= throttle.ACCOUNT_FAILURES:
            repos.login_throttle.lock(account, strikes, now)
        raise Forbidden("the current password is wrong", code="invalid_credentials")
    repos.login_throttle.give_back_account_slot(account, window)
    check_new_password(request.new_password, user.email)
    changed = repos.tenancy.set_password(user, passwords.hash_password(request.new_password))
    auth.forget_user(user.email)
    return auth.session(changed)
