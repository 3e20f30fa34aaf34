"""JWT access tokens (HS256). The tenant and role inside a verified token are the only source
of tenancy and authority for a request."""

from __future__ import annotations

import time
from functools import lru_cache

import jwt

from oms.config import settings
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


def issue(principal: Principal, ttl_seconds: int | None = None) -> tuple[str, int]:
    ttl = ttl_seconds or settings().token_ttl_seconds
    now = int(time.time())
    claims = {
        "iss": _ISSUER,
        "sub": principal.user_id,
        "email": principal.email,
        "tid": principal.tenant_id,
        "role": principal.role.value,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, _signing_key(), algorithm="HS256"), ttl


def verify(token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=["HS256"],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "tid", "role"]},
        )
        return Principal(
            user_id=claims["sub"],
            email=claims.get("email", ""),
            tenant_id=claims["tid"],
            role=Role(claims["role"]),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token expired", code="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise Unauthenticated("invalid token", code="invalid_token") from exc
