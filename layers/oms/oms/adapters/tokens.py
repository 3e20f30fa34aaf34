"""JWT access tokens (HS256). The tenant and role inside a verified token are the only source
of tenancy and authority for a request."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from oms.config import settings
from oms.domain import clock
from oms.domain.errors import Unauthenticated
from oms.domain.models import Principal, Role

_ISSUER = "cirrus-oms"


@lru_cache(maxsize=1)
def _signing_key() -> str:
    cfg = settings()
    if cfg.jwt_secret_value:
        return cfg.jwt_secret_value
    if cfg.jwt_secret_param:
        import boto3

        response = boto3.client("ssm", region_name=cfg.region).get_parameter(
            Name=cfg.jwt_secret_param, WithDecryption=True
        )
        return str(response["Parameter"]["Value"])
    raise RuntimeError("no JWT signing key configured (JWT_SECRET or JWT_SECRET_PARAM)")


def reset_signing_key() -> None:
    _signing_key.cache_clear()


def issue(principal: Principal, ttl_seconds: int | None = None, version: int = 0) -> tuple[str, int]:
    """A signed access token for a person. `version` is the user's token version: the token dies
    when the stored version moves on (role or state changed; see oms.services.auth)."""
    ttl = ttl_seconds or settings().token_ttl_seconds
    now = int(clock.epoch())
    claims = {
        "iss": _ISSUER,
        "aud": settings().token_audience,
        "sub": principal.user_id,
        "email": principal.email,
        "tid": principal.tenant_id,
        "role": principal.role.value,
        "ver": version,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, _signing_key(), algorithm="HS256"), ttl


@dataclass(frozen=True)
class VerifiedToken:
    principal: Principal
    version: int


def verify(token: str) -> Principal:
    return verify_claims(token).principal


def verify_claims(token: str) -> VerifiedToken:
    """Signature, issuer, audience (this stage's) and lifetime; the token version is checked
    against the user record by the caller (oms.services.auth)."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=["HS256"],
            issuer=_ISSUER,
            audience=settings().token_audience,
            # exp, iat and nbf are checked below against oms.domain.clock, not PyJWT's own clock
            options={
                "require": ["exp", "iat", "sub", "tid", "role", "aud", "ver"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        _check_lifetime(claims, clock.epoch())
        role = Role(claims["role"])
        version = claims["ver"]
        if not role.is_human or not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("a token is for a person and carries an integer version")
        return VerifiedToken(
            Principal(
                user_id=claims["sub"],
                email=claims.get("email", ""),
                tenant_id=claims["tid"],
                role=role,
            ),
            version,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token expired", code="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated("invalid token", code="invalid_token") from exc


def _check_lifetime(claims: dict[str, Any], now: float) -> None:
    """PyJWT's own exp/iat/nbf rules (no leeway), read against the injectable clock."""
    try:
        expires, issued = int(claims["exp"]), int(claims["iat"])
        not_before = int(claims.get("nbf", issued))
    except (TypeError, ValueError, OverflowError) as exc:
        raise jwt.InvalidTokenError("exp, iat and nbf must be integers") from exc
    if expires <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")
    if issued > now or not_before > now:
        raise jwt.ImmatureSignatureError("The token is not yet valid")


def derived_key(purpose: str) -> bytes:
    """A key for one other purpose (e.g. signing unsubscribe links), derived from the signing
    secret with HMAC-SHA256 over the purpose: one secret to keep, and no token of one purpose
    verifies as another."""
    import hashlib
    import hmac

    return hmac.new(_signing_key().encode(), f"cirrus-oms:{purpose}".encode(), hashlib.sha256).digest()
