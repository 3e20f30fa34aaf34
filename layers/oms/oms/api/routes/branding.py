"""A tenant's branding (shop name, logo, colours, email sender): read by the dashboard and the
customer portal, public by tenant slug for the login page (ADR 0036)."""

from __future__ import annotations

from typing import Any

from oms.api.http import route
from oms.api.instance import app
from oms.domain.emails import BrandingIn
from oms.domain.models import Principal, Role
from oms.services import email_admin


@route(app, "/branding", ["GET"], role=Role.CUSTOMER)
def get_branding(principal: Principal) -> dict[str, Any]:
    """The tenant's branding (defaults where it set none)."""
    return email_admin.get_branding(principal)


@route(app, "/branding", ["PUT"], role=Role.SUPERADMIN, body=BrandingIn)
def put_branding(principal: Principal, *, body: BrandingIn) -> dict[str, Any]:
    """Replace the tenant's branding (https logos, #rrggbb colours)."""
    return email_admin.put_branding(principal, body)


@route(app, "/branding/{slug}", ["GET"], role=None)
def get_public_branding(slug: str) -> dict[str, Any]:
    """Public: a shop's name, logo and colours by its slug (404 tenant_not_found)."""
    return email_admin.public_branding(slug)
