"""Customer email: template overrides and previews, an order's email log, opt-out and
suppressions (ADR 0036)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from oms.api.http import PageQuery, route
from oms.api.instance import app
from oms.domain.emails import PreferencesIn, TemplateIn, TemplatePreviewIn, UnsubscribeIn
from oms.domain.models import Principal, Role
from oms.services import email_admin, emails


@route(app, "/email/templates", ["GET"], role=Role.SUPERADMIN)
def list_email_templates(principal: Principal) -> dict[str, Any]:
    """Every template, and whether the tenant customized it."""
    return email_admin.list_templates(principal)


@route(app, "/email/templates/{name}", ["GET"], role=Role.SUPERADMIN)
def get_email_template(principal: Principal, name: str) -> dict[str, Any]:
    """The tenant's template (the built-in one when not customized)."""
    return email_admin.get_template(principal, name)


@route(app, "/email/templates/{name}", ["PUT"], role=Role.SUPERADMIN, body=TemplateIn)
def put_email_template(principal: Principal, name: str, *, body: TemplateIn) -> dict[str, Any]:
    """Customize a template (Jinja2, sandboxed); 422 invalid_template names the line."""
    return email_admin.put_template(principal, name, body)


@route(app, "/email/templates/{name}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_email_template(principal: Principal, name: str) -> Response:
    """Back to the built-in template."""
    email_admin.delete_template(principal, name)
    return Response(body="", status_code=204)


@route(app, "/email/templates/{name}/preview", ["POST"], role=Role.SUPERADMIN, body=TemplatePreviewIn)
def preview_email_template(principal: Principal, name: str, *, body: TemplatePreviewIn) -> dict[str, Any]:
    """Render the template (or the draft sent) with a sample order."""
    return email_admin.preview_template(principal, name, body)


@route(app, "/orders/{order_id}/emails", ["GET"], role=Role.USER)
def list_order_emails(principal: Principal, order_id: str) -> dict[str, Any]:
    """The emails of an order: template, to, subject, status, message_id, at."""
    return email_admin.order_emails(principal, order_id)


@route(app, "/email/unsubscribe", ["POST"], role=None, body=UnsubscribeIn)
def unsubscribe(*, body: UnsubscribeIn) -> dict[str, Any]:
    """Public: stop order emails to the address a signed link names (400 invalid_token)."""
    return emails.unsubscribe(body.token)


@route(app, "/me/email-preferences", ["GET"], role=Role.CUSTOMER)
def get_email_preferences(principal: Principal) -> dict[str, Any]:
    """The caller's email preferences."""
    return email_admin.get_preferences(principal)


@route(app, "/me/email-preferences", ["PUT"], role=Role.CUSTOMER, body=PreferencesIn)
def put_email_preferences(principal: Principal, *, body: PreferencesIn) -> dict[str, Any]:
    """Opt in or out of order emails."""
    return email_admin.put_preferences(principal, body)


@route(app, "/email/suppressions", ["GET"], role=Role.SUPERADMIN, query=PageQuery)
def list_email_suppressions(principal: Principal, *, query: PageQuery) -> dict[str, Any]:
    """Addresses not sent to (hard bounces, complaints, rejections)."""
    return email_admin.list_suppressions(principal, query.limit, query.cursor)


@route(app, "/email/suppressions/{email}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_email_suppression(principal: Principal, email: str) -> Response:
    """Send to an address again."""
    email_admin.delete_suppression(principal, email)
    return Response(body="", status_code=204)
