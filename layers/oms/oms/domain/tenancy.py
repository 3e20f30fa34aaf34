"""Tenants, users and their one-time tokens: the rules (pure; storage in oms.data.directory).

* A tenant has a unique slug (`SLUG_RE`: 3 to 40 of a-z, 0-9 and inner hyphens), fixed at birth,
  and a status, ACTIVE or SUSPENDED (a suspended tenant's tokens and API keys stop working).
* A user has one role of the tenant's people: SUPERADMIN, USER or CUSTOMER (a PLATFORM_OWNER is
  never made through the API). An invited user has no password until the invitation is accepted.
* One-time tokens (invitation 7 days, password reset 1 hour) are 32 random bytes, shown once and
  stored only as their SHA-256; a token works once, before it expires.
* A tenant keeps at least one active SUPERADMIN: the last one cannot be demoted, deactivated or
  deleted, and an admin never demotes, deactivates or deletes themselves.
* New passwords (accepting an invitation or a reset, changing one's own): 8 to 256 characters,
  not only spaces, not the account's email (NIST SP 800-63B's floor; scrypt hashes them).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from enum import StrEnum

from pydantic import Field, field_validator

from oms.domain.errors import Conflict, ValidationFailed
from oms.domain.models import EMAIL_RE, Role, Strict

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
INVITATION_SECONDS = 7 * 86400
RESET_SECONDS = 3600
PASSWORD_MIN, PASSWORD_MAX = 8, 256
ASSIGNABLE_ROLES = (Role.SUPERADMIN, Role.USER, Role.CUSTOMER)
TOKEN_BYTES = 32


class TenantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class TokenKind(StrEnum):
    INVITATION = "INVITATION"
    RESET = "RESET"

    @property
    def lifetime(self) -> int:
        return INVITATION_SECONDS if self is TokenKind.INVITATION else RESET_SECONDS


def _email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL_RE.match(value):
        raise ValueError("not an email address")
    return value


def valid_slug(slug: str) -> bool:
    return bool(SLUG_RE.fullmatch(slug))


class TenantCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=3, max_length=40, description="a-z, 0-9 and inner hyphens; unique")
    admin_email: str = Field(min_length=3, max_length=254, description="the first SUPERADMIN")

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not valid_slug(value):
            raise ValueError("3 to 40 of a-z, 0-9 and hyphens, starting and ending with a letter or digit")
        return value

    @field_validator("admin_email")
    @classmethod
    def _admin(cls, value: str) -> str:
        return _email(value)


class TenantPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: TenantStatus | None = None


class UserCreate(Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role

    @field_validator("email")
    @classmethod
    def _email_ok(cls, value: str) -> str:
        return _email(value)

    @field_validator("role")
    @classmethod
    def _assignable(cls, value: Role) -> Role:
        return assignable(value)


class UserPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    active: bool | None = None

    @field_validator("role")
    @classmethod
    def _assignable(cls, value: Role | None) -> Role | None:
        return None if value is None else assignable(value)


class TokenPassword(Strict):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX)


def assignable(role: Role) -> Role:
    if role not in ASSIGNABLE_ROLES:
        raise ValueError(f"a user's role is one of {', '.join(r.value for r in ASSIGNABLE_ROLES)}")
    return role


def check_new_password(password: str, email: str) -> None:
    """The rule for every new password (422 `weak_password` naming what is wrong)."""
    problem = None
    if len(password) < PASSWORD_MIN:
        problem = f"at least {PASSWORD_MIN} characters"
    elif not password.strip():
        problem = "not only spaces"
    elif password.strip().lower() == email.strip().lower():
        problem = "not the email address"
    if problem is not None:
        raise ValidationFailed(
            f"the password must be {problem}",
            code="weak_password",
            details=[{"loc": ["password"], "msg": problem, "type": "value_error"}],
        )


# ------------------------------------------------------------------ one-time tokens
def new_token() -> str:
    """32 random bytes, URL-safe (43 characters): shown once, never stored."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=")


def token_digest(token: str) -> str:
    """What is stored and looked up: the SHA-256 of the token (a leaked table holds no token)."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def token_expired(expires_at_epoch: int, now: float) -> bool:
    return now >= expires_at_epoch


# ------------------------------------------------------------------ the last admin
def check_admin_change(
    *,
    actor_user_id: str,
    target_user_id: str,
    target_role: str,
    target_active: bool,
    new_role: str | None,
    new_active: bool | None,
    deleting: bool,
    active_admins: int,
) -> int:
    """Refuse (409) what would leave the tenant without an active SUPERADMIN, or an admin
    demoting, deactivating or deleting themselves. Returns the change to the tenant's count of
    active SUPERADMINs (-1, 0 or +1)."""
    was_admin = target_role == Role.SUPERADMIN.value and target_active
    role_after = target_role if new_role is None else new_role
    active_after = False if deleting else (target_active if new_active is None else new_active)
    is_admin = role_after == Role.SUPERADMIN.value and active_after
    if actor_user_id == target_user_id and (deleting or not active_after or role_after != target_role):
        raise Conflict(
            "you cannot demote, deactivate or delete yourself; ask another SUPERADMIN",
            code="cannot_change_self",
        )
    delta = int(is_admin) - int(was_admin)
    if delta < 0 and active_admins <= 1:
        raise Conflict(
            "this is the tenant's last active SUPERADMIN; make another one first",
            code="last_superadmin",
        )
    return delta
