"""Login and authorisation."""

from __future__ import annotations

from oms.adapters import passwords, tokens
from oms.domain.errors import Forbidden, Unauthenticated
from oms.domain.models import LoginRequest, Principal, Role
from oms.services.context import repos


def login(request: LoginRequest) -> dict[str, object]:
    user = repos.directory.user_by_email(request.email)
    if user is None:
        passwords.verify_password(request.password, passwords.dummy_hash())  # same cost as a miss
        raise Unauthenticated("invalid email or password", code="invalid_credentials")
    if not passwords.verify_password(request.password, user.password_hash) or not user.active:
        raise Unauthenticated("invalid email or password", code="invalid_credentials")
    principal = Principal(
        user_id=user.user_id, email=user.email, tenant_id=user.tenant_id, role=Role(user.role)
    )
    token, ttl = tokens.issue(principal)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ttl,
        "user": {"email": user.email, "role": user.role, "tenant_id": user.tenant_id},
    }


def authenticate(authorization: str | None) -> Principal:
    if not authorization:
        raise Unauthenticated("missing Authorization header", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'", code="invalid_token")
    return tokens.verify(token.strip())


def require(principal: Principal, role: Role) -> None:
    if not principal.at_least(role):
        raise Forbidden(
            f"this action needs the {role.value} role",
            code="insufficient_role",
            details={"required": role.value, "have": principal.role.value},
        )
