"""Customer email (ADR 0036): rendering a tenant's branded templates and sending them with SES,
once per dedup key, never to an address that opted out or is suppressed.

`send_order_email` is what the ActionsQueue worker calls for an `email` action (issue 12
contract): "SENT" | "SUPPRESSED" | "OPTED_OUT" | "DUPLICATE"; it raises TransientStoreError for a
failure worth retrying (the claim is given back first, so the retry sends)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from oms.adapters import ses, tokens
from oms.config import settings
from oms.data.emails import EmailRepository
from oms.domain.clock import now_iso
from oms.domain.email_render import Rendered, TemplateProblem, render
from oms.domain.emails import (
    ACCOUNT_TEMPLATES,
    ORDER_TEMPLATES,
    TEMPLATE_NAMES,
    EmailStatus,
    dedup_digest,
    default_branding,
    normal_email,
    sender_name,
    sign_unsubscribe,
    verify_unsubscribe,
)
from oms.domain.errors import NotFound, TransientStoreError
from oms.domain.models import Order
from oms.email_templates import default as default_template
from oms.email_templates import layouts
from oms.services.context import repos

log = logging.getLogger("oms.emails")
emails = EmailRepository()
CLAIM_LEASE_SECONDS = 300.0  # a SENDING claim older than this belonged to a sender that died
UNSUBSCRIBE_PURPOSE = "email-unsubscribe"

# carriers whose tracking page takes the number in the URL
_TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={n}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={n}",
}


def tracking_url(carrier: str, number: str) -> str | None:
    template = _TRACKING_URLS.get(carrier.strip().upper().replace(" ", ""))
    return template.format(n=quote(number, safe="")) if template else None


# ------------------------------------------------------------------ branding and templates
def branding_of(tenant_id: str) -> dict[str, Any]:
    """The tenant's branding, every field present (defaults where it set none)."""
    stored = emails.get_branding(tenant_id)
    if stored is not None:
        return {**default_branding(), **stored}
    tenant = repos.tenancy.get_tenant(tenant_id)  # an unbranded shop goes by its tenant's name
    return default_branding(tenant.name if tenant is not None else None)


def shop_context(branding: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": branding.get("shop_name"),
        "logo_url": branding.get("logo_url"),
        "primary_color": branding.get("primary_color"),
        "accent_color": branding.get("accent_color"),
        "support_email": branding.get("support_email"),
        "sender_name": sender_name(branding),
    }


def template_of(tenant_id: str, name: str) -> tuple[dict[str, str], bool]:
    """(template, is the tenant's own)."""
    own = emails.get_template(tenant_id, name)
    if own:
        return {k: str(own[k]) for k in ("subject", "html", "text")}, True
    return default_template(name), False


def unsubscribe_token(tenant_id: str, email: str) -> str:
    return sign_unsubscribe(tokens.derived_key(UNSUBSCRIBE_PURPOSE), tenant_id, email)


def tenant_slug(tenant_id: str) -> str | None:
    """The tenant's slug (its portal is /portal/<slug>/…), or None for a tenant without one."""
    tenant = repos.tenancy.get_tenant(tenant_id)
    return tenant.slug if tenant is not None and tenant.slug else None


def unsubscribe_url(tenant_id: str, email: str) -> str:
    """The opt-out page in the tenant's portal (the page asks before it acts: mail scanners
    follow links). The token names the tenant, so a tenant without a slug still works by id."""
    shop = quote(tenant_slug(tenant_id) or tenant_id, safe="")
    token = unsubscribe_token(tenant_id, email)
    return f"{settings().public_base_url}/portal/{shop}/unsubscribe?token={token}"


def order_context(order: Order) -> dict[str, Any]:
    address = order.shipping_address
    where = None
    if address is not None:
        where = ", ".join(
            p
            for p in (address.address1, address.address2, address.city, address.postal_code, address.country)
            if p
        )
    shipment = order.shipments[-1] if order.shipments else None
    return {
        "order": {
            "id": order.id,
            "number": order.order_number,
            "status": order.status.value,
            "status_code": getattr(order, "status_code", None) or order.status.value,
            "customer_name": order.customer_name,
            "customer_email": order.customer_email,
            "currency": order.currency,
            "subtotal": str(order.subtotal),
            "shipping": str(order.shipping_amount),
            "tax": str(order.tax_amount),
            "discount": str(order.discount_amount),
            "total": str(order.total_amount),
            "refunded": str(order.refunded_amount or "0.00"),
            "created_at": order.created_at,
            "shipping_address": where,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.product_name or line.sku,
                    "quantity": line.quantity,
                    "unit_price": str(line.unit_price),
                    "line_total": str(line.line_total),
                }
                for line in order.line_items
            ],
        },
        "shipment": (
            {
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number),
                "shipped_at": shipment.shipped_at,
            }
            if shipment
            else None
        ),
    }


