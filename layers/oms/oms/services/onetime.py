"""One-time tokens (invitations, password resets): made here, redeemed in oms.services.users."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.data.directory import StoredUser
from oms.data.tenancy import StoredToken
from oms.domain.clock import epoch, iso
from oms.domain.tenancy import TokenKind, new_token, token_digest
from oms.services.context import repos


def issue_token(user: StoredUser, kind: TokenKind) -> tuple[str, str]:
    """A one-time token for the user (shown once; its SHA-256 stored, expiring). Returns the
    token and when it expires (ISO-8601)."""
    token = new_token()
    expires = int(epoch()) + kind.lifetime
    repos.tenancy.put_token(
        token_digest(token),
        StoredToken(
            kind=kind.value,
            email=user.email,
            user_id=user.user_id,
            tenant_id=user.tenant_id,
            expires_at_epoch=expires,
            used_at=None,
        ),
    )
    return token, iso(datetime.fromtimestamp(expires, tz=UTC))
