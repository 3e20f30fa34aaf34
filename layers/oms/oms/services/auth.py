"""Login, authentication (a person's bearer token or a machine's API key) and authorisation.

Sessions follow the user record: a token carries the user's token version (`ver`), and a request
is refused once the stored version has moved on (role changed, user deactivated), the role differs
or the user is inactive. The record is read at most once a minute per user per process
(USER_CACHE_SECONDS); a token newer than what this process remembers makes it read again.

Failed logins are throttled per account and per source address (oms.domain.throttle). A
suspended tenant's tokens and API keys are refused (403 `tenant_suspended`, oms.services.tenants).
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from oms.adapters import passwords, tokens
from oms.data.directory import StoredUser
from oms.domain import throttle
from oms.domain.clock import utcnow
from oms.domain.errors import Forbidden, RateLimited, Unauthenticated
from oms.domain.models import LoginRequest, Principal, Role
from oms.services.context import repos

USER_CACHE_SECONDS = 60.0
_CACHE_LIMIT = 10_000
_users: dict[str, tuple[float, StoredUser | None]] = {}
_users_lock = threading.Lock()


def _now() -> float:
    return utcnow().timestamp()


# ------------------------------------------------------------------ login
def login(request: LoginRequest, source_ip: str | None = None) -> dict[str, object]:
    """The same work and the same answers whether or not the email exists: an unknown address is
    hashed against a dummy, counted and locked exactly like a known one."""
    now = _now()
    account, address = throttle.account_ref(request.email), throttle.address_ref(source_ip)
    window = throttle.window(now)
    locked_until, strikes = repos.login_throttle.lock_state(account, now)
    if locked_until > now:
        raise too_many(locked_until, now)
    count = repos.login_throttle.take_account_slot(account, window)
    if count is None:  # attempts racing each other filled the window before the lock was set
        raise too_many(throttle.window_end(window), now)
    if repos.login_throttle.take_address_slot(address, window) is None:
        repos.login_throttle.give_back_account_slot(account, window)
        raise too_many(throttle.window_end(window), now)
    user = repos.directory.user_by_email(request.email)
    if user is None:
        passwords.verify_password(request.password, passwords.dummy_hash())  # same cost as a miss
    elif passwords.verify_password(request.password, user.password_hash) and user.active:
        repos.login_throttle.give_back_account_slot(account, window)
        repos.login_throttle.give_back_address_slot(address, window)
        _tenant_active(user.tenant_id)
        return _session(user, now)
    if count >= throttle.ACCOUNT_FAILURES:
        repos.login_throttle.lock(account, strikes, now)
    raise Unauthenticated("invalid email or password", code="invalid_credentials")


def too_many(until: float, now: float) -> RateLimited:
    return RateLimited(
        "too many failed logins; try again later",
        retry_after=throttle.wait_seconds(until, now),
        code="too_many_attempts",
    )


def session(user: StoredUser) -> dict[str, object]:
    """A fresh bearer token for the user as stored now (after a password change or reset)."""
    return _session(user, _now())


def _tenant_active(tenant_id: str) -> None:
    from oms.services import tenants

    tenants.require_active(tenant_id)


def _session(user: StoredUser, now: float) -> dict[str, object]:
    _remember(user, now)
    principal = Principal(
        user_id=user.user_id, email=user.email, tenant_id=user.tenant_id, role=Role(user.role)
    )
    token, ttl = tokens.issue(principal, version=user.token_version)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ttl,
        "user": {"email": user.email, "role": user.role, "tenant_id": user.tenant_id},
    }


# ------------------------------------------------------------------ authentication
def authenticate(authorization: str | None, api_key: str | None = None) -> Principal:
    """A person (`Authorization: Bearer <token>`) or a machine (`X-API-Key: <key>`); one of them."""
    if authorization and api_key:
        raise Unauthenticated(
            "send either Authorization or X-API-Key, not both", code="ambiguous_credentials"
        )
    if api_key:
        from oms.services import api_keys

        machine = api_keys.authenticate(api_key)
        _tenant_active(machine.tenant_id)  # a suspended tenant's keys stop working (issue 12)
        return machine
    if not authorization:
        raise Unauthenticated("missing Authorization header", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'", code="invalid_token")
    verified = tokens.verify_claims(token.strip())
    _check_session(verified.principal, verified.version)
    _tenant_active(verified.principal.tenant_id)  # and its people's tokens
    return verified.principal


def _check_session(principal: Principal, version: int) -> None:
    now = _now()
    user = _user(principal.email, now)
    if not _valid(user, principal, version) and _may_be_stale(user, principal, version):
        user = _user(principal.email, now, fresh=True)
    if not _valid(user, principal, version):
        raise Unauthenticated("this session has ended; log in again", code="session_revoked")


def _valid(user: StoredUser | None, principal: Principal, version: int) -> bool:
    return (
        user is not None
        and user.active
        and user.user_id == principal.user_id
        and user.tenant_id == principal.tenant_id
        and user.role == principal.role.value
        and user.token_version == version
    )


def _may_be_stale(user: StoredUser | None, principal: Principal, version: int) -> bool:
    """What this process remembers may be older than the token (versions only grow): read again.
    A token older than the remembered record is refused without a read."""
    return user is None or user.user_id != principal.user_id or user.token_version < version


def _user(email: str, now: float, *, fresh: bool = False) -> StoredUser | None:
    key = email.lower()
    with _users_lock:
        hit = _users.get(key)
    if not fresh and hit is not None and 0 <= now - hit[0] < USER_CACHE_SECONDS:
        return hit[1]
    user = repos.directory.user_by_email(email)
    with _users_lock:
        if len(_users) >= _CACHE_LIMIT:
            _users.clear()
        _users[key] = (now, user)
    return user


def _remember(user: StoredUser, now: float) -> None:
    with _users_lock:
        _users[user.email.lower()] = (now, user)


def forget_cached() -> None:
    """Drop what this process remembers (tests; a fresh deployment of the tables)."""
    with _users_lock:
        _users.clear()


def forget_user(email: str) -> None:
    """This process reads the user again on their next request (after a change made here;
    other processes notice within USER_CACHE_SECONDS)."""
    with _users_lock:
        _users.pop(email.lower(), None)


# ------------------------------------------------------------------ authorisation
def require(principal: Principal, allowed: Role | Collection[Role]) -> None:
    """`allowed`: the roles a route admits (or, as a single Role, the least human role)."""
    if isinstance(allowed, Role):
        if principal.at_least(allowed):
            return
        required = [allowed.value]
    else:
        if principal.role in allowed:
            return
        required = [r.value for r in allowed]
    raise Forbidden(
        f"this action needs one of the roles {', '.join(required)}",
        code="insufficient_role",
        details={"required": required, "have": principal.role.value},
    )
