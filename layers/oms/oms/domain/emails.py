"""Branding and customer email (issue 12, ADR 0036): names, shapes, validation and the signed
unsubscribe token. Pure: no AWS, no storage, no environment (keys are passed in)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from oms.domain.models import EMAIL_RE, Strict

ORDER_TEMPLATES = (
    "order_confirmation",
    "order_shipped",
    "order_delivered",
    "order_cancelled",
    "return_requested",  # returns (issue 13, ADR 0038): sent on the return events
    "return_received",
    "order_refunded",
)
ACCOUNT_TEMPLATES = ("invitation", "password_reset")
TEMPLATE_NAMES = (*ORDER_TEMPLATES, *ACCOUNT_TEMPLATES)

MAX_SUBJECT = 200
MAX_HTML = 100_000
MAX_TEXT = 50_000
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class EmailStatus(StrEnum):
    """What became of one email: the log's `status` (and send_order_email's answer)."""

    SENT = "SENT"
    SUPPRESSED = "SUPPRESSED"  # the address bounced hard or complained before
    OPTED_OUT = "OPTED_OUT"  # the customer unsubscribed from order emails
    DUPLICATE = "DUPLICATE"  # the dedup key was claimed already: sent once before
    BOUNCED = "BOUNCED"  # SES told us after sending
    COMPLAINED = "COMPLAINED"
    DELIVERED = "DELIVERED"


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    if not EMAIL_RE.match(value):
        raise ValueError("not an email address")
    return value


def _https(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not value.startswith("https://") or len(value) < 12 or any(c in value for c in " \"'<>\\"):
        raise ValueError("must be an https:// URL")
    return value


def _color(value: str | None) -> str | None:
    if value is None:
        return None
    if not COLOR_RE.match(value):
        raise ValueError("must be a colour #rrggbb")
    return value.lower()


def _plain(value: str | None) -> str | None:
    if value is not None and any(c in value for c in '\r\n"<>'):
        raise ValueError("must not contain line breaks, quotes or angle brackets")
    return value


class BrandingIn(Strict):
    """PUT /branding: the whole branding (fields left out fall back to the defaults)."""

    shop_name: str = Field(min_length=1, max_length=80)
    logo_url: str | None = Field(default=None, max_length=500)
    primary_color: str = Field(default="#1f4e79", max_length=7)
    accent_color: str = Field(default="#f2a900", max_length=7)
    email_sender_name: str | None = Field(default=None, min_length=1, max_length=80)
    support_email: str | None = Field(default=None, min_length=3, max_length=254)

    _v_logo = field_validator("logo_url")(_https)
    _v_colors = field_validator("primary_color", "accent_color")(_color)
    _v_support = field_validator("support_email")(_email)
    _v_names = field_validator("shop_name", "email_sender_name")(_plain)


PUBLIC_BRANDING_FIELDS = ("shop_name", "logo_url", "primary_color", "accent_color")


def default_branding(tenant_name: str | None = None) -> dict[str, Any]:
    return {
        "shop_name": tenant_name or "Cirrus Shop",
        "logo_url": None,
        "primary_color": "#1f4e79",
        "accent_color": "#f2a900",
        "email_sender_name": None,
        "support_email": None,
    }


def sender_name(branding: Mapping[str, Any]) -> str:
    return str(branding.get("email_sender_name") or branding.get("shop_name") or "Cirrus Shop")


class TemplateIn(Strict):
    """PUT /email/templates/{name}: a tenant's own version of one template (Jinja2)."""

    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    html: str = Field(min_length=1, max_length=MAX_HTML)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class PreferencesIn(Strict):
    order_emails: bool


class UnsubscribeIn(Strict):
    token: str = Field(min_length=10, max_length=1000)


def normal_email(address: str) -> str:
    return address.strip().lower()


def dedup_digest(dedup_key: str) -> str:
    """The log entry's key for a dedup key (any length, any characters) as 32 hex characters."""
    return hashlib.sha256(dedup_key.encode("utf-8")).hexdigest()[:32]


# ------------------------------------------------------------------ unsubscribe tokens
# `<payload>.<mac>`, both URL-safe base64 without padding; payload {"t": tenant, "e": email};
# mac = HMAC-SHA256(key, "cirrus-unsubscribe|" + payload). No expiry: an old email's link works.
_TOKEN_CONTEXT = b"cirrus-unsubscribe|"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_unsubscribe(key: bytes, tenant_id: str, email: str) -> str:
    payload = _b64(json.dumps({"t": tenant_id, "e": normal_email(email)}, separators=(",", ":")).encode())
    mac = hmac.new(key, _TOKEN_CONTEXT + payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify_unsubscribe(key: bytes, token: str) -> tuple[str, str] | None:
    """(tenant, email) of a token this key signed, else None (tampered, foreign, malformed)."""
    payload, _, mac = token.partition(".")
    if not payload or not mac:
        return None
    expected = hmac.new(key, _TOKEN_CONTEXT + payload.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        data = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not isinstance(data.get("e"), str):
        return None
    return data["t"], data["e"]


class TemplatePreviewIn(Strict):
    """POST /email/templates/{name}/preview: a draft to render (the stored template when absent)."""

    subject: str | None = Field(default=None, min_length=1, max_length=MAX_SUBJECT)
    html: str | None = Field(default=None, min_length=1, max_length=MAX_HTML)
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)


def sample_context(shop: dict[str, Any]) -> dict[str, Any]:
    """What a template is validated and previewed with: every variable a real send provides."""
    return {
        "shop": shop,
        "order": {
            "id": "00000000-0000-4000-8000-000000000000",
            "number": "ORD-SAMPLE-0001",
            "status": "SHIPPED",
            "status_code": "SHIPPED",
            "customer_name": "Sam Sample",
            "customer_email": "sam@example.com",
            "currency": "USD",
            "subtotal": "59.98",
            "shipping": "5.00",
            "tax": "4.80",
            "discount": "0.00",
            "total": "69.78",
            "refunded": "0.00",
            "created_at": "2025-01-01T12:00:00Z",
            "shipping_address": "1 Sample Street, Springfield, 12345, US",
            "lines": [
                {
                    "sku": "SKU-1",
                    "name": "Sample widget",
                    "quantity": 2,
                    "unit_price": "19.99",
                    "line_total": "39.98",
                },
                {
                    "sku": "SKU-2",
                    "name": "Sample gadget",
                    "quantity": 1,
                    "unit_price": "20.00",
                    "line_total": "20.00",
                },
            ],
        },
        "shipment": {
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
            "shipped_at": "2025-01-02T09:00:00Z",
        },
        "user": {"name": "Sam Sample", "email": "sam@example.com"},
        "action_url": "https://example.com/accept?token=sample",
        "expires_at": "2025-01-08T12:00:00Z",
        "unsubscribe_url": "https://example.com/portal/shop/unsubscribe?token=sample",
    }
