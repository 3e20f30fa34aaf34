"""Invitation and password-reset emails (issue 12): the link to the page that redeems the token,
sent with oms.services.emails.send_account_email.

A failed send never fails the request that made the token (the token is in the answer, and the
admin can pass the link on by hand): it is logged and reported as "FAILED"."""

from __future__ import annotations

import logging
from urllib.parse import quote

from oms.config import settings
from oms.data.directory import StoredUser
from oms.domain.models import Role
from oms.services import emails

log = logging.getLogger("oms.account_mail")
FAILED = "FAILED"


def _portal(tenant_id: str, slug: str | None) -> str | None:
    return slug or emails.tenant_slug(tenant_id)


def action_url(user: StoredUser, token: str, *, reset: bool, slug: str | None = None) -> str:
    """Where the person sets their password: a customer in their shop's portal, the team in /app."""
    query = f"?token={quote(token, safe='')}"
    base = settings().public_base_url
    if user.role == Role.CUSTOMER.value:
        shop = _portal(user.tenant_id, slug)
        if shop:
            return f"{base}/portal/{quote(shop, safe='')}/accept{query}"
    page = "reset-password" if reset else "accept-invitation"
    return f"{base}/app/{page}{query}"


def _send(user: StoredUser, template: str, url: str, expires_at: str) -> str:
    try:
        return emails.send_account_email(
            user.tenant_id, template, user.email, name=user.name, action_url=url, expires_at=expires_at
        )
    except Exception as exc:  # the token stands; the answer tells the admin the mail failed
        log.warning(
            "the %s email for user %s of tenant %s was not sent: %s",
            template,
            user.user_id,
            user.tenant_id,
            type(exc).__name__,
        )
        return FAILED


def send_invitation(user: StoredUser, token: str, expires_at: str, *, slug: str | None = None) -> str:
    """The invitation: "SENT" | "SUPPRESSED" | "FAILED"."""
    return _send(user, "invitation", action_url(user, token, reset=False, slug=slug), expires_at)


def send_reset(user: StoredUser, token: str, expires_at: str) -> str:
    """The password reset: "SENT" | "SUPPRESSED" | "FAILED"."""
    return _send(user, "password_reset", action_url(user, token, reset=True), expires_at)
