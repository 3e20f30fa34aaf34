"""The branding and email use cases behind the API (ADR 0036): branding, template overrides and
their preview, an order's email log, opt-out, suppressions. The tenant is always the caller's."""

from __future__ import annotations

from typing import Any

from oms.domain.clock import now_iso
from oms.domain.email_render import TemplateProblem
from oms.domain.emails import (
    PUBLIC_BRANDING_FIELDS,
    TEMPLATE_NAMES,
    BrandingIn,
    PreferencesIn,
    TemplateIn,
    TemplatePreviewIn,
    normal_email,
    sample_context,
)
from oms.domain.errors import NotFound, ValidationFailed
from oms.domain.models import Principal
from oms.services import emails as mail
from oms.services.context import repos


# ------------------------------------------------------------------ branding
def get_branding(principal: Principal) -> dict[str, Any]:
    return mail.branding_of(principal.tenant_id)


def put_branding(principal: Principal, body: BrandingIn) -> dict[str, Any]:
    doc = {**body.model_dump(mode="json"), "updated_at": now_iso(), "updated_by": principal.actor}
    mail.emails.put_branding(principal.tenant_id, doc)
    return mail.branding_of(principal.tenant_id)


def public_branding(slug: str) -> dict[str, Any]:
    """The login page's branding by tenant slug: the public fields only; 404 for an unknown or
    suspended tenant (the same answer, so a slug's existence leaks nothing more)."""
    found = _tenant_for_slug(slug) if 0 < len(slug) <= 40 else None
    if found is None:
        raise NotFound("no such shop", code="tenant_not_found")
    tenant_id, tenant_slug = found
    branding = mail.branding_of(tenant_id)
    return {"slug": tenant_slug, **{k: branding.get(k) for k in PUBLIC_BRANDING_FIELDS}}


def _tenant_for_slug(slug: str) -> tuple[str, str] | None:
    """(tenant id, slug) of an ACTIVE tenant with this slug (tenants own slugs: ADR 0034)."""
    from oms.services.tenants import tenant_for_slug

    tenant = tenant_for_slug(slug)
    if tenant is None or tenant.status != "ACTIVE":
        return None
    return tenant.id, tenant.slug


def seed_branding(tenant_id: str, body: BrandingIn) -> bool:
    """Branding for a tenant that has none (idempotent: the demo seed)."""
    doc = {**body.model_dump(mode="json"), "updated_at": now_iso(), "updated_by": "system:seed"}
    return mail.emails.put_branding_if_absent(tenant_id, doc)


# ------------------------------------------------------------------ templates
def _known(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise NotFound(f"no email template {name[:60]!r}", code="template_not_found")
    return name


def list_templates(principal: Principal) -> dict[str, Any]:
    own = mail.emails.overridden_templates(principal.tenant_id)
    items = [
        {"name": n, "customized": n in own, "updated_at": (own.get(n) or {}).get("updated_at")}
        for n in TEMPLATE_NAMES
    ]
    return {"items": items}


def get_template(principal: Principal, name: str) -> dict[str, Any]:
    template, own = mail.template_of(principal.tenant_id, _known(name))
    return {"name": name, "customized": own, **template}


def _sample(tenant_id: str) -> dict[str, Any]:
    return sample_context(mail.shop_context(mail.branding_of(tenant_id)))


def _checked(tenant_id: str, template: dict[str, str]) -> dict[str, str]:
    """The template rendered with a sample order, strictly (an unknown variable is an error)."""
    try:
        rendered = mail._render_with_subject(template, _sample(tenant_id))
        # strict: render again refusing undefined names, so a typo is caught before it is sent
        from oms.domain.email_render import render
        from oms.email_templates import layouts

        render(template, {**_sample(tenant_id), "subject": rendered.subject}, layouts(), strict=True)
    except TemplateProblem as exc:
        raise ValidationFailed(
            f"the template does not render: {exc}",
            code="invalid_template",
            details=[{"part": exc.part, "line": exc.line, "message": exc.message}],
        ) from exc
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text}


def put_template(principal: Principal, name: str, body: TemplateIn) -> dict[str, Any]:
    _known(name)
    template = {"subject": body.subject, "html": body.html, "text": body.text}
    _checked(principal.tenant_id, {**template})
    doc = {**template, "updated_at": now_iso(), "updated_by": principal.actor}
    mail.emails.put_template(principal.tenant_id, name, doc)
    return {"name": name, "customized": True, **template, "updated_at": doc["updated_at"]}


def delete_template(principal: Principal, name: str) -> None:
    mail.emails.delete_template(principal.tenant_id, _known(name))


def preview_template(principal: Principal, name: str, body: TemplatePreviewIn) -> dict[str, Any]:
    stored, _ = mail.template_of(principal.tenant_id, _known(name))
    draft = {part: getattr(body, part) or stored[part] for part in ("subject", "html", "text")}
    return {"name": name, **_checked(principal.tenant_id, draft)}


# ------------------------------------------------------------------ log, opt-out, suppressions
def order_emails(principal: Principal, order_id: str) -> dict[str, Any]:
    repos.orders.require(principal.tenant_id, order_id)  # 404 for another tenant's order
    items = mail.emails.order_log(principal.tenant_id, order_id)
    return {"items": items, "count": len(items)}


def get_preferences(principal: Principal) -> dict[str, Any]:
    prefs = mail.emails.get_preferences(principal.tenant_id, normal_email(principal.email)) or {}
    return {
        "email": normal_email(principal.email),
        "order_emails": prefs.get("order_emails", True) is not False,
    }


def put_preferences(principal: Principal, body: PreferencesIn) -> dict[str, Any]:
    email = normal_email(principal.email)
    mail.emails.put_preferences(
        principal.tenant_id,
        email,
        {"order_emails": body.order_emails, "updated_at": now_iso(), "via": "account"},
    )
    return {"email": email, "order_emails": body.order_emails}


def list_suppressions(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    items, next_cursor = mail.emails.page_suppressions(principal.tenant_id, limit, cursor)
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


def delete_suppression(principal: Principal, email: str) -> None:
    if not mail.emails.delete_suppression(principal.tenant_id, normal_email(email)):
        raise NotFound("that address is not suppressed", code="suppression_not_found")