def render_for(tenant_id: str, name: str, context: Mapping[str, Any]) -> Rendered:
    """The tenant's template rendered; a tenant template that fails at send time (data its
    validation's sample did not have) falls back to the built-in one rather than sending nothing."""
    template, own = template_of(tenant_id, name)
    subject_ctx = dict(context)
    try:
        return _render_with_subject(template, subject_ctx)
    except TemplateProblem as exc:
        if not own:
            raise
        log.warning("tenant %s's template %s failed (%s); the built-in one is sent", tenant_id, name, exc)
        return _render_with_subject(default_template(name), subject_ctx)


def _render_with_subject(template: Mapping[str, str], context: dict[str, Any]) -> Rendered:
    first = render({"subject": template["subject"], "html": "", "text": ""}, context, layouts())
    return render(template, {**context, "subject": first.subject}, layouts())


# ------------------------------------------------------------------ sending
def send_order_email(tenant_id: str, order_id: str, template: str, dedup_key: str) -> str:
    """Send one order email once per `dedup_key` (see the module doc)."""
    if template not in ORDER_TEMPLATES:
        raise ValueError(f"{template!r} is not an order email template")
    order = repos.orders.get(tenant_id, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    to = normal_email(order.customer_email)
    digest = dedup_digest(dedup_key)
    entry = {
        "id": digest,
        "template": template,
        "to": to,
        "subject": None,
        "message_id": None,
        "at": now_iso(),
    }
    claim = emails.claim(tenant_id, order_id, digest, {**entry, "status": "SENDING"}, CLAIM_LEASE_SECONDS)
    if claim is None:
        held = emails.entry(tenant_id, order_id, digest)
        if held is not None and held.state == "SENDING":
            raise TransientStoreError("this email is being sent by another worker; retry")
        return EmailStatus.DUPLICATE.value
    try:
        status, message_id, subject = _deliver(tenant_id, order, template, to, digest)
    except Exception:
        emails.release(tenant_id, order_id, digest, claim)
        raise
    entry.update(status=status, message_id=message_id, subject=subject, at=now_iso())
    emails.settle(tenant_id, order_id, digest, claim, status, entry)
    return status


def _deliver(
    tenant_id: str, order: Order, template: str, to: str, digest: str
) -> tuple[str, str | None, str | None]:
    """(status, SES message id, subject) of one order email to `to`."""
    if emails.get_suppression(tenant_id, to) is not None:
        return EmailStatus.SUPPRESSED.value, None, None
    prefs = emails.get_preferences(tenant_id, to)
    if prefs is not None and prefs.get("order_emails") is False:
        return EmailStatus.OPTED_OUT.value, None, None
    branding = branding_of(tenant_id)
    link = unsubscribe_url(tenant_id, to)
    context = {**order_context(order), "shop": shop_context(branding), "unsubscribe_url": link}
    rendered = render_for(tenant_id, template, context)
    tags = {"tenant": tenant_id, "order": order.id, "template": template, "email": digest}
    try:
        message_id = ses.send(
            ses.OutgoingEmail(
                to=to,
                sender_name=sender_name(branding),
                reply_to=branding.get("support_email"),
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                tags=tags,
                unsubscribe_url=link,
            )
        )
    except ses.EmailRejected as exc:
        suppress(tenant_id, to, "REJECTED", {"code": str(exc)})
        return EmailStatus.SUPPRESSED.value, None, rendered.subject
    return EmailStatus.SENT.value, message_id, rendered.subject


def send_account_email(
    tenant_id: str, template: str, to: str, *, name: str, action_url: str, expires_at: str
) -> str:
    """An invitation or password-reset email (not subject to order-email opt-out, but never to a
    suppressed address): "SENT" | "SUPPRESSED"; the SES message id is not kept."""
    if template not in ACCOUNT_TEMPLATES:
        raise ValueError(f"{template!r} is not an account email template")
    address = normal_email(to)
    if emails.get_suppression(tenant_id, address) is not None:
        return EmailStatus.SUPPRESSED.value
    branding = branding_of(tenant_id)
    context = {
        "shop": shop_context(branding),
        "user": {"name": name, "email": address},
        "action_url": action_url,
        "expires_at": expires_at,
        "unsubscribe_url": None,
    }
    rendered = render_for(tenant_id, template, context)
    ses.send(
        ses.OutgoingEmail(
            to=address,
            sender_name=sender_name(branding),
            reply_to=branding.get("support_email"),
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            tags={"tenant": tenant_id, "template": template},
        )
    )
    return EmailStatus.SENT.value


# ------------------------------------------------------------------ opt-out and suppression
def suppress(tenant_id: str, email: str, reason: str, detail: Mapping[str, Any] | None = None) -> None:
    emails.put_suppression(
        tenant_id, normal_email(email), {"reason": reason, "at": now_iso(), "detail": dict(detail or {})}
    )


def unsubscribe(token: str) -> dict[str, Any]:
    found = verify_unsubscribe(tokens.derived_key(UNSUBSCRIBE_PURPOSE), token)
    if found is None:
        from oms.domain.errors import MalformedRequest

        raise MalformedRequest("the unsubscribe link is not valid", code="invalid_token")
    tenant_id, email = found
    emails.put_preferences(tenant_id, email, {"order_emails": False, "updated_at": now_iso(), "via": "link"})
    return {"unsubscribed": True, "order_emails": False}


def templates_known() -> tuple[str, ...]:
    return TEMPLATE_NAMES


# ------------------------------------------------------------------ bounces and complaints
_FEEDBACK_STATES = {
    "Bounce": "BOUNCED",
    "Complaint": "COMPLAINED",
    "Delivery": "DELIVERED",
    "Reject": "REJECTED",
}


def _ses_event(message: Mapping[str, Any]) -> dict[str, Any]:
    """The SES event in an SQS body: SNS-wrapped (`{"Type": "Notification", "Message": "..."}`)
    or raw (raw message delivery)."""
    import json

    if message.get("Type") == "Notification" and isinstance(message.get("Message"), str):
        inner = json.loads(message["Message"])
        return dict(inner) if isinstance(inner, dict) else {}
    return dict(message)


def _tag(mail_part: Mapping[str, Any], name: str) -> str | None:
    values = (mail_part.get("tags") or {}).get(name)
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return None


def record_feedback(message: Mapping[str, Any]) -> str:
    """One SES event (bounce, complaint, delivery, reject) from EmailFeedbackQueue: recorded for
    its tenant (from the message tags it was sent with), the order's log entry updated, and the
    address suppressed after a permanent bounce or a complaint. Idempotent (a redelivery rewrites
    the same items). Returns what was done, for the task log."""
    event = _ses_event(message)
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    mail_part = event.get("mail") or {}
    tenant_id = _tag(mail_part, "tenant")
    if kind not in _FEEDBACK_STATES or not tenant_id:
        log.warning("email feedback without a known type or tenant tag ignored (%s)", kind or "no type")
        return "ignored"
    message_id = str(mail_part.get("messageId") or "")
    detail = event.get(kind[0].lower() + kind[1:]) or {}
    at = str(detail.get("timestamp") or mail_part.get("timestamp") or now_iso())
    recipients: list[str] = []
    suppressed = False
    if kind == "Bounce":
        recipients = [
            str(r.get("emailAddress")) for r in detail.get("bouncedRecipients") or [] if r.get("emailAddress")
        ]
        suppressed = detail.get("bounceType") == "Permanent"
    elif kind == "Complaint":
        recipients = [
            str(r.get("emailAddress"))
            for r in detail.get("complainedRecipients") or []
            if r.get("emailAddress")
        ]
        suppressed = True
    else:
        recipients = [str(r) for r in mail_part.get("destination") or []]
    reason = "COMPLAINT" if kind == "Complaint" else "HARD_BOUNCE"
    for address in recipients:
        if suppressed:
            suppress(tenant_id, address, reason, {"message_id": message_id, "at": at})
    record = {
        "type": kind,
        "message_id": message_id,
        "recipients": [normal_email(r) for r in recipients],
        "bounce_type": detail.get("bounceType"),
        "at": at,
        "suppressed": suppressed,
        "order_id": _tag(mail_part, "order"),
        "template": _tag(mail_part, "template"),
    }
    emails.append_feedback(tenant_id, f"{at}#{message_id}#{kind}", record)
    order_id, digest = _tag(mail_part, "order"), _tag(mail_part, "email")
    if order_id and digest:
        emails.mark(tenant_id, order_id, digest, _FEEDBACK_STATES[kind], {"type": kind, "at": at})
    return f"{kind.lower()}{' suppressed' if suppressed else ''}"
